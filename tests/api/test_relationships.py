"""Blocks, mutes and follow requests through the API."""

import pytest

from hubbub.accounts.actions import follow_account, set_locked
from hubbub.accounts.models import Block, Follow, Mute
from tests.api.conftest import ApiClient, make_token


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


def test_block_and_unblock(alice, bob, alice_api):
    follow_account(alice, followee=bob)
    blocked = alice_api.post(f"/api/v1/accounts/{bob.pk}/block").json()
    assert blocked["blocking"] is True
    assert blocked["following"] is False
    assert [a["acct"] for a in alice_api.get("/api/v1/blocks").json()] == ["bob"]
    bob_api = ApiClient(make_token(bob, "read"))
    theirs = bob_api.get(f"/api/v1/accounts/relationships?id={alice.pk}").json()
    assert theirs[0]["blocked_by"] is True
    assert not alice_api.post(f"/api/v1/accounts/{bob.pk}/unblock").json()["blocking"]
    assert alice_api.get("/api/v1/blocks").json() == []


def test_blocking_yourself_or_nobody_changes_nothing(alice, alice_api):
    assert alice_api.post(f"/api/v1/accounts/{alice.pk}/block").status_code == 422
    assert alice_api.post("/api/v1/accounts/999999/block").status_code == 404
    assert not Block.objects.exists()


def test_mute_and_unmute(alice, bob, alice_api):
    muted = alice_api.post(
        f"/api/v1/accounts/{bob.pk}/mute", {"notifications": "true"}
    ).json()
    assert muted["muting"] is True
    assert [a["acct"] for a in alice_api.get("/api/v1/mutes").json()] == ["bob"]
    assert not alice_api.post(f"/api/v1/accounts/{bob.pk}/unmute").json()["muting"]
    assert alice_api.get("/api/v1/mutes").json() == []


def test_muting_with_a_bad_duration_is_422(bob, alice_api):
    response = alice_api.post(f"/api/v1/accounts/{bob.pk}/mute", {"duration": "-1"})
    assert response.status_code == 422
    assert not Mute.objects.exists()


def test_follow_requests_authorize_and_reject(alice, bob, carol, alice_api):
    set_locked(alice, locked=True)
    bob_api = ApiClient(make_token(bob, "follow"))
    asked = bob_api.post(f"/api/v1/accounts/{alice.pk}/follow").json()
    assert asked["requested"] is True
    follow_account(carol, followee=alice)
    waiting = alice_api.get("/api/v1/follow_requests")
    assert [a["acct"] for a in waiting.json()] == ["carol", "bob"]
    authorized = alice_api.post(f"/api/v1/follow_requests/{bob.pk}/authorize").json()
    assert authorized["followed_by"] is True
    assert authorized["requested_by"] is False
    rejected = alice_api.post(f"/api/v1/follow_requests/{carol.pk}/reject").json()
    assert rejected["requested_by"] is False
    assert rejected["followed_by"] is False
    assert alice_api.get("/api/v1/follow_requests").json() == []
    assert list(Follow.objects.values_list("follower__username", flat=True)) == ["bob"]


def test_authorizing_someone_who_has_not_asked_is_422(alice, carol, alice_api):
    response = alice_api.post(f"/api/v1/follow_requests/{carol.pk}/authorize")
    assert response.status_code == 422
    assert not Follow.objects.exists()
