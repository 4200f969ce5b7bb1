from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "hubbub.news"
    label = "news"
