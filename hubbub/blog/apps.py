from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "hubbub.blog"
    label = "blog"
