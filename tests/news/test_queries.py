"""Reads: Upcoming, the front page, the why record and comment trees."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from hubbub.accounts.actions import block_account
from hubbub.news import queries, ranking
from hubbub.news.actions import bury_comment, bury_story, digg_story, submit_story
from hubbub.news.models import State, Story
from hubbub.news.tasks import promote_due_stories, refresh_front_page
from hubbub.posts.actions import delete_post, favourite_post, publish_note
from tests.news.conftest import member, members, mutual_follow, story_by, submitted_ago


def _promoted(author, url: str, crowd, *, minutes_ago: float = 30) -> Story:
    story = submitted_ago(story_by(author, url), minutes_ago)
    for voter in crowd:
        digg_story(voter, story=story)
    story.refresh_from_db()
    assert story.state == State.PROMOTED
    return story


def test_upcoming_says_what_each_story_still_needs(submitter):
    story = story_by(submitter)
    for voter in members(3):
        digg_story(voter, story=story)
    page = queries.upcoming(None)
    (item,) = page.items
    assert item.story.pk == story.pk
    assert item.needs == (
        "needs 2.0 more effective diggs from at least 2 more independent "
        "groups within 23 h"
    )
    assert page.threshold == ranking.THRESHOLD_FLOOR
    assert page.sentence == (
        "Today a story needs 5.0 effective diggs from 5+ independent groups "
        "within 24 h."
    )


def test_upcoming_sorts_rising_newest_and_by_topic(submitter):
    old = submit_story(submitter, url="https://a.example/", title="Old", topic="sci")
    old = submitted_ago(old.story, 60)
    new = submit_story(submitter, url="https://b.example/", title="New").story
    for voter in members(3):
        digg_story(voter, story=old)
    rising = [i.story.pk for i in queries.upcoming(None, sort="rising").items]
    newest = [i.story.pk for i in queries.upcoming(None, sort="newest").items]
    assert rising == [old.pk, new.pk]  # 3 diggs outweigh an hour of freshness
    assert newest == [new.pk, old.pk]
    assert [i.story.pk for i in queries.upcoming(None, topic="sci").items] == [old.pk]
    assert queries.topics() == [("sci", 1)]
    with pytest.raises(ValueError, match="Unknown sort"):
        queries.upcoming(None, sort="hot")  # type: ignore[arg-type]


def test_upcoming_leaves_out_closed_windows_and_the_invisible(submitter):
    expired = submitted_ago(story_by(submitter, "https://old.example/"), 25 * 60)
    visible = story_by(submitter, "https://new.example/")
    blocked = member()
    block_account(submitter, target=blocked)
    assert [i.story.pk for i in queries.upcoming(None).items] == [visible.pk]
    assert queries.upcoming(blocked).items == []
    assert expired.state == State.UPCOMING


def test_the_front_page_orders_by_rank_in_at_most_three_queries(
    submitter, django_assert_max_num_queries
):
    crowd = members(12)
    older = _promoted(submitter, "https://one.example/", crowd, minutes_ago=300)
    newer = _promoted(submitter, "https://two.example/", crowd[:6])
    # Promoted 4 h 40 min apart in the test's clock: age the first one.
    Story.objects.filter(pk=older.pk).update(
        promoted_hour=older.promoted_hour - 4.5, promoted_at=older.promoted_at
    )
    refresh_front_page(timezone.now())
    viewer = crowd[0]
    with django_assert_max_num_queries(3):
        page = queries.front_page(viewer)
        shown = [(s.pk, s.dugg, s.post.author.username) for s in page.stories]
    assert shown == [
        (newer.pk, True, submitter.username),
        (older.pk, True, submitter.username),
    ]
    with django_assert_max_num_queries(3):
        newest = [s.pk for s in queries.newest_promoted(None).stories]
    assert newest == [newer.pk, older.pk]


def test_a_deleted_story_leaves_the_front_page(submitter):
    story = _promoted(submitter, "https://gone.example/", members(5))
    delete_post(submitter, post=story.post)
    assert queries.front_page(None).stories == []
    with pytest.raises(Http404):
        queries.why(None, story.pk)


def test_why_shows_the_frozen_record_and_the_current_factors(submitter):
    friends = members(4, "friend")
    for friend in friends:
        mutual_follow(friend, submitter)
    story = submitted_ago(story_by(submitter), 30)
    digg_story(submitter, story=story)
    for voter in [*friends, *members(6)]:
        digg_story(voter, story=story)
    bury_story(member(), story=story, reason="duplicate")
    why = queries.why(None, story.pk)
    assert why.story.state == State.PROMOTED
    assert why.record is not None
    assert why.record["threshold"] == ranking.THRESHOLD_FLOOR
    assert why.own_digg
    assert "the submitter's own digg counts as 0" in why.discounts
    assert (
        "4 diggs from the submitter's mutual follows and invite tree counted as 1.1"
        in why.discounts
    )
    assert why.bury_reasons == {"duplicate": 1}
    assert why.factors is not None
    assert why.factors.rank > 0
    assert why.factors.penalties == []


def test_why_for_an_upcoming_story_explains_the_shortfall(submitter):
    story = story_by(submitter)
    digg_story(member(), story=story)
    why = queries.why(None, story.pk)
    assert why.record is None
    assert why.factors is None
    assert why.check.explain().startswith("needs 4.0 more effective diggs")


def test_comments_sort_best_new_old_and_collapse_buried_ones(submitter):
    story = story_by(submitter)
    a, b, c = members(3)
    first = publish_note(a, text="First!", in_reply_to=story.post)
    good = publish_note(b, text="A thoughtful point", in_reply_to=story.post)
    reply = publish_note(c, text="Agreed", in_reply_to=good)
    for voter in members(4):
        favourite_post(voter, post=good)
    for voter in members(3):
        bury_comment(voter, post=first, reason="spam")
    best = queries.story_comments(None, story, sort="best")
    assert [(c.id, c.depth) for c in best] == [
        (good.pk, 1),
        (reply.pk, 2),
        (first.pk, 1),
    ]
    assert best[0].score == pytest.approx(ranking.wilson_lower_bound(4, 0))
    buried = best[2]
    assert buried.collapsed
    assert buried.collapse_reason == "buried 3 times, mostly as spam"
    new = [c.id for c in queries.story_comments(None, story, sort="new")]
    old = [c.id for c in queries.story_comments(None, story, sort="old")]
    assert new == [good.pk, reply.pk, first.pk]
    assert old == [first.pk, good.pk, reply.pk]
    with pytest.raises(ValueError, match="Unknown sort"):
        queries.story_comments(None, story, sort="top")  # type: ignore[arg-type]


def test_promote_due_runs_only_for_stories_that_can_pass(submitter):
    ready = story_by(submitter, "https://ready.example/")
    for voter in members(5):
        digg_story(voter, story=ready)
    story_by(submitter, "https://short.example/")
    later = timezone.now() + timedelta(minutes=21)
    assert promote_due_stories(later) == 1
    assert promote_due_stories(later) == 0
