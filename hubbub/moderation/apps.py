from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "hubbub.moderation"
    label = "moderation"
