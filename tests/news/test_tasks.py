"""The periodic news jobs: re-ranking, archiving, the threshold."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hubbub.news import ranking
from hubbub.news.actions import digg_story, hours_since_epoch
from hubbub.news.models import Community, State, Story
from hubbub.news.tasks import (
    FRONT_PAGE_HORIZON,
    adapt_threshold,
    archive_expired_stories,
    notify_promotion,
    refresh_front_page,
    run_periodic_jobs,
)
from hubbub.notifications.models import Notification
from tests.news.conftest import members, story_by, submitted_ago


@pytest.mark.parametrize(
    ("effective", "hours", "comments"),
    [
        (30.0, 0.0, 0),
        (13.7, 5.5, 12),
        (6.0, 30.0, 0),
        (1.0, 1.0, 0),  # E <= 1 ranks 0
        (20.0, 3.0, 90),  # a heated thread: 90 comments for 20 diggs
        (50.0, 2.0, 45),  # many comments, but fewer than diggs: no penalty
    ],
)
def test_the_sql_re_rank_matches_the_python_formula(
    submitter, effective, hours, comments
):
    now = timezone.now()
    story = story_by(submitter)
    Story.objects.filter(pk=story.pk).update(
        state=State.PROMOTED,
        effective=effective,
        comments_count=comments,
        promoted_hour=hours_since_epoch(now) - hours,
    )
    assert refresh_front_page(now) == 1
    story.refresh_from_db()
    penalty = ranking.heated_thread_penalty(effective, comments)
    expected = ranking.front_page_rank(effective, hours, [penalty])
    assert story.rank == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_the_re_rank_touches_only_the_horizon_and_zeroes_who_leaves_it(submitter):
    now = timezone.now()
    fresh, leaving, long_gone = (
        story_by(submitter, f"https://{n}.example/") for n in "abc"
    )
    past = hours_since_epoch(now - FRONT_PAGE_HORIZON)
    for story, hour, rank in (
        (fresh, hours_since_epoch(now) - 1, 0.0),
        (leaving, past - 1, 0.5),
        (long_gone, past - 100, 0.0),
    ):
        Story.objects.filter(pk=story.pk).update(
            state=State.PROMOTED, effective=10.0, promoted_hour=hour, rank=rank
        )
    assert refresh_front_page(now) == 2  # long_gone is not touched
    ranks = dict(Story.objects.values_list("post_id", "rank"))
    assert ranks[fresh.pk] > 0
    assert ranks[leaving.pk] == 0.0
    assert refresh_front_page(now) == 1


def test_stories_past_their_window_are_archived(submitter):
    old = submitted_ago(story_by(submitter, "https://old.example/"), 24 * 60 + 1)
    new = story_by(submitter, "https://new.example/")
    assert archive_expired_stories(timezone.now()) == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, new.state) == (State.ARCHIVED, State.UPCOMING)
    for voter in members(5):
        digg_story(voter, story=old)
    old.refresh_from_db()
    assert old.state == State.ARCHIVED  # diggs still count, but no promotion


def test_the_threshold_adapts_hourly_toward_the_target(submitter, settings):
    settings.HUBBUB_NEWS_PROMOTIONS_PER_DAY = 1
    now = timezone.now()
    Community.objects.create(
        id=1, threshold=10.0, threshold_updated_at=now - timedelta(days=1)
    )
    # Two stories a day pass at T = 10 where one is wanted: T rises, capped
    # at +20% a day.
    for n in range(2):
        story = story_by(submitter, f"https://t{n}.example/")
        Story.objects.filter(pk=story.pk).update(effective=12.0, clusters=6)
    assert adapt_threshold(now) == pytest.approx(12.0)
    assert adapt_threshold(now) is None  # not due again within the hour
    assert Community.objects.get().threshold == pytest.approx(12.0)


def test_the_threshold_never_falls_below_the_floor(submitter):
    now = timezone.now()
    Community.objects.create(
        id=1, threshold=5.2, threshold_updated_at=now - timedelta(days=3)
    )
    story_by(submitter)
    assert adapt_threshold(now) == ranking.THRESHOLD_FLOOR


def test_notifying_a_promotion_twice_writes_each_notice_once(submitter):
    story = submitted_ago(story_by(submitter), 30)
    crowd = members(5)
    for voter in crowd:
        digg_story(voter, story=story)
    notify_promotion.call(story.pk)
    notify_promotion.call(story.pk)
    received = sorted(Notification.objects.values_list("recipient_id", "actor_id"))
    assert received == sorted(
        [(submitter.pk, crowd[-1].pk)] + [(v.pk, submitter.pk) for v in crowd]
    )


def test_the_periodic_jobs_run_together_without_work(db):
    run_periodic_jobs(timezone.now())
    assert Community.objects.get().associations_refreshed_at is not None
