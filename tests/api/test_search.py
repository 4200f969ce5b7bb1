"""Search through the API."""

import pytest

from hubbub.posts.actions import publish_note
from tests.api.conftest import ApiClient, make_token


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


def test_search_finds_accounts_statuses_and_hashtags(alice, bob, alice_api):
    note = publish_note(bob, text="Fresh loaves today #Sourdough")
    publish_note(bob, text="secret loaves", visibility="direct")
    body = alice_api.get("/api/v2/search?q=sourdough").json()
    assert set(body) == {"accounts", "statuses", "hashtags"}
    assert [s["id"] for s in body["statuses"]] == [str(note.id)]
    assert body["statuses"][0]["favourited"] is False
    assert [t["name"] for t in body["hashtags"]] == ["Sourdough"]
    assert body["hashtags"][0]["url"].endswith("/tags/sourdough")
    loaves = alice_api.get("/api/v2/search?q=loaves&type=statuses").json()
    assert [s["id"] for s in loaves["statuses"]] == [str(note.id)]
    assert loaves["accounts"] == loaves["hashtags"] == []
    people = alice_api.get("/api/v2/search?q=@bo&type=accounts").json()
    assert [a["acct"] for a in people["accounts"]] == ["bob"]
    assert people["statuses"] == []
    paged = alice_api.get("/api/v2/search?q=loaves&type=statuses&offset=1").json()
    assert paged["statuses"] == []


def test_search_over_200_characters_is_422(alice_api):
    response = alice_api.get("/api/v2/search?q=" + "a" * 201)
    assert response.status_code == 422
    assert "200 characters" in response.json()["error"]
    assert alice_api.get("/api/v2/search?q=x&type=people").status_code == 400


def test_account_search(alice, bob, carol, alice_api):
    found = alice_api.get("/api/v1/accounts/search?q=bob").json()
    assert [a["acct"] for a in found] == ["bob"]
    exact = alice_api.get("/api/v1/accounts/search?q=carol@testserver").json()
    assert [a["acct"] for a in exact] == ["carol"]
    assert alice_api.get("/api/v1/accounts/search?q=nobody").json() == []


def test_account_search_needs_a_token_and_a_short_query(alice, alice_api, anon):
    assert anon.get("/api/v1/accounts/search?q=bob").status_code == 401
    response = alice_api.get("/api/v1/accounts/search?q=" + "b" * 201)
    assert response.status_code == 422
    assert "error" in response.json()
