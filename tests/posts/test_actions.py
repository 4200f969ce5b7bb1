"""publish_note: the post, its HTML, the counter and the fan-out hand-off."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import follow_account
from hubbub.posts.actions import _do_publish_note, publish_note
from hubbub.posts.models import Kind, Post, Visibility
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


def home_ids(account) -> list[int]:
    return [post.id for post in home_timeline(account, PageBounds())]


def test_publish_note_writes_the_post(alice):
    note = publish_note(alice, text="  hello\r\nworld  ")

    stored = Post.objects.get(pk=note.pk)
    assert stored.author_id == alice.pk
    assert stored.kind == Kind.NOTE
    assert stored.visibility == Visibility.PUBLIC
    assert stored.text == "hello\nworld"
    assert stored.html == "<p>hello<br>world</p>"
    assert stored.conversation_id == stored.id
    assert stored.in_reply_to is None
    assert stored.deleted_at is None
    assert stored.fanout_queued_at is not None
    assert stored.fanned_out_at is None


def test_publish_note_renders_links_and_known_mentions(alice, bob):
    note = publish_note(alice, text="hi @bob and @nobody, see https://example.com")

    assert '<a href="/@bob" class="u-url mention"' in note.html
    assert "@nobody" in note.html
    assert 'href="/@nobody"' not in note.html
    assert 'href="https://example.com"' in note.html


def test_publish_note_escapes_markup(alice):
    note = publish_note(alice, text="<b onclick=x>hi</b>")

    assert note.html == "<p>&lt;b onclick=x&gt;hi&lt;/b&gt;</p>"


def test_publish_note_counts_posts(alice):
    publish_note(alice, text="one")
    last = publish_note(alice, text="two")

    alice.refresh_from_db()
    assert alice.posts_count == 2
    assert alice.last_post_at == last.created_at


def test_a_backdated_post_counts_but_keeps_the_newest_post_time(alice):
    newest = publish_note(alice, text="now")
    _do_publish_note(
        alice,
        text="from the archive",
        visibility=Visibility.PUBLIC,
        created_at=newest.created_at - timedelta(days=3),
    )

    alice.refresh_from_db()
    assert alice.posts_count == 2
    assert alice.last_post_at == newest.created_at


def test_note_is_in_authors_timeline_before_any_job_runs(alice):
    note = publish_note(alice, text="mine")

    assert not DBTaskResult.objects.exists()
    assert TimelineEntry.objects.filter(reader=alice, post=note).exists()
    assert home_ids(alice) == [note.id]


def test_fan_out_is_enqueued_only_after_commit(
    alice, bob, django_capture_on_commit_callbacks
):
    follow_account(bob, followee=alice)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = publish_note(alice, text="to my followers")
        # Inside the transaction nothing is queued and followers see nothing.
        assert not DBTaskResult.objects.exists()
        assert home_ids(bob) == []

    # The Redis store also defers its own writes (and a rebuild of the
    # timeline bob just read) to the commit; one of these queues fan-out.
    for callback in callbacks:
        callback()
    queued = DBTaskResult.objects.get(queue_name="fanout")
    assert queued.task_path == "hubbub.timelines.tasks.fan_out_post"
    assert queued.queue_name == "fanout"
    assert queued.args_kwargs == {"args": [note.id], "kwargs": {}}

    run_queued_tasks()

    assert home_ids(bob) == [note.id]
    note.refresh_from_db()
    assert note.fanned_out_at is not None


def _publish_then_roll_back(author):
    with transaction.atomic():
        publish_note(author, text="never mind")
        raise RuntimeError("rolled back")


def test_rolled_back_publish_enqueues_nothing(
    alice, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="rolled back"),
    ):
        _publish_then_roll_back(alice)

    assert callbacks == []
    assert not Post.objects.exists()
    assert not DBTaskResult.objects.exists()
    alice.refresh_from_db()
    assert alice.posts_count == 0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param("", "blank", id="empty"),
        pytest.param(" \u3000\u200b ", "blank", id="invisible"),
        pytest.param("a" * 141, "too_long", id="141"),
        pytest.param("bad\x00byte", "invalid", id="nul"),
        pytest.param("e" + "\u0301" * 2000, "too_many_code_points", id="zalgo"),
    ],
)
def test_invalid_text_writes_nothing(
    alice, bob, text, code, django_capture_on_commit_callbacks
):
    follow_account(bob, followee=alice)
    publish_note(alice, text="an earlier note")
    before = (
        Post.objects.count(),
        TimelineEntry.objects.count(),
        DBTaskResult.objects.count(),
    )

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as caught,
    ):
        publish_note(alice, text=text)

    assert caught.value.code == code
    assert callbacks == []
    after = (
        Post.objects.count(),
        TimelineEntry.objects.count(),
        DBTaskResult.objects.count(),
    )
    assert after == before
    alice.refresh_from_db()
    assert alice.posts_count == 1


def test_unknown_visibility_is_rejected(alice):
    with pytest.raises(ValueError, match="not a valid Visibility"):
        publish_note(alice, text="hi", visibility="everyone")

    assert not Post.objects.exists()
