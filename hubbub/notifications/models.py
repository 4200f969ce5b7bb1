"""Notifications: someone did something that concerns you."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hubbub.core.ids import new_id


class NotificationType(models.TextChoices):
    MENTION = "mention", "Mention"
    REPLY = "reply", "Reply"
    FAVOURITE = "favourite", "Favourite"
    REBLOG = "reblog", "Boost"
    FOLLOW = "follow", "Follow"
    FOLLOW_REQUEST = "follow_request", "Follow request"
    # A story the recipient submitted or dugg reached the front page. The
    # actor is the submitter (for diggers) or the last digger (for the
    # submitter), so no one is ever their own actor.
    PROMOTED = "promoted", "Story promoted"


class Notification(models.Model):
    """``actor`` did ``type`` (to ``post``, when there is one) for ``recipient``.

    ``key`` makes writing the same notification twice a no-op, so the jobs
    that write them can be re-run safely.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=20, choices=NotificationType.choices)
    post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="notification_once"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "-id"])]

    def __str__(self) -> str:
        return f"{self.type} for {self.recipient_id}"
