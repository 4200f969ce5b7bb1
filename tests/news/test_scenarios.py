"""The research notes' §3.2 table, replayed through the real actions.

Each crowd diggs a story with ``digg_story`` (a favourite, as any client
sends it); the sweeper's ``promote_due_stories`` runs once the 20-minute
dwell has passed, as the worker runs it every few seconds.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from hubbub.news import ranking
from hubbub.news.actions import digg_story, submit_story
from hubbub.news.models import State, Story
from hubbub.news.tasks import promote_due_stories, refresh_associations
from hubbub.notifications.models import Notification, NotificationType
from tests.news.conftest import members, mutual_follow, story_by


def _after_dwell() -> timezone.datetime:
    return timezone.now() + ranking.MIN_DWELL + timedelta(minutes=1)


def _dig(story: Story, crowd) -> Story:
    for voter in crowd:
        digg_story(voter, story=story)
    story.refresh_from_db()
    return story


def test_thirty_independent_established_members_promote(submitter, run_jobs):
    story = _dig(story_by(submitter), members(30))
    assert story.effective == pytest.approx(30.0)
    assert story.clusters == 30
    assert story.state == State.UPCOMING  # still inside its 20-minute dwell
    with run_jobs():
        assert promote_due_stories(_after_dwell()) == 1
    story.refresh_from_db()
    assert story.state == State.PROMOTED
    assert story.why["effective"] == pytest.approx(30.0)
    assert story.why["clusters"] == 30
    assert story.why["largest_share"] == pytest.approx(1 / 30)
    assert story.why["discounts"] == []
    promoted = Notification.objects.filter(type=NotificationType.PROMOTED)
    assert promoted.filter(recipient=submitter).count() == 1
    assert promoted.exclude(recipient=submitter).count() == 30


def test_a_ring_of_thirty_new_accounts_does_not(submitter):
    ring = members(30, "ring", age_days=9)
    # The ring has dugg together before: the overlap job links them.
    for n in range(3):
        _dig(story_by(ring[n], f"https://ring.example/{n}"), ring)
    story = _dig(story_by(submitter), ring)
    assert story.effective == pytest.approx(9.0, rel=1e-3)  # strangers, for now
    refresh_associations(timezone.now(), force=True)
    story.refresh_from_db()
    assert story.effective == pytest.approx(3.0, rel=1e-3)
    assert story.clusters == 1
    assert promote_due_stories(_after_dwell()) == 0
    story.refresh_from_db()
    assert story.state == State.UPCOMING


def test_thirty_of_the_submitters_mutual_followers_do_not(submitter):
    followers = members(30, "friend")
    for friend in followers:
        mutual_follow(friend, submitter)
    story = _dig(story_by(submitter), followers)
    assert story.effective == pytest.approx(3.0, rel=1e-3)
    assert story.clusters == 1
    assert story.largest_share == pytest.approx(1.0)
    assert promote_due_stories(_after_dwell()) == 0
    story.refresh_from_db()
    assert story.state == State.UPCOMING


def test_a_mixed_crowd_does(submitter):
    followers = members(10, "friend")
    for friend in followers:
        mutual_follow(friend, submitter)
    story = _dig(story_by(submitter), [*followers, *members(12)])
    assert story.effective == pytest.approx(13.7, abs=0.05)
    assert story.clusters == 13
    assert promote_due_stories(_after_dwell()) == 1
    story.refresh_from_db()
    assert story.state == State.PROMOTED
    texts = [d["text"] for d in story.why["discounts"]]
    assert texts == [
        "10 diggs from the submitter's mutual follows and invite tree counted as 1.7"
    ]


def test_a_story_past_its_dwell_is_promoted_by_the_digg_that_crosses(submitter):
    story = submit_story(submitter, url="https://example.com/x", title="X").story
    from tests.news.conftest import submitted_ago

    story = submitted_ago(story, 30)
    crowd = members(5)
    _dig(story, crowd[:4])
    assert story.state == State.UPCOMING
    story = _dig(story, crowd[4:])
    assert story.state == State.PROMOTED
    assert story.why["promoted_by"] == crowd[4].pk
    assert story.why["seconds_in_upcoming"] >= 30 * 60
