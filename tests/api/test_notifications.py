"""Notifications through the API."""

import pytest

from hubbub.accounts.actions import follow_account
from hubbub.notifications.models import Notification
from hubbub.posts.actions import favourite_post, publish_note
from tests.api.conftest import ApiClient, make_token


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


@pytest.fixture
def noted(alice, bob, carol, run_jobs):
    """alice: followed by bob, replied to by carol, her note favourited by bob."""
    with run_jobs():
        note = publish_note(alice, text="hello")
        follow_account(bob, followee=alice)
        reply = publish_note(carol, text="@alice hi", in_reply_to=note)
        favourite_post(bob, post=note)
    return note, reply


def test_list_filter_and_entity(alice, bob, carol, alice_api, noted):
    note, reply = noted
    response = alice_api.get("/api/v1/notifications")
    body = response.json()
    assert [n["type"] for n in body] == ["favourite", "mention", "follow"]
    favourite, mention, follow = body
    assert favourite["status"]["id"] == str(note.id)
    assert favourite["account"]["acct"] == "bob"
    assert mention["status"]["id"] == str(reply.id)
    assert follow["status"] is None
    assert follow["group_key"] == f"ungrouped-{follow['id']}"
    assert follow["created_at"].endswith("Z")
    assert 'rel="prev"' in response["Link"]
    only = alice_api.get("/api/v1/notifications?types[]=mention&types[]=follow")
    assert [n["type"] for n in only.json()] == ["mention", "follow"]
    without = alice_api.get("/api/v1/notifications?exclude_types[]=favourite")
    assert [n["type"] for n in without.json()] == ["mention", "follow"]
    from_bob = alice_api.get(f"/api/v1/notifications?account_id={bob.pk}").json()
    assert [n["type"] for n in from_bob] == ["favourite", "follow"]
    assert alice_api.get("/api/v1/notifications?types[]=poll").json() == []
    one = alice_api.get(f"/api/v1/notifications/{follow['id']}").json()
    assert one == follow


def test_someone_elses_notification_is_404(bob, noted):
    theirs = Notification.objects.first()
    bob_api = ApiClient(make_token(bob, "read write"))
    assert bob_api.get(f"/api/v1/notifications/{theirs.id}").status_code == 404
    assert bob_api.post(f"/api/v1/notifications/{theirs.id}/dismiss").json() == {}
    assert Notification.objects.filter(id=theirs.id).exists()


def test_dismiss_and_clear(alice, alice_api, noted):
    first = alice_api.get("/api/v1/notifications").json()[0]
    dismissed = alice_api.post(f"/api/v1/notifications/{first['id']}/dismiss")
    assert dismissed.json() == {}
    assert len(alice_api.get("/api/v1/notifications").json()) == 2
    assert alice_api.post("/api/v1/notifications/clear").json() == {}
    assert alice_api.get("/api/v1/notifications").json() == []


def test_notifications_need_a_user(db):
    app_only = ApiClient(make_token(None, "read"))
    assert app_only.get("/api/v1/notifications").status_code == 422
