from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "hubbub.notifications"
    label = "notifications"
