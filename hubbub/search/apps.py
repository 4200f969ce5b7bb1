from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "hubbub.search"
    label = "search"

    def ready(self) -> None:
        from hubbub.search.index import repair_after_migrate

        post_migrate.connect(repair_after_migrate, sender=self)
