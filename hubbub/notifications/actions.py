"""Writes about notifications."""

from hubbub.accounts.models import Account, Block, Mute
from hubbub.core.events import publish_notification
from hubbub.notifications.models import Notification, NotificationType


def notify(
    recipient_id: int,
    *,
    actor_id: int,
    kind: NotificationType,
    post_id: int | None = None,
) -> Notification | None:
    """Write one notification; writing the same one again changes nothing.

    Nobody is notified about themselves, nor by someone they block or mute or
    who blocks them. Returns the notification, or None when none is due.
    """
    if recipient_id == actor_id:
        return None
    if (
        Block.objects.filter(account_id=recipient_id, target_id=actor_id).exists()
        or Block.objects.filter(account_id=actor_id, target_id=recipient_id).exists()
        or Mute.objects.filter(account_id=recipient_id, target_id=actor_id).exists()
    ):
        return None
    key = f"{kind}:{actor_id}:{post_id or ''}"
    notification, created = Notification.objects.get_or_create(
        recipient_id=recipient_id,
        key=key,
        defaults={"actor_id": actor_id, "type": kind, "post_id": post_id},
    )
    if created:
        publish_notification(notification.id, recipient_id)
    return notification


def withdraw(
    recipient_id: int,
    *,
    actor_id: int,
    kind: NotificationType,
    post_id: int | None = None,
) -> None:
    """Remove a notification whose cause was undone (an unfavourite, say)."""
    Notification.objects.filter(
        recipient_id=recipient_id, key=f"{kind}:{actor_id}:{post_id or ''}"
    ).delete()


def mark_all_read(account: Account) -> None:
    """Mark every notification ``account`` has now as read."""
    newest = (
        Notification.objects.filter(recipient=account)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if newest is not None:
        Account.objects.filter(pk=account.pk, notifications_read_id__lt=newest).update(
            notifications_read_id=newest
        )
        account.notifications_read_id = max(account.notifications_read_id, newest)


def dismiss(account: Account, notification_id: int) -> None:
    """Delete one of ``account``'s notifications; a no-op if there is none."""
    Notification.objects.filter(recipient=account, id=notification_id).delete()


def clear(account: Account) -> None:
    """Delete all of ``account``'s notifications."""
    Notification.objects.filter(recipient=account).delete()
