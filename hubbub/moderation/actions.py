"""Writes about moderation: reports and the public log."""

from django.core.exceptions import ValidationError
from django.db import transaction

from hubbub.accounts.models import Account
from hubbub.moderation.models import REASON_MAX_LENGTH, Action, LogEntry, Reason, Report
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


def report_post(
    reporter: Account, *, post: Post, reason: str, comment: str = ""
) -> Report:
    """Ask moderators to look at ``post`` (a boost: its original).

    Raises Http404 if ``reporter`` may not see the post, and
    ValidationError for an unknown reason or an over-long comment; nothing
    is written then. Reporting a post again while the first report is open
    returns that report. A "promotional" report also queues
    ``label_if_reported``, which labels the post once enough independent
    readers agree (``labels.weigh_promotional_reports``).
    """
    from hubbub.moderation import tasks
    from hubbub.posts.queries import get_post

    if reason not in Reason.values:
        raise ValidationError("Choose a reason.", code="invalid_reason")
    if len(comment) > REASON_MAX_LENGTH:
        raise ValidationError(
            f"Keep the comment to {REASON_MAX_LENGTH} characters.",
            code="comment_too_long",
        )
    with transaction.atomic():
        original = get_post(reporter, post.reblog_of_id or post.id)
        report, _ = Report.objects.get_or_create(
            reporter=reporter,
            account_id=original.author_id,
            post=original,
            resolved_at__isnull=True,
            defaults={"reason": reason, "comment": comment},
        )
        if report.reason == Reason.PROMOTIONAL:
            transaction.on_commit(lambda: tasks.label_if_reported.enqueue(original.id))
    return report
