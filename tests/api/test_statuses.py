"""Status endpoints beyond posting: source, bookmarks, pins and media."""

import pytest

from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from tests.api.conftest import ApiClient, make_token


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


def test_source_returns_the_text_as_written_to_its_author_only(alice, bob, alice_api):
    note = publish_note(alice, text="Plain <b>source</b> & #tag @bob")
    body = alice_api.get(f"/api/v1/statuses/{note.id}/source").json()
    assert body == {
        "id": str(note.id),
        "text": "Plain <b>source</b> & #tag @bob",
        "spoiler_text": "",
    }
    bob_api = ApiClient(make_token(bob, "read"))
    refused = bob_api.get(f"/api/v1/statuses/{note.id}/source")
    assert refused.status_code == 404
    assert refused.json() == {"error": "Record not found"}
    assert ApiClient().get(f"/api/v1/statuses/{note.id}/source").status_code == 401


@pytest.mark.parametrize("verb", ["bookmark", "pin"])
def test_bookmarks_and_pins_are_refused_and_undoing_them_is_harmless(
    alice, alice_api, verb
):
    note = publish_note(alice, text="Mark me")
    refused = alice_api.post(f"/api/v1/statuses/{note.id}/{verb}")
    assert refused.status_code == 422
    assert "not supported yet" in refused.json()["error"]
    undone = alice_api.post(f"/api/v1/statuses/{note.id}/un{verb}")
    assert undone.status_code == 200
    assert undone.json()["id"] == str(note.id)
    assert undone.json()["bookmarked"] is False
    assert undone.json()["pinned"] is False
    missing = alice_api.post(f"/api/v1/statuses/{note.id + 1}/{verb}")
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/media", "/api/v2/media"])
def test_media_uploads_are_refused_with_a_reason(alice_api, path):
    upload = alice_api.post(path, {"file": ("a.png", b"\x89PNG", "image/png")})
    assert upload.status_code == 422
    assert upload.json() == {
        "error": "Validation failed: Media attachments are not supported yet"
    }
    assert not Post.objects.exists()


def test_several_statuses_at_once_in_the_order_asked(alice, bob, alice_api):
    first = publish_note(alice, text="first")
    second = publish_note(bob, text="second")
    hidden = publish_note(bob, text="hidden", visibility="direct")
    asked = [second.id, hidden.id, 12345, first.id, second.id]
    query = "&".join(f"id[]={i}" for i in asked)
    found = alice_api.get(f"/api/v1/statuses?{query}").json()
    assert [s["id"] for s in found] == [str(second.id), str(first.id)]
    one = ApiClient().get(f"/api/v1/statuses?id={first.id}").json()
    assert [s["id"] for s in one] == [str(first.id)]
    assert alice_api.get("/api/v1/statuses").status_code == 400
    too_many = "&".join(f"id[]={i}" for i in range(1, 22))
    assert alice_api.get(f"/api/v1/statuses?{too_many}").status_code == 400
