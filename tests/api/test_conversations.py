"""Replies, threads, favourites, boosts and deletion through the API."""

import pytest

from hubbub.accounts.actions import follow_account
from hubbub.posts.actions import delete_post, favourite_post, publish_note
from hubbub.posts.models import Post
from tests.api.conftest import ApiClient, make_token


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


@pytest.fixture
def bob_api(bob) -> ApiClient:
    return ApiClient(make_token(bob, "read write follow"))


def test_reply_with_mentions_tags_and_visibility(alice, bob, alice_api):
    parent = publish_note(bob, text="Bread?")
    response = alice_api.post(
        "/api/v1/statuses",
        {
            "status": "@bob yes, #Sourdough",
            "in_reply_to_id": str(parent.id),
            "visibility": "unlisted",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["in_reply_to_id"] == str(parent.id)
    assert body["in_reply_to_account_id"] == str(bob.pk)
    assert body["visibility"] == "unlisted"
    assert [(m["id"], m["acct"]) for m in body["mentions"]] == [(str(bob.pk), "bob")]
    assert body["mentions"][0]["url"].endswith("/@bob")
    assert [t["name"] for t in body["tags"]] == ["Sourdough"]
    assert body["tags"][0]["url"] == "http://testserver/tags/sourdough"


def test_reply_to_an_invisible_status_is_404(alice, bob, alice_api):
    secret = publish_note(bob, text="followers only", visibility="followers")
    response = alice_api.post(
        "/api/v1/statuses", {"status": "hm", "in_reply_to_id": str(secret.id)}
    )
    assert response.status_code == 404
    assert not Post.objects.filter(author=alice).exists()


def test_context_orders_the_thread_and_leaves_out_deleted(alice, bob, anon):
    root = publish_note(alice, text="root")
    first = publish_note(bob, text="first", in_reply_to=root)
    gone = publish_note(alice, text="gone", in_reply_to=root)
    under_gone = publish_note(bob, text="under gone", in_reply_to=gone)
    deep = publish_note(alice, text="deep", in_reply_to=first)
    delete_post(alice, post=gone)
    context = anon.get(f"/api/v1/statuses/{first.id}/context").json()
    assert [s["id"] for s in context["ancestors"]] == [str(root.id)]
    assert [s["id"] for s in context["descendants"]] == [str(deep.id)]
    whole = anon.get(f"/api/v1/statuses/{root.id}/context").json()
    assert whole["ancestors"] == []
    assert [s["id"] for s in whole["descendants"]] == [
        str(first.id),
        str(deep.id),
        str(under_gone.id),
    ]


def test_context_of_an_invisible_status_is_404(bob, anon):
    secret = publish_note(bob, text="hidden", visibility="followers")
    assert anon.get(f"/api/v1/statuses/{secret.id}/context").status_code == 404


def test_favourite_and_unfavourite(alice, bob, alice_api, anon):
    note = publish_note(bob, text="like me")
    liked = alice_api.post(f"/api/v1/statuses/{note.id}/favourite").json()
    assert liked["favourited"] is True
    assert liked["favourites_count"] == 1
    again = alice_api.post(f"/api/v1/statuses/{note.id}/favourite").json()
    assert again["favourites_count"] == 1
    people = anon.get(f"/api/v1/statuses/{note.id}/favourited_by").json()
    assert [a["username"] for a in people] == ["alice"]
    mine = alice_api.get("/api/v1/favourites")
    assert [s["id"] for s in mine.json()] == [str(note.id)]
    assert 'rel="prev"' in mine["Link"]
    unliked = alice_api.post(f"/api/v1/statuses/{note.id}/unfavourite").json()
    assert unliked["favourited"] is False
    assert unliked["favourites_count"] == 0
    assert alice_api.get("/api/v1/favourites").json() == []


def test_favourite_an_invisible_status_is_404(bob, alice_api):
    secret = publish_note(bob, text="hidden", visibility="direct")
    response = alice_api.post(f"/api/v1/statuses/{secret.id}/favourite")
    assert response.status_code == 404
    assert not secret.favourites.exists()


def test_reblog_returns_the_wrapper_and_unreblog_the_original(
    alice, bob, alice_api, anon
):
    note = publish_note(bob, text="share me")
    boost = alice_api.post(f"/api/v1/statuses/{note.id}/reblog").json()
    assert boost["id"] != str(note.id)
    assert boost["content"] == ""
    assert boost["reblog"]["id"] == str(note.id)
    assert boost["reblogged"] is True
    assert boost["reblog"]["reblogs_count"] == 1
    people = anon.get(f"/api/v1/statuses/{note.id}/reblogged_by").json()
    assert [a["username"] for a in people] == ["alice"]
    original = alice_api.post(f"/api/v1/statuses/{note.id}/unreblog").json()
    assert original["id"] == str(note.id)
    assert original["reblogged"] is False
    assert original["reblogs_count"] == 0


def test_reblogging_a_private_status_is_422(alice, bob, alice_api):
    follow_account(alice, followee=bob)
    private = publish_note(bob, text="just us", visibility="followers")
    response = alice_api.post(f"/api/v1/statuses/{private.id}/reblog")
    assert response.status_code == 422
    assert "error" in response.json()
    assert not Post.objects.filter(reblog_of=private).exists()


def test_delete_returns_the_status_with_its_text(alice, alice_api, anon):
    note = publish_note(alice, text="oops #typo")
    response = alice_api.delete(f"/api/v1/statuses/{note.id}")
    assert response.status_code == 200
    assert response.json()["id"] == str(note.id)
    assert response.json()["text"] == "oops #typo"
    assert anon.get(f"/api/v1/statuses/{note.id}").status_code == 404


def test_deleting_someone_elses_status_is_404(bob, alice_api):
    note = publish_note(bob, text="mine")
    assert alice_api.delete(f"/api/v1/statuses/{note.id}").status_code == 404
    assert Post.objects.get(id=note.id).deleted_at is None


def test_timelines_carry_viewer_flags(alice, bob, alice_api):
    note = publish_note(bob, text="flag me")
    favourite_post(alice, post=note)
    public = alice_api.get("/api/v1/timelines/public").json()
    assert public[0]["favourited"] is True
    assert public[0]["reblogged"] is False
    profile = alice_api.get(f"/api/v1/accounts/{bob.pk}/statuses").json()
    assert profile[0]["favourited"] is True


def test_tag_timeline_shows_public_tagged_statuses(alice, anon):
    tagged = publish_note(alice, text="Loaf #Sourdough")
    publish_note(alice, text="quiet #sourdough", visibility="unlisted")
    publish_note(alice, text="untagged")
    found = anon.get("/api/v1/timelines/tag/SOURDOUGH").json()
    assert [s["id"] for s in found] == [str(tagged.id)]


def test_tag_timeline_of_an_unknown_tag_is_empty(anon):
    assert anon.get("/api/v1/timelines/tag/nothing").json() == []
    assert anon.get("/api/v1/timelines/tag/" + "x" * 101).status_code == 404


def test_reblog_refuses_a_body_that_is_not_its_form(bob, alice_api):
    note = publish_note(bob, text="share me")
    response = alice_api.post(
        f"/api/v1/statuses/{note.id}/reblog",
        "AAA",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert not Post.objects.filter(reblog_of=note).exists()
