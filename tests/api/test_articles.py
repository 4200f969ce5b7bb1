"""Articles in the API: hubbub's own endpoints, and articles as statuses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hubbub.accounts.actions import follow_account
from hubbub.blog.models import Article, State
from hubbub.posts.models import Post
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

SOURCE = "Teaser words.\n\n<!--more-->\n\nThe rest."


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


def create(client: ApiClient, **changes):
    body = {"title": "Bread at dawn", "source": SOURCE, "tags": ["baking"]}
    body.update(changes)
    return client.post_json("/api/hubbub/v1/articles", body)


def test_create_publish_and_read_an_article(alice_api, alice, bob, anon):
    draft = create(alice_api).json()
    assert draft["state"] == "draft"
    assert draft["status"] is None
    assert draft["tags"] == ["baking"]
    # A draft is the author's alone.
    assert anon.get(f"/api/hubbub/v1/articles/{draft['id']}").status_code == 404

    published = alice_api.post_json(
        f"/api/hubbub/v1/articles/{draft['id']}/publish", {}
    ).json()
    assert published["state"] == "published"
    status = published["status"]
    post = Post.objects.get()
    assert status["id"] == str(post.id)
    assert published["url"].endswith(f"/@alice/blog/{post.id}/bread-at-dawn")
    assert status["url"] == published["url"]
    assert "Teaser words." in status["content"]
    assert "Continue reading" in status["content"]
    assert "The rest." not in status["content"]

    seen = anon.get(f"/api/hubbub/v1/articles/{draft['id']}").json()
    assert seen["html"].count("The rest.") == 1
    # The article is a status to Mastodon clients, with its comments as
    # replies in /context.
    assert anon.get(f"/api/v1/statuses/{post.id}").json()["url"] == seen["url"]


def test_article_status_reaches_a_followers_home_timeline(
    alice_api, alice, bob, run_jobs
):
    follow_account(bob, followee=alice)
    with run_jobs():
        draft = create(alice_api).json()
        alice_api.post_json(f"/api/hubbub/v1/articles/{draft['id']}/publish", {})
    bob_api = ApiClient(make_token(bob, "read"))
    home = bob_api.get("/api/v1/timelines/home").json()
    article = alice_api.get(f"/api/hubbub/v1/articles/{draft['id']}").json()
    assert [s["url"] for s in home] == [article["url"]]
    # No "scheduled_at" key: toot would take it for a scheduled status.
    assert "scheduled_at" not in home[0]


def test_schedule_and_bad_schedules(alice_api):
    draft = create(alice_api).json()
    url = f"/api/hubbub/v1/articles/{draft['id']}/publish"
    for when, status in [
        ("2001-01-01T00:00:00Z", 422),
        ("2226-01-01T00:00:00Z", 422),
        ("next tuesday", 422),
        ("2030-13-45T00:00:00Z", 422),
        ("2030-01-01T00:00:00", 422),
    ]:
        response = alice_api.post_json(url, {"publish_at": when})
        assert response.status_code == status, when
        assert "error" in response.json()
    assert Article.objects.get().state == State.DRAFT
    soon = (timezone.now() + timedelta(days=1)).isoformat()
    body = alice_api.post_json(url, {"publish_at": soon}).json()
    assert body["state"] == "scheduled"
    assert body["status"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "x" * 1000},
        {"title": "ok", "tags": ["../etc"]},
        {"title": "ok", "source": "[" * 300_000},
        {"source": "no title"},
    ],
)
def test_bad_articles_are_refused_and_nothing_is_written(alice_api, body):
    response = alice_api.post_json("/api/hubbub/v1/articles", body)
    assert response.status_code == 422
    assert "error" in response.json()
    assert not Article.objects.exists()


def test_someone_elses_article_is_not_found(alice_api, bob):
    draft = create(alice_api).json()
    bob_api = ApiClient(make_token(bob, "read write"))
    for method, path in [
        ("put", f"/api/hubbub/v1/articles/{draft['id']}"),
        ("post", f"/api/hubbub/v1/articles/{draft['id']}/publish"),
        ("post", f"/api/hubbub/v1/articles/{draft['id']}/unpublish"),
        ("get", f"/api/hubbub/v1/articles/{draft['id']}"),
    ]:
        if method == "put":
            response = bob_api.put(
                path, b'{"title": "Mine now"}', content_type="application/json"
            )
        else:
            response = getattr(bob_api, method)(path)
        assert response.status_code == 404, path
    assert Article.objects.get().title == "Bread at dawn"


@pytest.mark.parametrize(
    ("scopes", "status"), [("", 401), ("read", 403), ("write:statuses", 200)]
)
def test_scopes(alice, scopes, status):
    client = ApiClient(make_token(alice, scopes) if scopes else None)
    assert create(client).status_code == status


def test_endpoints_are_in_the_openapi_document(anon):
    paths = anon.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/hubbub/v1/articles",
        "/api/hubbub/v1/articles/{id}",
        "/api/hubbub/v1/articles/{id}/publish",
        "/api/hubbub/v1/articles/{id}/unpublish",
    ):
        assert path in paths
