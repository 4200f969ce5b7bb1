"""Mentions and hashtags: the rows publish_note stores and what they do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account, Block, Mute
from hubbub.notifications.models import Notification, NotificationType
from hubbub.notifications.tasks import notify_post
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Mention, Post, PostTag, Tag
from hubbub.posts.queries import get_tag, tag_posts
from hubbub.posts.rendering import parse_text, tag_name
from tests.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


def mentioned(post: Post) -> list[str]:
    return list(
        Mention.objects.filter(post=post)
        .order_by("id")
        .values_list("account__username", flat=True)
    )


def tags_of(post: Post) -> set[str]:
    return set(
        Tag.objects.filter(
            id__in=PostTag.objects.filter(post=post).values("tag_id")
        ).values_list("name", flat=True)
    )


def notifications(account: Account) -> list[tuple[str, int, int | None]]:
    return list(
        Notification.objects.filter(recipient=account)
        .order_by("id")
        .values_list("type", "actor_id", "post_id")
    )


# --- mentions -----------------------------------------------------------------


def test_mentions_are_stored_linked_and_notified_after_the_job(
    alice, bob, carol, run_jobs
):
    with run_jobs():
        note = publish_note(alice, text="hi @carol and @BOB")

    assert mentioned(note) == ["carol", "bob"]
    assert 'href="/@bob" class="u-url mention"' in note.html
    assert 'href="/@carol" class="u-url mention"' in note.html
    assert notifications(bob) == [(NotificationType.MENTION, alice.pk, note.id)]
    assert notifications(carol) == [(NotificationType.MENTION, alice.pk, note.id)]
    assert notifications(alice) == []


def test_notifications_are_written_only_after_commit(
    alice, bob, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = publish_note(alice, text="hey @bob")
        assert not DBTaskResult.objects.exists()

    # Fan-out and notification jobs (and the Redis store's timeline write).
    assert len(callbacks) == (3 if settings.REDIS_URL else 2)
    for callback in callbacks:
        callback()
    assert not Notification.objects.exists()
    run_queued_tasks()
    assert notifications(bob) == [(NotificationType.MENTION, alice.pk, note.id)]


def test_mention_notifications_are_idempotent(alice, bob, run_jobs):
    with run_jobs():
        note = publish_note(alice, text="hey @bob")

    notify_post.enqueue(note.id)
    notify_post.enqueue(note.id)
    run_queued_tasks()
    notify_post.call(note.id)

    assert notifications(bob) == [(NotificationType.MENTION, alice.pk, note.id)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("hello @nobody", id="unknown"),
        pytest.param("hello @bob@elsewhere.example", id="remote"),
        pytest.param("mail bob@example.com", id="email"),
        pytest.param("hello @alice", id="self"),
    ],
)
def test_unresolved_mentions_stay_text_and_notify_nobody(
    alice, bob, text, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = publish_note(alice, text=text)

    run_queued_tasks()
    assert mentioned(note) == (["alice"] if "@alice" in text else [])
    assert "bob" not in mentioned(note)
    assert 'href="/@nobody"' not in note.html
    assert 'href="/@bob"' not in note.html
    assert not Notification.objects.exists()
    # Nobody to tell: only the fan-out job was queued.
    assert [r.task_path for r in DBTaskResult.objects.all()] == [
        "hubbub.timelines.tasks.fan_out_post"
    ]


def test_a_deactivated_account_is_not_mentioned(alice, bob, run_jobs):
    Account.objects.filter(pk=bob.pk).update(is_active=False)

    with run_jobs():
        note = publish_note(alice, text="hey @bob")

    assert mentioned(note) == []
    assert 'href="/@bob"' not in note.html
    assert not Notification.objects.exists()


def test_the_same_person_mentioned_twice_is_one_mention(alice, bob, run_jobs):
    with run_jobs():
        note = publish_note(alice, text="@bob @Bob @bob!")

    assert mentioned(note) == ["bob"]
    assert len(notifications(bob)) == 1


@pytest.mark.parametrize("visibility", ["followers", "direct"])
def test_mentioned_people_are_told_of_private_notes(
    alice, bob, carol, visibility, run_jobs
):
    with run_jobs():
        note = publish_note(alice, text="@bob only", visibility=visibility)

    assert notifications(bob) == [(NotificationType.MENTION, alice.pk, note.id)]
    assert notifications(carol) == []


@pytest.mark.parametrize(
    "relation",
    [
        pytest.param(
            lambda a, b: Block.objects.create(account=b, target=a), id="blocks"
        ),
        pytest.param(
            lambda a, b: Block.objects.create(account=a, target=b), id="blocked"
        ),
        pytest.param(lambda a, b: Mute.objects.create(account=b, target=a), id="mutes"),
    ],
)
def test_no_mention_notification_across_a_block_or_mute(alice, bob, relation, run_jobs):
    relation(alice, bob)

    with run_jobs():
        publish_note(alice, text="hey @bob")

    assert notifications(bob) == []


def test_a_reply_tells_the_author_answered_once_and_the_others_of_a_mention(
    alice, bob, carol, run_jobs
):
    root = publish_note(alice, text="root")

    with run_jobs():
        answer = publish_note(bob, text="@alice @carol agreed", in_reply_to=root)

    assert notifications(alice) == [(NotificationType.REPLY, bob.pk, answer.id)]
    assert notifications(carol) == [(NotificationType.MENTION, bob.pk, answer.id)]


def test_mentions_are_resolved_once_per_note(alice, bob):
    with CaptureQueriesContext(connection) as queries:
        publish_note(alice, text="@bob @carol @nobody")

    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if 'LOWER("accounts_account"."username")' in q["sql"]
    ]
    assert len(lookups) == 1


def test_parse_text_keeps_the_order_the_text_names_people(alice, bob, carol):
    parsed = parse_text("@carol then @alice then @bob")

    assert list(parsed.mentions) == ["carol", "alice", "bob"]


# --- tags ---------------------------------------------------------------------


def test_tags_are_stored_lower_cased_with_their_first_spelling(alice, bob):
    first = publish_note(alice, text="Baking #SourDough today")
    second = publish_note(bob, text="more #sourdough and #SOURDOUGH")

    assert tags_of(first) == tags_of(second) == {"sourdough"}
    tag = Tag.objects.get()
    assert (tag.name, tag.display) == ("sourdough", "SourDough")
    assert PostTag.objects.filter(post=second).count() == 1
    assert '<a href="/tags/sourdough" class="mention hashtag"' in first.html
    assert "#<span>SourDough</span>" in first.html


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param("#Café au lait", {"café"}, id="accent"),
        pytest.param("#Cafe\u0301 decomposed", {"café"}, id="combining"),
        pytest.param("#日本語 と #Ελληνικά", {"日本語", "ελληνικά"}, id="scripts"),
        pytest.param("#1 and #2024", set(), id="digits only"),
        pytest.param("#year2024 #snake_case", {"year2024", "snake_case"}, id="mixed"),
        pytest.param("a#b and &#39;", set(), id="not at a word start"),
    ],
)
def test_tag_names(alice, text, names):
    note = publish_note(alice, text=text)

    assert tags_of(note) == names


def test_tag_name_folds_case_and_composes():
    assert tag_name("Cafe\u0301") == tag_name("CAFÉ") == "café"


def test_a_very_long_tag_stays_text_in_the_index(alice):
    note = publish_note(alice, text="#" + "a" * 101)

    assert tags_of(note) == set()


def test_tag_posts_are_public_only_newest_first_any_case(alice, bob):
    follow_account(bob, followee=alice)
    older = publish_note(alice, text="#Bread one")
    newer = publish_note(alice, text="#bread two")
    publish_note(alice, text="#bread unlisted", visibility="unlisted")
    publish_note(alice, text="#bread friends", visibility="followers")
    publish_note(alice, text="#bread @bob", visibility="direct")
    publish_note(alice, text="#toast")

    for viewer in (None, alice, bob):
        for name in ("bread", "BREAD", "#Bread"):
            assert [p.id for p in tag_posts(viewer, name)] == [newer.id, older.id]


def test_tag_posts_hide_deleted_and_blocked(alice, bob, carol):
    kept = publish_note(alice, text="#bread")
    gone = publish_note(alice, text="#bread gone")
    Post.objects.filter(pk=gone.pk).update(deleted_at=gone.created_at)
    blocked = publish_note(bob, text="#bread from bob")
    Block.objects.create(account=carol, target=bob)

    assert [p.id for p in tag_posts(carol, "bread")] == [kept.id]
    assert [p.id for p in tag_posts(None, "bread")] == [blocked.id, kept.id]


def test_get_tag(alice):
    publish_note(alice, text="#Bread")

    assert get_tag("BREAD").display == "Bread"
    assert get_tag("#bread").name == "bread"
    assert get_tag("toast") is None
