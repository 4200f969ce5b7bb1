"""Home timeline statuses kept as JSON under everything they show (issue 7).

A page whose statuses are all kept builds no model instance, and a change
to anything a status shows (its author's counters, the viewer's flags, a
mention) gives it a new key, so it is never served stale.
"""

from django.db.models.signals import post_init

from hubbub.accounts.actions import follow_account
from hubbub.api import serializers
from hubbub.posts.actions import favourite_post, publish_note
from hubbub.posts.models import Post
from tests.api.conftest import ApiClient, make_token
from tests.conftest import make_account


class Built:
    """Counts the Post instances built while it listens."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, **kwargs: object) -> None:
        self.count += 1

    def __enter__(self) -> "Built":
        post_init.connect(self, sender=Post)
        return self

    def __exit__(self, *exc: object) -> None:
        post_init.disconnect(self, sender=Post)


def test_a_kept_page_builds_no_post_and_answers_the_same(alice, bob, run_jobs):
    follow_account(alice, followee=bob)
    with run_jobs():
        for n in range(5):
            publish_note(bob, text=f"Note {n} #maps @alice")
    api = ApiClient(make_token(alice, "read"))
    serializers.kept_statuses.clear()
    with Built() as first_built:
        first = api.get("/api/v1/timelines/home")
    with Built() as second_built:
        second = api.get("/api/v1/timelines/home")

    assert first_built.count >= 5
    assert second_built.count == 0
    assert second.content == first.content
    assert second.headers["Link"] == first.headers["Link"]
    assert [t["name"] for t in second.json()[0]["tags"]] == ["maps"]


def test_a_kept_status_shows_new_counters_and_flags(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)
    with run_jobs():
        note = publish_note(bob, text="Hello @carol")
    api = ApiClient(make_token(alice, "read"))
    before = api.get("/api/v1/timelines/home").json()
    assert before[0]["account"]["followers_count"] == 1
    assert before[0]["favourited"] is False

    with run_jobs():
        follow_account(carol, followee=bob)
        publish_note(make_account("erin"), text="not followed")
        favourite_post(alice, post=note)
    after = api.get(f"/api/v1/timelines/home?max_id={note.id + 1}").json()

    assert after[0]["id"] == str(note.id)
    assert after[0]["account"]["followers_count"] == 2
    assert after[0]["favourited"] is True
    assert after[0]["favourites_count"] == 1
    assert (
        after[0]["account"]["statuses_count"] == before[0]["account"]["statuses_count"]
    )

    with run_jobs():
        publish_note(bob, text="Another")
    latest = api.get(f"/api/v1/timelines/home?max_id={note.id + 1}").json()
    assert latest[0]["account"]["statuses_count"] == (
        after[0]["account"]["statuses_count"] + 1
    )


def test_a_kept_status_drops_a_deactivated_mention(alice, bob, run_jobs):
    follow_account(alice, followee=bob)
    dave = make_account("dave")
    with run_jobs():
        publish_note(bob, text="Hi @dave")
    api = ApiClient(make_token(alice, "read"))
    assert [
        m["username"] for m in api.get("/api/v1/timelines/home").json()[0]["mentions"]
    ] == ["dave"]

    dave.is_active = False
    dave.save(update_fields=["is_active"])

    assert api.get("/api/v1/timelines/home").json()[0]["mentions"] == []
