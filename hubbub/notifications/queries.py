"""Reads of notifications."""

from django.db.models import QuerySet

from hubbub.accounts.models import Account
from hubbub.notifications.models import Notification, NotificationType


def notifications_for(
    account: Account,
    *,
    types: list[NotificationType] | None = None,
    exclude_types: list[NotificationType] | None = None,
) -> QuerySet[Notification]:
    """Return ``account``'s notifications, newest first, with what they show.

    A notification about a post the recipient can no longer see (deleted, or
    its author now blocks them) is left out.
    """
    from hubbub.posts.queries import visible_posts

    notes = Notification.objects.filter(recipient=account)
    if types:
        notes = notes.filter(type__in=types)
    if exclude_types:
        notes = notes.exclude(type__in=exclude_types)
    notes = notes.exclude(post__isnull=False, post__deleted_at__isnull=False)
    notes = notes.filter(post__isnull=True) | notes.filter(
        post__in=visible_posts(account).values("id")
    )
    return notes.select_related("actor", "post", "post__author").order_by("-id")


def unread_count(account: Account) -> int:
    """Return how many of ``account``'s notifications are newer than read."""
    return Notification.objects.filter(
        recipient=account, id__gt=account.notifications_read_id
    ).count()
