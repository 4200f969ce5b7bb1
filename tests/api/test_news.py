"""Social news through the API: hubbub's /api/hubbub/v1 and Mastodon's.

The first tests call the views in process; the last drives a live hubbub
over HTTP with requests and with Mastodon.py, whose ★ diggs a story.
"""

import pytest
import requests

from hubbub.accounts.actions import block_account
from hubbub.news.models import State, Story
from hubbub.posts.actions import delete_post
from tests.api.conftest import ApiClient, make_token
from tests.api.live import live_hubbub, mastodon_client, people
from tests.news.conftest import member, members, story_by, submitted_ago

API = "/api/hubbub/v1"


@pytest.fixture
def submitter(db):
    return member("submitter")


def _client(account) -> ApiClient:
    return ApiClient(make_token(account, "read write"))


def test_submit_returns_the_story_and_leads_duplicates_to_it(submitter):
    api = _client(submitter)
    response = api.post_json(
        f"{API}/stories",
        {"url": "https://example.com/a?utm_source=x", "title": "A", "topic": "sci"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["duplicate"] is False
    story = body["story"]
    assert story["url"] == "https://example.com/a"
    assert story["state"] == "upcoming"
    assert story["needs"].startswith("needs 5.0 more effective diggs")
    assert story["status"]["card"]["url"] == "https://example.com/a"
    assert story["status"]["url"] == f"http://testserver/news/{story['id']}"
    assert '<a href="https://example.com/a"' in story["status"]["content"]
    again = _client(member()).post(
        f"{API}/stories", {"url": "http://www.example.com/a/", "title": "Again"}
    )
    assert again.json()["duplicate"] is True
    assert again.json()["story"]["id"] == story["id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "ftp://example.com/", "title": "T"}, "Only http and https"),
        ({"url": "https://u:p@example.com/", "title": "T"}, "user name"),
        ({"url": "https://example.com/", "title": ""}, "title can't be blank"),
        ({"url": "https://example.com/", "title": "x" * 1000}, "title is too long"),
    ],
)
def test_bad_submissions_are_422_and_write_nothing(submitter, body, message):
    response = _client(submitter).post_json(f"{API}/stories", body)
    assert response.status_code == 422
    assert message in response.json()["error"]
    assert not Story.objects.exists()


def test_submitting_needs_a_token(anon):
    response = anon.post(f"{API}/stories", {"url": "https://e.com/", "title": "T"})
    assert response.status_code == 401


def test_digg_undigg_bury_through_the_api(submitter):
    story = story_by(submitter)
    voter = _client(member())
    dugg = voter.post(f"{API}/stories/{story.pk}/digg").json()
    assert (dugg["diggs"], dugg["dugg"], dugg["status"]["favourited"]) == (
        1,
        True,
        True,
    )
    assert voter.post(f"{API}/stories/{story.pk}/undigg").json()["diggs"] == 0
    refused = voter.post(f"{API}/stories/{story.pk}/bury", {"reason": "boring"})
    assert refused.status_code == 422
    buried = voter.post(f"{API}/stories/{story.pk}/bury", {"reason": "spam"}).json()
    assert (buried["buries"], buried["buried"]) == (1, True)
    own = _client(submitter).post(f"{API}/stories/{story.pk}/bury", {"reason": "spam"})
    assert own.status_code == 422
    assert voter.post(f"{API}/stories/{story.pk}/unbury").json()["buries"] == 0


def test_a_mastodon_favourite_diggs_a_story(submitter):
    story = story_by(submitter)
    response = _client(member()).post(f"/api/v1/statuses/{story.pk}/favourite")
    assert response.status_code == 200
    assert response.json()["favourites_count"] == 1
    story.refresh_from_db()
    assert story.diggs == 1


def test_deleted_and_blocked_stories_are_404(submitter):
    story = story_by(submitter)
    blocked = member()
    block_account(submitter, target=blocked)
    api = _client(blocked)
    assert api.get(f"{API}/stories/{story.pk}").status_code == 404
    assert api.post(f"{API}/stories/{story.pk}/digg").status_code == 404
    assert api.get(f"{API}/upcoming").json()["stories"] == []
    delete_post(submitter, post=story.post)
    other = _client(member())
    assert other.post(f"{API}/stories/{story.pk}/digg").status_code == 404
    assert ApiClient().get(f"{API}/stories/{story.pk}/why").status_code == 404


def test_front_page_upcoming_and_why(submitter):
    promoted = submitted_ago(story_by(submitter, "https://one.example/"), 30)
    for voter in members(5):
        _client(voter).post(f"{API}/stories/{promoted.pk}/digg")
    waiting = story_by(submitter, "https://two.example/")
    anon = ApiClient()
    front = anon.get(f"{API}/front_page").json()
    assert [s["id"] for s in front["stories"]] == [str(promoted.pk)]
    assert front["stories"][0]["state"] == State.PROMOTED
    assert "dugg" not in front["stories"][0]
    newest = anon.get(f"{API}/front_page/newest").json()
    assert [s["id"] for s in newest["stories"]] == [str(promoted.pk)]
    upcoming = anon.get(f"{API}/upcoming?sort=newest").json()
    assert [s["id"] for s in upcoming["stories"]] == [str(waiting.pk)]
    assert upcoming["threshold"] == 5.0
    assert upcoming["threshold_sentence"].startswith("Today a story needs 5.0")
    assert anon.get(f"{API}/upcoming?sort=hot").status_code == 400
    assert anon.get(f"{API}/front_page?page=0").status_code == 400
    why = anon.get(f"{API}/stories/{promoted.pk}/why").json()
    assert why["record"]["effective"] == pytest.approx(5.0)
    assert why["verdict"].startswith("meets every rule")
    assert why["factors"]["rank"] > 0
    assert why["own_digg"] is False


# A live hubbub ------------------------------------------------------------------

PASSWORD = "a long news password"


@pytest.mark.slow
def test_stories_over_http_and_from_mastodon_py(transactional_db, tmp_path):
    people("sub", *(f"fan{n}" for n in range(5)), password=PASSWORD)
    with live_hubbub(tmp_path) as base:
        sub = mastodon_client(base, "sub", PASSWORD)
        headers = {"Authorization": f"Bearer {sub.access_token}"}
        made = requests.post(
            f"{base}{API}/stories",
            # A loopback literal: the worker's preview fetch is refused
            # before any socket, so no traffic leaves the machine.
            json={"url": "http://127.0.0.1:9/story", "title": "Live story"},
            headers=headers,
            timeout=10,
        )
        assert made.status_code == 200, made.text
        story_id = made.json()["story"]["id"]
        openapi = requests.get(f"{base}/api/openapi.json", timeout=10).json()
        assert f"{API}/stories/{{id}}/digg" in openapi["paths"]
        # The story is a status: in the submitter's home timeline, with a card.
        home = sub.timeline_home()
        assert str(home[0].id) == story_id
        assert home[0].card.url == "http://127.0.0.1:9/story"
        # Every fan's star is a digg.
        for n in range(5):
            fan = mastodon_client(base, f"fan{n}", PASSWORD)
            assert fan.status_favourite(int(story_id)).favourited
        shown = requests.get(f"{base}{API}/stories/{story_id}", timeout=10).json()
        assert shown["diggs"] == 5
        # Brand-new accounts weigh almost nothing: still upcoming, and it
        # says what it needs.
        assert shown["state"] == "upcoming"
        assert shown["effective_diggs"] < 1
        assert shown["needs"].startswith("needs")
        fan = mastodon_client(base, "fan0", PASSWORD)
        assert fan.status_unfavourite(int(story_id)).favourites_count == 4
        bad = requests.post(
            f"{base}{API}/stories",
            json={"url": "javascript:alert(1)", "title": "Nope"},
            headers=headers,
            timeout=10,
        )
        assert bad.status_code == 422
        assert "Only http and https" in bad.json()["error"]
