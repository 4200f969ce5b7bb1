"""``/api/v1/tags``: a hashtag with its history, and the follow refusal."""

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from hubbub.posts.actions import boost_post, delete_post, publish_note
from hubbub.posts.models import Post
from hubbub.posts.queries import tag_history
from tests.api.conftest import ApiClient, make_token


def _midnight(days_ago: int) -> str:
    day = timezone.now().astimezone(UTC).date() - timedelta(days=days_ago)
    return str(calendar.timegm(day.timetuple()))


def _backdate(post: Post, days: int) -> None:
    Post.objects.filter(id=post.id).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_tag_history_counts_public_uses_and_authors_per_day(alice, bob, carol, anon):
    today = [
        publish_note(alice, text="#Bread one"),
        publish_note(alice, text="#bread two"),
        publish_note(bob, text="#BREAD three"),
    ]
    two_days_ago = publish_note(carol, text="#bread old")
    _backdate(two_days_ago, 2)
    too_old = publish_note(carol, text="#bread older")
    _backdate(too_old, 7)
    # Neither a followers-only note, nor a deleted one, nor a boost counts.
    publish_note(carol, text="#bread private", visibility="followers")
    delete_post(alice, post=publish_note(alice, text="#bread gone"))
    boost_post(carol, post=today[0], visibility="public")

    body = anon.get("/api/v1/tags/BREAD").json()
    assert body["name"] == "Bread"
    assert body["url"].endswith("/tags/bread")
    assert "following" not in body
    history = body["history"]
    assert [day["day"] for day in history] == [_midnight(n) for n in range(7)]
    assert history[0] == {"day": _midnight(0), "uses": "3", "accounts": "2"}
    assert history[2] == {"day": _midnight(2), "uses": "1", "accounts": "1"}
    assert all(day["uses"] == day["accounts"] == "0" for day in history[3:])
    assert history[1]["uses"] == "0"


def test_tag_history_lists_quiet_days_and_tags_without_posts(db):
    assert tag_history([]) == {}
    now = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    days = tag_history([12345], days=3, now=now)[12345]
    assert [(d.day.isoformat(), d.uses, d.accounts) for d in days] == [
        ("2026-03-01", 0, 0),
        ("2026-02-28", 0, 0),
        ("2026-02-27", 0, 0),
    ]


def test_search_hashtags_carry_history(alice, anon):
    publish_note(alice, text="#Sourdough starter")
    tags = anon.get("/api/v2/search?q=sourdough&type=hashtags").json()["hashtags"]
    assert tags[0]["history"][0]["uses"] == "1"


@pytest.mark.parametrize("name", ["nothing", "x" * 101, "%23", "a%20b"])
def test_unknown_or_malformed_tags_are_404(db, anon, name):
    response = anon.get(f"/api/v1/tags/{name}")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_following_a_tag_is_refused_and_unfollowing_returns_it(alice, bob):
    publish_note(alice, text="#bread")
    client = ApiClient(make_token(bob, "read write follow"))
    shown = client.get("/api/v1/tags/bread").json()
    assert shown["following"] is False
    refused = client.post("/api/v1/tags/bread/follow")
    assert refused.status_code == 422
    assert "not supported" in refused.json()["error"]
    left = client.post("/api/v1/tags/bread/unfollow")
    assert left.status_code == 200
    assert left.json()["following"] is False
    assert client.post("/api/v1/tags/nothing/unfollow").status_code == 404
    assert client.get("/api/v1/followed_tags").json() == []


def test_account_statuses_tagged_lists_only_that_hashtag(alice, bob, anon):
    tagged = publish_note(alice, text="Loaf #Sourdough")
    publish_note(alice, text="Loaf without a tag")
    publish_note(alice, text="Secret #sourdough", visibility="followers")
    publish_note(bob, text="Someone else's #sourdough")
    url = f"/api/v1/accounts/{alice.pk}/statuses"
    for name in ("sourdough", "SOURDOUGH", "%23Sourdough"):
        found = anon.get(f"{url}?tagged={name}").json()
        assert [s["id"] for s in found] == [str(tagged.id)]
    assert anon.get(f"{url}?tagged=rye").json() == []
    assert len(anon.get(url).json()) == 2


def test_tag_timeline_takes_any_all_and_none(alice, anon):
    bread = publish_note(alice, text="#bread alone")
    both = publish_note(alice, text="#bread and #rye")
    rye = publish_note(alice, text="#rye alone")
    spelt = publish_note(alice, text="#Spelt alone")
    hidden = publish_note(alice, text="#rye but followers only", visibility="followers")

    def ids(query: str) -> list[str]:
        response = anon.get(f"/api/v1/timelines/tag/bread?{query}")
        assert response.status_code == 200
        return [s["id"] for s in response.json()]

    assert ids("") == [str(both.id), str(bread.id)]
    assert ids("any[]=rye&any[]=SPELT") == [
        str(p.id) for p in (spelt, rye, both, bread)
    ]
    assert str(hidden.id) not in ids("any[]=rye")
    assert ids("all[]=rye") == [str(both.id)]
    assert ids("all[]=rye&all[]=spelt") == []
    assert ids("none[]=rye") == [str(bread.id)]
    assert ids("any=spelt&none[]=rye") == [str(spelt.id), str(bread.id)]
    assert (
        anon.get(
            "/api/v1/timelines/tag/bread?" + "&".join(["any[]=x"] * 11)
        ).status_code
        == 400
    )
