"""Writes about moderation: reports, what moderators do, the public log."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from hubbub.accounts.models import Account
from hubbub.core.ratelimits import enforce
from hubbub.core.text import has_forbidden_characters
from hubbub.moderation.models import (
    REASON_MAX_LENGTH,
    Action,
    HiddenPost,
    LogEntry,
    Reason,
    Report,
)
from hubbub.moderation.permissions import is_moderator
from hubbub.posts.models import Post
from hubbub.posts.queries import visible_posts


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


def _check_text(text: str, *, what: str, required: bool) -> str:
    text = text.strip()
    if required and not text:
        raise ValidationError(f"Give a {what}.", code="blank")
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError(
            f"A {what} is at most {REASON_MAX_LENGTH} characters.", code="long"
        )
    if has_forbidden_characters(text):
        raise ValidationError(
            f"The {what} contains characters that are not allowed.", code="invalid"
        )
    return text


# --- reports ---------------------------------------------------------------------


def report_post(
    reporter: Account, *, post: Post, reason: str, comment: str = ""
) -> Report:
    """Ask the moderators to look at ``post`` (a boost: its original).

    The post must be one ``reporter`` may see (else Http404, as for any
    read); see ``_file_report`` for the rest.
    """
    original = (
        visible_posts(reporter)
        .filter(id=post.reblog_of_id or post.pk)
        .select_related("author")
        .first()
    )
    if original is None:
        raise Http404("No such post.")
    return _file_report(
        reporter, account=original.author, post=original, reason=reason, comment=comment
    )


def report_account(
    reporter: Account, *, account: Account, reason: str, comment: str = ""
) -> Report:
    """Ask the moderators to look at ``account`` as a whole."""
    if not account.is_active:
        raise Http404("No such account.")
    return _file_report(
        reporter, account=account, post=None, reason=reason, comment=comment
    )


def _file_report(
    reporter: Account,
    *,
    account: Account,
    post: Post | None,
    reason: str,
    comment: str,
) -> Report:
    """Write a report, or return the open one ``reporter`` already made.

    ``reason`` is one of ``Reason``; ``comment`` is optional. Nobody
    reports themselves (ValidationError, code ``self``); bad input is a
    ValidationError and writes nothing. New reports count against the
    reporting limit (RateLimitedError). A "promotional" report about a post
    also queues ``label_if_reported``, which labels the post once enough
    independent readers agree (``labels.weigh_promotional_reports``).
    """
    from hubbub.moderation import tasks

    if reason not in Reason.values:
        raise ValidationError("Choose a reason from the list.", code="reason")
    comment = _check_text(comment, what="comment", required=False)
    if account.pk == reporter.pk:
        raise ValidationError("You can't report yourself.", code="self")
    open_reports = Report.objects.filter(
        reporter=reporter, account=account, post=post, resolved_at__isnull=True
    )
    if (existing := open_reports.first()) is not None:
        return existing
    enforce("report", account=reporter)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                account=account,
                post=post,
                reason=reason,
                comment=comment,
            )
    except IntegrityError:
        # The same report, sent twice at once: ``report_once_open`` kept one.
        return open_reports.get()
    if post is not None and reason == Reason.PROMOTIONAL:
        # Readers' reports label a post once enough independent ones agree.
        transaction.on_commit(lambda: tasks.label_if_reported.enqueue(post.id))
    return report


# --- what moderators do ------------------------------------------------------------


def _check_moderator(moderator: Account) -> None:
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators can do that.")


def _resolve(moderator: Account, *, account: Account, post: Post | None) -> int:
    """Close the open reports the action answers: those about ``post``, or
    for an account-wide action every report about ``account``."""
    reports = Report.objects.filter(resolved_at__isnull=True, account=account)
    if post is not None:
        reports = reports.filter(post=post)
    return reports.update(resolved_at=timezone.now(), resolved_by=moderator)


def label_post(moderator: Account, *, post: Post, reason: str) -> LogEntry:
    """Label ``post`` promotional as a moderator and close its reports.

    ``labels.label_promotional`` sets the label readers see (with the
    reason) and writes the public log line.
    """
    # labels records through this module: import late.
    from hubbub.moderation.labels import label_promotional

    with transaction.atomic():
        labelled = label_promotional(moderator, post=post, reason=reason)
        _resolve(moderator, account=labelled.author, post=labelled)
        return LogEntry.objects.filter(post=labelled, action=Action.LABEL).latest("id")


def hide_post(moderator: Account, *, post: Post, reason: str) -> LogEntry:
    """Hide ``post`` from everyone but its author until it is restored."""
    return _act(moderator, Action.HIDE, reason, post=post, change=_hide)


def _hide(moderator: Account, post: Post | None, account: Account) -> None:
    HiddenPost.objects.get_or_create(post=post, defaults={"moderator": moderator})


def restore_post(moderator: Account, *, post: Post, reason: str) -> LogEntry:
    """Show a hidden ``post`` again."""

    def restore(moderator: Account, post: Post | None, account: Account) -> None:
        HiddenPost.objects.filter(post=post).delete()

    return _act(moderator, Action.RESTORE, reason, post=post, change=restore)


def delete_post(moderator: Account, *, post: Post, reason: str) -> LogEntry:
    """Delete ``post`` as its author could (a tombstone, out of every
    timeline), and log it."""

    def delete(moderator: Account, post: Post | None, account: Account) -> None:
        # posts.actions records labels through this module: import late.
        from hubbub.posts.actions import do_delete_post

        assert post is not None  # noqa: S101 (for mypy: _act passes it)
        do_delete_post(post)

    return _act(moderator, Action.DELETE, reason, post=post, change=delete)


def silence_account(moderator: Account, *, account: Account, reason: str) -> LogEntry:
    """Keep ``account``'s posts to its followers: off the public and tag
    timelines and search of everyone else. Its followers still get them."""

    def silence(moderator: Account, post: Post | None, account: Account) -> None:
        Account.objects.filter(pk=account.pk).update(silenced_at=timezone.now())

    return _act(moderator, Action.SILENCE, reason, account=account, change=silence)


def suspend_account(moderator: Account, *, account: Account, reason: str) -> LogEntry:
    """Suspend ``account`` at once: its sessions, tokens and streams end.

    The account becomes inactive, so its web sessions stop resolving to it
    (Django checks ``is_active`` on every request), its log-ins are
    refused, and its posts and profile disappear. Its OAuth tokens, refresh
    tokens and grants are deleted; the streaming server re-checks every
    open stream's token and session every ``HUBBUB_STREAMING_RECHECK``
    seconds and closes those that lost them. Moderators can't be suspended
    (take the role away in the admin first).
    """
    if is_moderator(account):
        raise ValidationError(
            "Moderators can't be suspended; remove the role first.", code="moderator"
        )
    return _act(moderator, Action.SUSPEND, reason, account=account, change=_suspend)


def _suspend(moderator: Account, post: Post | None, account: Account) -> None:
    Account.objects.filter(pk=account.pk).update(
        is_active=False, suspended_at=timezone.now()
    )
    get_refresh_token_model().objects.filter(user=account).delete()
    get_access_token_model().objects.filter(user=account).delete()
    get_grant_model().objects.filter(user=account).delete()
    account.is_active = False


def unsuspend_account(moderator: Account, *, account: Account, reason: str) -> LogEntry:
    """Lift ``account``'s suspension: it may log in again (with new tokens)."""

    def unsuspend(moderator: Account, post: Post | None, account: Account) -> None:
        Account.objects.filter(pk=account.pk).update(is_active=True, suspended_at=None)
        account.is_active = True

    return _act(moderator, Action.UNSUSPEND, reason, account=account, change=unsuspend)


