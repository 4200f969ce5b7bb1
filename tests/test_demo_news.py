"""The demo community's social news: its data, and what ``demo`` makes of it.

The seed goes through the news actions, so these tests check that the rules
put each story where the demo means it to be: promoted with comments, in
Upcoming at different distances from the threshold, or held for review.
"""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hubbub.core.management.commands.demo import load_community
from hubbub.core.text import check_note_text
from hubbub.moderation.models import Action, LogEntry
from hubbub.news import queries
from hubbub.news.models import PreviewState, State, Story
from hubbub.news.tasks import promote_due_stories, refresh_associations
from hubbub.posts.models import Post
from tests.conftest import run_queued_tasks
from tests.test_demo import USERNAMES, seed

NEWS = load_community()["news"]
MEMBERS = [a["username"] for a in NEWS["accounts"]]
STORIES = {s["key"]: s for s in NEWS["stories"]}
PROMOTED = {k for k, s in STORIES.items() if "promoted_after_minutes" in s}


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Hash passwords cheaply: thirty-four Argon2 hashes per seed are slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored(key: str) -> Story:
    return Story.objects.select_related("post").get(title=STORIES[key]["title"])


# --- the data ----------------------------------------------------------------


def test_news_members_are_their_own_people_and_mostly_established():
    assert len(set(MEMBERS)) == len(MEMBERS) >= 20
    assert not set(MEMBERS) & set(USERNAMES)
    new = [a for a in NEWS["accounts"] if a["joined_days_ago"] < 30]
    assert 1 <= len(new) <= 4
    for account in NEWS["accounts"]:
        assert check_note_text(account["intro"]) == account["intro"]


def test_only_one_pair_of_members_follows_each_other():
    follows = {tuple(pair) for pair in NEWS["follows"]}
    mutual = {frozenset(p) for p in follows if (p[1], p[0]) in follows}
    assert mutual == {frozenset({"greta_grows", "ines_maps"})}


def test_stories_comments_and_votes_name_members_and_earlier_comments():
    keys: set[str] = set()
    for story in NEWS["stories"]:
        assert story["submitter"] not in story["diggers"]
        assert {story["submitter"], *story["diggers"]} <= set(MEMBERS)
        for comment in story.get("comments", []):
            assert check_note_text(comment["text"]) == comment["text"]
            assert comment["author"] in MEMBERS
            assert comment["minutes_after"] < story["hours_ago"] * 60
            assert comment.get("in_reply_to", story["key"]) in keys | {story["key"]}
            keys.add(comment["key"])
    for username, key, *_ in NEWS["comment_favourites"] + NEWS["comment_buries"]:
        assert username in MEMBERS
        assert key in keys


# --- the seed ----------------------------------------------------------------
# Each test seeds once (about ten seconds); the checks of one seeded
# community share a test.


def test_the_seed_builds_a_front_page_upcoming_and_a_held_story(db):
    output = seed()
    now = timezone.now()

    assert "; 22 news members, 6 promoted stories, 6 upcoming, 1 held " in output
    _check_front_page(now)
    _check_upcoming()
    _check_held()
    _check_comments()
    _check_pages()


def _check_front_page(now: datetime) -> None:
    front = queries.front_page(None).stories
    assert {s.title for s in front} == {STORIES[k]["title"] for k in PROMOTED}
    for key in PROMOTED:
        entry, story = STORIES[key], stored(key)
        assert story.state == State.PROMOTED
        assert story.comments_count == len(entry["comments"]) > 0
        # Promoted as of the moment the entry names, and the frozen record
        # agrees: the minutes it spent in Upcoming.
        submitted = now - timedelta(hours=entry["hours_ago"])
        assert abs(story.submitted_at - submitted) < timedelta(minutes=1)
        waited = timedelta(minutes=entry["promoted_after_minutes"])
        assert story.promoted_at == story.submitted_at + waited
        assert story.why["seconds_in_upcoming"] == waited.total_seconds()
        assert story.why["clusters"] >= 5
        assert story.preview_state == PreviewState.DONE
        assert story.preview_title == entry["preview"]["title"]
        assert story.post.created_at == story.submitted_at
    # The freshest promotion with enough support leads.
    assert front[0].title == STORIES["traffic_lights"]["title"]
    # Its submitter dugg it too, and the record says that counted 0.
    assert front[0].why["own_digg"]


