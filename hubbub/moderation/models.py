"""Reports from readers, and the public log of what moderators did."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hubbub.core.ids import new_id


class Reason(models.TextChoices):
    """Why someone reports or buries a post (shared by news buries)."""

    DUPLICATE = "duplicate", "Duplicate"
    SPAM = "spam", "Spam"
    OFF_TOPIC = "off_topic", "Off-topic"
    INACCURATE = "inaccurate", "Inaccurate"
    PROMOTIONAL = "promotional", "Promotional"
    ABUSE = "abuse", "Abusive or harassing"
    OTHER = "other", "Something else"


REASON_MAX_LENGTH = 1000


class Report(models.Model):
    """``reporter`` asks moderators to look at ``post`` or ``account``.

    Exactly one of ``post`` and ``account`` is the subject; a report about a
    post also records its author in ``account`` so a moderator can see every
    report about a person at once.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    post = models.ForeignKey(
        "posts.Post",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    comment = models.TextField(max_length=REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            # One open report per reporter and subject: reporting twice is a
            # no-op, not a second vote.
            models.UniqueConstraint(
                fields=["reporter", "account", "post"],
                name="report_once_open",
                condition=models.Q(resolved_at__isnull=True),
            ),
        ]
        indexes = [
            models.Index(
                fields=["-id"],
                name="report_open_queue",
                condition=models.Q(resolved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.id} on {self.post_id or self.account_id}"


class HiddenPost(models.Model):
    """A moderator hid ``post``: only its author sees it until restored.

    A row of its own rather than a column on Post, so hiding stays the
    moderation app's business; ``posts.queries.visible_posts`` reads it.
    """

    post = models.OneToOneField(
        "posts.Post", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"post {self.post_id} hidden"


class Action(models.TextChoices):
    """What a moderator (or the system, on its rules) did."""

    LABEL = "label", "Labelled promotional"
    UNLABEL = "unlabel", "Removed promotional label"
    HIDE = "hide", "Hid a post"
    RESTORE = "restore", "Restored a post"
    DELETE = "delete", "Deleted a post"
    HOLD = "hold", "Held a story for review"
    RELEASE = "release", "Released a story from review"
    BURY = "bury", "Buried a story"
    SILENCE = "silence", "Silenced an account"
    SUSPEND = "suspend", "Suspended an account"
    UNSUSPEND = "unsuspend", "Lifted a suspension"
    DISMISS = "dismiss", "Dismissed a report"


class LogEntry(models.Model):
    """One line of the public moderation log.

    ``moderator`` is empty when hubbub acted on its own published rules (a
    story held for review by weighted buries, say); ``reason`` is always
    shown.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    post = models.ForeignKey(
        "posts.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(max_length=REASON_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator_id or 'hubbub'}"


class RateCounter(models.Model):
    """How often one caller did one limited thing in the current window.

    One row per bucket (``core.ratelimits.hit``), bumped with a single
    upsert so every web process shares it: the counters rate limits need
    when there is no Redis. A new window resets the row in place.
    """

    bucket = models.CharField(max_length=200, primary_key=True)
    # The window's number: its start in seconds divided by its length.
    window_number = models.BigIntegerField()
    used = models.PositiveIntegerField()
    # When the window ends, in seconds since the epoch; the sweeper drops
    # rows whose window ended long ago.
    resets_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.used}"
