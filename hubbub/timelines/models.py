"""The stored home timeline: which posts each reader sees."""

from django.conf import settings
from django.db import models


class TimelineEntry(models.Model):
    """``post`` is in ``reader``'s home timeline.

    Unique per (reader, post), so writing an entry twice is harmless and a
    re-driven fan-out cannot duplicate anything.
    """

    # No single-column indexes of their own: ``timeline_once`` (reader,
    # post) serves lookups by reader and ``timeline_post`` those by post, and
    # every fan-out row would otherwise write two more index entries.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    post = models.ForeignKey(
        "posts.Post", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "post"], name="timeline_once")
        ]
        indexes = [models.Index(fields=["post"], name="timeline_post")]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.post_id} for {self.reader_id}"
