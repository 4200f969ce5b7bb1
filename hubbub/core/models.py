"""Rows the core keeps: the database event bus's queue."""

from django.db import models


class Event(models.Model):
    """One event on the database bus (see ``hubbub.core.events``).

    Subscribers read rows above the last id they saw; the worker's sweeper
    deletes rows older than HUBBUB_EVENT_RETENTION seconds.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    name = models.CharField(max_length=50)
    payload = models.JSONField()

    def __str__(self) -> str:
        return f"{self.name} {self.payload}"