def _check_upcoming() -> None:
    needs = {item.story.title: item.needs for item in queries.upcoming(None).items}

    def said(key: str) -> str:
        return needs[STORIES[key]["title"]]

    assert len(needs) == 6
    assert len(set(needs.values())) == 6
    assert said("bike_workshop").startswith(
        "needs 5.0 more effective diggs from at least 5 more independent groups"
    )
    assert said("tiny_museum").startswith(
        "needs 1.0 more effective diggs from at least 1 more independent group"
    )
    # The submitter's mutual follow counts for 0.3.
    assert said("seed_libraries").startswith("needs 1.7 more effective diggs")
    # Diggs from accounts days old count for little.
    assert said("kayak_routes").startswith("needs 3.5 more effective diggs")
    assert said("explaining_calculator").startswith("meets every rule; can be")


def _check_held() -> None:
    held = queries.review_queue(None).stories
    assert [s.title for s in held] == [STORIES["miracle_supplement"]["title"]]
    assert held[0].buries == len(STORIES["miracle_supplement"]["buriers"])
    hold = LogEntry.objects.get(action=Action.HOLD)
    assert hold.moderator is None
    assert hold.post_id == held[0].pk


def _check_comments() -> None:
    comments = queries.story_comments(None, stored("tool_library"))
    collapsed = [c for c in comments if c.collapsed]
    assert [c.post.author.username for c in collapsed if c.post] == ["best_deals_daily"]
    assert "mostly as spam" in collapsed[0].collapse_reason
    # Best first: the most favourited comment leads.
    top = [c for c in comments if c.depth == 1]
    assert top[0].post is not None
    assert top[0].post.text.startswith("Tool libraries and bike workshops")


def _check_pages() -> None:
    client = Client()
    front = client.get("/news").content.decode()
    for key in PROMOTED:
        assert STORIES[key]["title"].replace("'", "&#x27;") in front
    upcoming = client.get("/news/upcoming").content.decode()
    assert "Today a story needs 5.0 effective diggs" in upcoming
    review = client.get("/news/review").content.decode()
    assert "Miracle supplement" in review
    story = stored("pothole_data")
    page = client.get(f"/news/{story.pk}").content.decode()
    assert "The pothole map that emptied a repair queue" in page
    assert page.count('class="post comment h-entry"') == 5
    assert Post.objects.filter(conversation_id=story.pk).count() == 6


def test_the_seeded_news_keeps_to_the_rules_as_time_passes(db):
    seed()
    before = {s.pk: (s.state, s.effective) for s in Story.objects.all()}

    # The hourly co-digg job finds no members who always digg together, so
    # nothing the seed made changes when it runs.
    assert refresh_associations(timezone.now(), force=True) == 0
    after = {s.pk: (s.state, s.effective) for s in Story.objects.all()}
    assert after == before

    # The young story is promoted once its 20-minute dwell has passed.
    assert promote_due_stories(timezone.now() + timedelta(minutes=25)) == 1
    assert stored("explaining_calculator").state == State.PROMOTED


def test_the_jobs_the_seed_queues_all_succeed(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        seed()
    for callback in callbacks:
        callback()
    run_queued_tasks()

    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    previews = DBTaskResult.objects.filter(task_path="hubbub.news.tasks.fetch_preview")
    assert previews.count() == len(STORIES)
    # The fetch found each preview done and left it.
    assert not Story.objects.exclude(preview_state=PreviewState.DONE).exists()
