"""Jobs of social news: previews, promotion notices and the periodic work.

``fetch_preview`` and ``notify_promotion`` are queued after the commit
that causes them, with ids only. ``run_periodic_jobs`` is called by every
worker's sweeper (every few seconds); each job in it is cheap when there
is nothing to do, and the hourly ones claim their turn with a conditional
UPDATE, so any number of workers run each at most once per period.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, FloatField, Q, Value, When
from django.db.models.functions import Greatest, Power
from django.tasks import task
from django.utils import timezone

from hubbub.core import safe_http
from hubbub.core.previews import parse_preview
from hubbub.news import actions, ranking
from hubbub.news.models import (
    PREVIEW_ERROR_MAX_LENGTH,
    Association,
    Community,
    PreviewState,
    State,
    Story,
    StoryVote,
    VoteKind,
)
from hubbub.notifications.actions import notify
from hubbub.notifications.models import NotificationType

logger = logging.getLogger(__name__)

# Promoted stories drop off the front page (rank 0) a week after promotion:
# by then gravity has sunk them below any fresh story, and the refresh
# touches only a week of promotions however old the site is.
FRONT_PAGE_HORIZON = timedelta(days=7)
# The threshold is re-fitted to the last 7 days of stories, hourly (§3.4).
THRESHOLD_WINDOW = timedelta(days=7)
THRESHOLD_PERIOD = timedelta(hours=1)
# Co-digg overlap (§3.2, "Detecting associates"): two accounts that dugg at
# least 3 of the same stories in 90 days, with a Jaccard index of 0.5 or
# more, count as associated. Refreshed hourly.
ASSOCIATION_WINDOW = timedelta(days=90)
ASSOCIATION_MIN_COMMON = 3
ASSOCIATION_MIN_OVERLAP = 0.5
ASSOCIATION_PERIOD = timedelta(hours=1)
# accounts whose pairs one run of the refresh recomputes: a run's cost is
# bounded however many accounts dig; a sweep takes as many sweeper ticks
# as it needs.
ASSOCIATION_BATCH = 500
_LARGEST_ID = 2**63 - 1


# Queued jobs ----------------------------------------------------------------


def _preview_allowlist() -> list[str]:
    return [a for a in settings.HUBBUB_PREVIEW_ALLOW_ADDRESSES.split(",") if a]


@task()
def fetch_preview(story_id: int) -> None:
    """Fetch a story's link preview through the SSRF-safe fetcher.

    Internal addresses are refused before any connection (operators list
    LAN peers in HUBBUB_PREVIEW_ALLOW_ADDRESSES); a refusal or failure is
    stored as the preview's error and the story goes on without a card.
    Runs once per story: a story whose preview is done or failed is left.
    """
    story = Story.objects.filter(
        post_id=story_id, preview_state=PreviewState.PENDING
    ).first()
    if story is None:
        return
    fields: dict[str, str]
    try:
        response = safe_http.fetch(
            story.normalised_url, allow_addresses=_preview_allowlist()
        )
        if response.status != 200:
            raise safe_http.FetchError(f"the page answered {response.status}")
        if response.content_type not in ("text/html", "application/xhtml+xml"):
            raise safe_http.FetchError(f"the page is {response.content_type}")
        preview = parse_preview(response.text(), response.url)
        fields = {
            "preview_state": PreviewState.DONE,
            "preview_title": preview.title,
            "preview_description": preview.description,
            "preview_site_name": preview.site_name,
            "preview_image_url": preview.image_url or "",
            "preview_error": "",
        }
    except safe_http.FetchError as e:
        fields = {
            "preview_state": PreviewState.FAILED,
            "preview_error": e.reason[:PREVIEW_ERROR_MAX_LENGTH],
        }
    Story.objects.filter(post_id=story_id, preview_state=PreviewState.PENDING).update(
        **fields
    )


@task()
def notify_promotion(story_id: int) -> None:
    """Tell a promoted story's submitter and diggers that it was promoted.

    The submitter hears it from the digger who tipped it over; each digger
    from the submitter. ``notify`` writes each at most once, so the job may
    run again safely.
    """
    story = (
        Story.objects.filter(post_id=story_id, state=State.PROMOTED)
        .select_related("post")
        .first()
    )
    if story is None:
        return
    submitter_id = story.post.author_id
    promoted_by = (story.why or {}).get("promoted_by")
    kind = NotificationType.PROMOTED
    if promoted_by:
        notify(submitter_id, actor_id=promoted_by, kind=kind, post_id=story_id)
    diggers = (
        StoryVote.objects.filter(story=story, kind=VoteKind.DIGG)
        .exclude(account_id=submitter_id)
        .order_by("id")
        .values_list("account_id", flat=True)
    )
    for digger_id in diggers:
        notify(digger_id, actor_id=submitter_id, kind=kind, post_id=story_id)


# Periodic jobs ----------------------------------------------------------------


def run_periodic_jobs(now: datetime | None = None) -> None:
    """Run every periodic news job that is due (the worker's sweeper calls
    this every few seconds)."""
    now = now or timezone.now()
    promote_due_stories(now)
    archive_expired_stories(now)
    refresh_front_page(now)
    adapt_threshold(now)
    refresh_associations(now)


def promote_due_stories(now: datetime) -> int:
    """Promote upcoming stories that meet the rule now that time has passed.

    A story can meet every bar inside its first MIN_DWELL, or before the
    threshold fell; no digg comes to promote it then. Only stories that
    pass the cheap bars (E, clusters, age) on their stored aggregates are
    re-tallied. Returns how many were promoted.
    """
    candidates = Story.objects.filter(
        state=State.UPCOMING,
        post__deleted_at__isnull=True,
        submitted_at__lte=now - ranking.MIN_DWELL,
        submitted_at__gt=now - ranking.PROMOTION_WINDOW,
        effective__gte=actions.current_threshold() - 1e-9,
        clusters__gte=ranking.MIN_CLUSTERS,
    ).values_list("post_id", flat=True)
    promoted = 0
    for story_id in list(candidates):
        with transaction.atomic():
            story = actions.lock_story(story_id)
            if story is None or story.state != State.UPCOMING:
                continue
            actions.retally(story, now=now)
            promoted += story.state == State.PROMOTED
    return promoted


def archive_expired_stories(now: datetime) -> int:
    """Archive upcoming stories whose promotion window has closed."""
    return Story.objects.filter(
        state=State.UPCOMING, submitted_at__lte=now - ranking.PROMOTION_WINDOW
    ).update(state=State.ARCHIVED)


def front_page_rank_sql(now: datetime) -> Case:
    """Return ``ranking.front_page_rank`` (with the heated-thread penalty)
    as one SQL expression over a story's columns at ``now``.

    The same formula as the Python one, so a whole re-rank is one UPDATE;
    tests check both give the same ranks. Past FRONT_PAGE_HORIZON the rank
    is 0.
    """
    now_hour = actions.hours_since_epoch(now)
    horizon = FRONT_PAGE_HORIZON.total_seconds() / 3600
    hours = Greatest(Value(now_hour) - F("promoted_hour"), Value(0.0))
    support = Power(
        Greatest(F("effective") - Value(1.0), Value(0.0)),
        Value(ranking.FRONT_PAGE_VOTE_EXPONENT),
    )
    gravity = Power(
        hours + Value(ranking.FRONT_PAGE_AGE_OFFSET_HOURS),
        Value(ranking.FRONT_PAGE_GRAVITY),
    )
    heated = Case(
        When(
            Q(comments_count__gt=ranking.HEATED_THREAD_MIN_COMMENTS)
            & Q(comments_count__gt=F("effective")),
            then=Power(
                Greatest(F("effective"), Value(0.0)) / F("comments_count"),
                Value(2.0),
            ),
        ),
        default=Value(1.0),
        output_field=FloatField(),
    )
    return Case(
        When(promoted_hour__lt=now_hour - horizon, then=Value(0.0)),
        When(effective__lte=1.0, then=Value(0.0)),
        default=support / gravity * heated,
        output_field=FloatField(),
    )


def refresh_front_page(now: datetime) -> int:
    """Re-rank the promoted stories that can be on the front page.

    One UPDATE over stories promoted within FRONT_PAGE_HORIZON, plus those
    that just left it (rank set to 0 once); older stories are not touched.
    Returns how many rows it rewrote.
    """
    oldest = actions.hours_since_epoch(now - FRONT_PAGE_HORIZON)
    return Story.objects.filter(
        Q(promoted_hour__gte=oldest) | Q(rank__gt=0.0), state=State.PROMOTED
    ).update(rank=front_page_rank_sql(now))


def _claim(field: str, period: timedelta, now: datetime) -> bool:
    """Take this period's turn at a periodic job; False if it is not due or
    another worker took it."""
    row, _ = Community.objects.get_or_create(id=1)
    last = getattr(row, field)
    if last is not None and now - last < period:
        return False
    return bool(Community.objects.filter(id=1, **{field: last}).update(**{field: now}))


def adapt_threshold(now: datetime, *, force: bool = False) -> float | None:
    """Re-fit the promotion threshold to the last week's stories (§3.4).

    Counts the stories submitted in THRESHOLD_WINDOW that pass the rule's
    bars at the current threshold, per day, and lets
    ``ranking.adapt_threshold`` move T toward HUBBUB_NEWS_PROMOTIONS_PER_DAY.
    Runs at most hourly unless ``force``. Returns the new T, or None when
    it was not due.
    """
    row, _ = Community.objects.get_or_create(id=1)
    previous_at = row.threshold_updated_at
    if not force and not _claim("threshold_updated_at", THRESHOLD_PERIOD, now):
        return None
    recent = Story.objects.filter(
        submitted_at__gt=now - THRESHOLD_WINDOW, post__deleted_at__isnull=True
    )
    first = recent.order_by("submitted_at").values_list("submitted_at", flat=True)
    oldest = next(iter(first), None)
    if oldest is None:
        return row.threshold  # no stories: nothing to learn from
    days = min(THRESHOLD_WINDOW, max(now - oldest, timedelta(days=1))).days or 1
    passed = recent.filter(
        effective__gte=row.threshold - 1e-9, clusters__gte=ranking.MIN_CLUSTERS
    ).count()
    elapsed = min(7.0, max(0.0, (now - previous_at).total_seconds() / 86400))
    threshold = ranking.adapt_threshold(
        row.threshold,
        passed / days,
        settings.HUBBUB_NEWS_PROMOTIONS_PER_DAY,
        elapsed_days=elapsed,
    )
    Community.objects.filter(id=1).update(threshold=threshold, threshold_updated_at=now)
    return threshold


def refresh_associations(
    now: datetime, *, force: bool = False, batch: int = ASSOCIATION_BATCH
) -> int | None:
    """Recompute which accounts dig together (co-digg overlap), ``batch``
    accounts a run, and re-cluster the upcoming stories it changes.

    A sweep walks the accounts with recent diggs in id order: each run
    recomputes the pairs whose smaller id is among the next ``batch`` of
    them (pairs with ASSOCIATION_MIN_COMMON common diggs in
    ASSOCIATION_WINDOW and a Jaccard index of at least
    ASSOCIATION_MIN_OVERLAP), replaces their ``Association`` rows, and
    stores where it stopped; the next run (the sweeper's next tick)
    resumes there. A sweep starts at most hourly unless ``force``. Stories
    still in their promotion window with a vote from an account whose
    pairs changed are re-clustered and re-tallied, so a ring found today
    stops counting as strangers on stories it is pushing now. Returns how
    many pairs this run found, or None when nothing was due.
    """
    row, _ = Community.objects.get_or_create(id=1)
    after = row.associations_cursor
    if (
        after is None
        and not force
        and not _claim("associations_refreshed_at", ASSOCIATION_PERIOD, now)
    ):
        return None
    since = now - ASSOCIATION_WINDOW
    start = after or 0
    accounts = list(
        StoryVote.objects.filter(
            kind=VoteKind.DIGG, created_at__gte=since, account_id__gt=start
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[: batch + 1]
    )
    last = len(accounts) <= batch
    upto = None if last else accounts[batch - 1]
    # Take this batch: of workers that read the same place, one moves it.
    if not Community.objects.filter(id=1, associations_cursor=after).update(
        associations_cursor=upto
    ):
        return None
    pairs = _co_digg_pairs(since, after=start, upto=upto)
    found = {(a, b) for a, b, _ in pairs}
    with transaction.atomic():
        old = Association.objects.filter(account_a_id__gt=start)
        if upto is not None:
            old = old.filter(account_a_id__lte=upto)
        before = set(old.values_list("account_a_id", "account_b_id"))
        old.delete()
        Association.objects.bulk_create(
            Association(account_a_id=a, account_b_id=b, overlap=overlap)
            for a, b, overlap in pairs
        )
    changed = {account for pair in before ^ found for account in pair}
    _recluster_open_stories(changed, now)
    return len(pairs)


def _recluster_open_stories(accounts: set[int], now: datetime) -> None:
    """Re-cluster and re-tally the stories in their promotion window that
    ``accounts`` voted on."""
    if not accounts:
        return
    open_stories = (
        Story.objects.filter(
            state=State.UPCOMING,
            submitted_at__gt=now - ranking.PROMOTION_WINDOW,
            votes__account_id__in=accounts,
        )
        .values_list("post_id", flat=True)
        .distinct()
    )
    for story_id in list(open_stories):
        with transaction.atomic():
            story = actions.lock_story(story_id)
            if story is None:
                continue
            actions.recluster(story, VoteKind.DIGG)
            actions.recluster(story, VoteKind.BURY)
            actions.retally(story, now=now)


def _co_digg_pairs(
    since: datetime, *, after: int, upto: int | None
) -> list[tuple[int, int, float]]:
    """Return (a, b, Jaccard) for account pairs that dig together, a < b,
    with ``after`` < a ≤ ``upto`` (no upper bound when None)."""
    table = StoryVote._meta.db_table
    # A self-join on the story: every pair of diggers of each story. Plain
    # SQL that both databases run the same way.
    sql = f"""
        SELECT v1.account_id, v2.account_id, COUNT(*)
        FROM {table} v1 JOIN {table} v2
          ON v1.story_id = v2.story_id AND v1.account_id < v2.account_id
        WHERE v1.kind = %s AND v2.kind = %s
          AND v1.created_at >= %s AND v2.created_at >= %s
          AND v1.account_id > %s AND v1.account_id <= %s
        GROUP BY v1.account_id, v2.account_id
        HAVING COUNT(*) >= %s
    """  # noqa: S608 - the table name is the model's; values are parameters
    digg = VoteKind.DIGG.value
    high = upto if upto is not None else _LARGEST_ID
    params: list[Any] = [digg, digg, since, since, after, high, ASSOCIATION_MIN_COMMON]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        common = cursor.fetchall()
    if not common:
        return []
    accounts = {a for a, _, _ in common} | {b for _, b, _ in common}
    totals = dict(
        StoryVote.objects.filter(
            kind=VoteKind.DIGG, created_at__gte=since, account_id__in=accounts
        )
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
        .order_by()
    )
    pairs = []
    for a, b, shared in common:
        overlap = shared / (totals[a] + totals[b] - shared)
        if overlap >= ASSOCIATION_MIN_OVERLAP:
            pairs.append((a, b, overlap))
    return pairs
