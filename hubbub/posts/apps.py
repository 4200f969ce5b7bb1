from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "hubbub.posts"
    label = "posts"
