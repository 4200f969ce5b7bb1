from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "hubbub.core"
    label = "core"

    def ready(self) -> None:
        from hubbub.core import stamps

        connection_created.connect(stamps.watch_writes)
