"""Who may moderate."""

from hubbub.accounts.models import Account


def is_moderator(account: Account | None) -> bool:
    """Say whether ``account`` may work the moderation queue.

    Roles are set in Django's admin: staff accounts are moderators and
    superusers are admins (who are moderators too).
    """
    return bool(account and account.is_active and account.is_staff)
