"""Reads about moderation: the moderators' queue and the public log."""

from django.db.models import QuerySet
from django.http import Http404

from hubbub.accounts.models import Account
from hubbub.moderation.models import LogEntry, Report
from hubbub.moderation.permissions import is_moderator

QUEUE_LIMIT = 100


def _check_moderator(viewer: Account | None) -> None:
    # The queue names reporters: for anyone else it does not exist.
    if not is_moderator(viewer):
        raise Http404("No such page.")


def report_queue(viewer: Account | None) -> list[Report]:
    """Return the open reports, newest first; Http404 unless a moderator."""
    _check_moderator(viewer)
    reports = (
        Report.objects.filter(resolved_at__isnull=True)
        .select_related("reporter", "account", "post__author")
        .order_by("-id")
    )
    return list(reports[:QUEUE_LIMIT])


def get_open_report(viewer: Account | None, report_id: int) -> Report:
    """Return one open report for a moderator, or raise Http404."""
    _check_moderator(viewer)
    try:
        return Report.objects.select_related("account", "post__author").get(
            pk=report_id, resolved_at__isnull=True
        )
    except (Report.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such report.") from e


def moderation_log() -> QuerySet[LogEntry]:
    """Return the public moderation log, newest first (anyone may read it).

    Each line carries its moderator and account; the post is named by id
    only, so the log shows nothing of a post its reader may not see.
    """
    return LogEntry.objects.select_related("moderator", "account").order_by("-id")