def dismiss_report(moderator: Account, *, report: Report, reason: str) -> LogEntry:
    """Close ``report`` without acting on its subject, and log why."""
    _check_moderator(moderator)
    reason = _check_text(reason, what="reason", required=True)
    with transaction.atomic():
        Report.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=moderator
        )
        return record(
            moderator,
            action=Action.DISMISS,
            reason=reason,
            account=report.account,
            post=report.post,
        )


Change = Callable[[Account, Post | None, Account], None]


def _act(
    moderator: Account,
    action: Action,
    reason: str,
    *,
    post: Post | None = None,
    account: Account | None = None,
    change: Change | None = None,
) -> LogEntry:
    """Do one moderator action: check, change, close its reports, log.

    All in one transaction, so the log never names an action that rolled
    back. Only moderators may act (PermissionDenied); a reason is required
    (ValidationError).
    """
    _check_moderator(moderator)
    reason = _check_text(reason, what="reason", required=True)
    subject = post.author if post is not None else account
    assert subject is not None  # noqa: S101 (callers pass one of the two)
    with transaction.atomic():
        if change is not None:
            change(moderator, post, subject)
        _resolve(moderator, account=subject, post=post)
        return record(
            moderator, action=action, reason=reason, account=subject, post=post
        )


def act_on_report(
    moderator: Account, *, report: Report, action: str, reason: str
) -> LogEntry:
    """Answer ``report`` with one of the queue's actions: label, hide,
    delete, silence, suspend or dismiss.

    Post actions need a report about a post (ValidationError otherwise);
    account actions act on the reported account, the post's author for a
    report about a post.
    """
    _check_moderator(moderator)
    post, account = report.post, report.account
    if action == Action.DISMISS:
        return dismiss_report(moderator, report=report, reason=reason)
    if action in (Action.SILENCE, Action.SUSPEND):
        act = silence_account if action == Action.SILENCE else suspend_account
        return act(moderator, account=account, reason=reason)
    post_actions = {
        Action.LABEL: label_post,
        Action.HIDE: hide_post,
        Action.DELETE: delete_post,
    }
    if action not in post_actions:
        raise ValidationError("Choose an action from the list.", code="action")
    if post is None:
        raise ValidationError("That report is about an account, not a post.")
    return post_actions[Action(action)](moderator, post=post, reason=reason)
