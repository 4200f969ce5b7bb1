from django.apps import AppConfig


class TimelinesConfig(AppConfig):
    name = "hubbub.timelines"
    label = "timelines"
