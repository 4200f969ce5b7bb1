"""Writes about moderation: the public log."""

from hubbub.accounts.models import Account
from hubbub.moderation.models import Action, LogEntry
from hubbub.posts.models import Post


def record(
    moderator: Account | None,
    *,
    action: Action,
    reason: str,
    account: Account | None = None,
    post: Post | None = None,
) -> LogEntry:
    """Write one public moderation log line; ``moderator`` None is hubbub.

    Call it inside the transaction that makes the change it records, so the
    log never claims an action that rolled back.
    """
    if post is not None and account is None:
        account = post.author
    return LogEntry.objects.create(
        moderator=moderator, action=action, reason=reason, account=account, post=post
    )
