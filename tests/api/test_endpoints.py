"""HTTP tests through Django's client: happy paths and bad input."""

import base64
import hashlib

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hubbub.api.models import IdempotencyKey
from hubbub.api.parsing import querydict_to_dict, to_bool
from hubbub.moderation.models import RateCounter
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from tests.api.conftest import ApiClient, make_app, make_token


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write follow"))


def test_instance_answers_anonymously_with_and_without_slash(anon):
    for path in ("/api/v1/instance", "/api/v1/instance/"):
        body = anon.get(path).json()
        assert body["version"] == "4.3.0+hubbub.0.1.0"
        assert body["configuration"]["statuses"]["max_characters"] == 140
    v2 = anon.get("/api/v2/instance/", HTTP_AUTHORIZATION="Bearer revoked").json()
    assert v2["api_versions"] == {"mastodon": 2}


def test_every_api_response_has_rate_limit_headers(anon):
    for path in ("/api/v1/instance", "/api/v1/nothing-here"):
        response = anon.get(path)
        assert response["X-RateLimit-Limit"] == "300"
        assert response["X-RateLimit-Reset"].endswith("Z")
    assert anon.get("/api/v1/nothing-here").json() == {"error": "Record not found"}


def test_rate_limit_answers_429_with_retry_after(anon, settings):
    settings.HUBBUB_API_RATE_LIMIT = 2
    cache.clear()
    statuses = [anon.get("/api/v1/instance").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = anon.get("/api/v1/instance")
    assert int(response["Retry-After"]) >= 1
    assert response["X-RateLimit-Remaining"] == "0"
    cache.clear()


def test_api_reads_are_counted_without_writing_to_the_database(alice_api, settings):
    """A read's counter never takes the database's write lock: it lives in
    Redis or, without Redis, in the process. Changes count in the database
    when there is no Redis, shared by every process."""
    settings.HUBBUB_API_RATE_LIMIT = 2
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        statuses = [
            alice_api.get("/api/v1/timelines/home").status_code for _ in range(3)
        ]
    assert statuses == [200, 200, 429]
    assert not [q for q in queries if "ratecounter" in q["sql"]]
    assert not RateCounter.objects.exists()

    settings.HUBBUB_API_RATE_LIMIT = 300
    cache.clear()  # with Redis the reads above counted in the same window
    posted = alice_api.post("/api/v1/statuses", {"status": "counted"})
    assert posted.status_code == 200
    assert posted["X-RateLimit-Remaining"] == "299"
    assert RateCounter.objects.exists() == (not settings.REDIS_URL)
    cache.clear()


def test_post_status_form_json_and_multipart(alice_api):
    assert alice_api.post("/api/v1/statuses", {"status": "form"}).status_code == 200
    assert (
        alice_api.post_json("/api/v1/statuses", {"status": "json"}).status_code == 200
    )
    multipart = alice_api.post(
        "/api/v1/statuses", {"status": "multipart", "visibility": "private"}
    )
    assert multipart.json()["visibility"] == "private"
    assert Post.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"status":', "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"[" * 5000, "application/json", 400),
        (b'{"status": "\\ud800"}', "application/json", 400),
        (b'{"status": ["a"]}', "application/json", 422),
        (b'{"status": "x", "sensitive": "maybe"}', "application/json", 422),
        (b'{"status": "x", "visibility": "secret"}', "application/json", 422),
        (b'{"status": "x", "media_ids": ["1"]}', "application/json", 422),
        (b'{"status": "   "}', "application/json", 422),
        (b"status=hi", "text/plain", 400),
    ],
)
def test_bad_status_bodies_change_nothing(alice_api, body, content_type, status):
    response = alice_api.post("/api/v1/statuses", body, content_type=content_type)
    assert response.status_code == status
    assert "error" in response.json()
    assert not Post.objects.exists()


def test_141_characters_is_422(alice_api):
    response = alice_api.post("/api/v1/statuses", {"status": "x" * 141})
    assert response.status_code == 422
    assert "character limit of 140" in response.json()["error"]


def test_idempotency_key_returns_the_same_status(alice, alice_api):
    first = alice_api.post(
        "/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    again = alice_api.post(
        "/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.json()["id"] == again.json()["id"]
    assert Post.objects.count() == 1
    IdempotencyKey.objects.update(
        created_at=IdempotencyKey.objects.get().created_at.replace(year=2000)
    )
    later = alice_api.post(
        "/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert later.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/statuses/-1",
        "/api/v1/statuses/0",
        "/api/v1/statuses/9223372036854775808",
        "/api/v1/statuses/123456789012345678901234567890",
        "/api/v1/statuses/1.json",
        "/api/v1/accounts/abc",
    ],
)
def test_malformed_or_unknown_ids_are_404(anon, path):
    response = anon.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


@pytest.mark.parametrize(
    "query", ["max_id=abc", "max_id=-1", "max_id=1e5", "limit=0", "limit=-1", "limit=x"]
)
def test_bad_cursors_are_400(anon, query):
    response = anon.get(f"/api/v1/timelines/public?{query}")
    assert response.status_code == 400
    assert "error" in response.json()


def test_public_timeline_pages_with_link_header(alice, anon):
    notes = [publish_note(alice, text=f"n{i}") for i in range(3)]
    first = anon.get("/api/v1/timelines/public?limit=2&local=true")
    assert [s["id"] for s in first.json()] == [str(notes[2].id), str(notes[1].id)]
    link = first["Link"]
    base = "http://testserver/api/v1/timelines/public?limit=2&local=true"
    assert link.startswith(f'<{base}&max_id={notes[1].id}>; rel="next", ')
    assert link.endswith(f'min_id={notes[2].id}>; rel="prev"')
    last = anon.get(f"/api/v1/timelines/public?limit=2&max_id={notes[1].id}")
    assert 'rel="next"' not in last["Link"]
    assert "Link" not in anon.get(f"/api/v1/timelines/public?min_id={notes[2].id}")
    huge = anon.get("/api/v1/timelines/public?limit=100000")
    assert huge.status_code == 200


def test_follow_unfollow_and_relationships(alice, bob, alice_api):
    assert alice_api.post(f"/api/v1/accounts/{bob.pk}/follow").json()["following"]
    rel = alice_api.get(f"/api/v1/accounts/relationships?id[]={bob.pk}&id[]=5").json()
    assert [r["id"] for r in rel] == [str(bob.pk)]
    single = alice_api.get(f"/api/v1/accounts/relationships?id={bob.pk}").json()
    assert single[0]["following"]
    followers = alice_api.get(f"/api/v1/accounts/{bob.pk}/followers").json()
    assert [a["username"] for a in followers] == ["alice"]
    assert alice_api.post(f"/api/v1/accounts/{alice.pk}/follow").status_code == 422
    assert not alice_api.post(f"/api/v1/accounts/{bob.pk}/unfollow").json()["following"]


def test_lookup_and_search_by_handle(alice, anon):
    assert anon.get("/api/v1/accounts/lookup?acct=@alice").json()["id"] == str(alice.pk)
    assert anon.get("/api/v1/accounts/lookup?acct=alice@testserver").status_code == 200
    assert anon.get("/api/v1/accounts/lookup?acct=alice@elsewhere").status_code == 404
    found = anon.get("/api/v2/search?q=alice&type=accounts&resolve=true").json()
    assert [a["acct"] for a in found["accounts"]] == ["alice"]
    assert found["statuses"] == found["hashtags"] == []


def test_app_token_cannot_act_as_a_user(db):
    app, _ = make_app()
    client = ApiClient(make_token(None, "read write", app))
    assert client.get("/api/v1/apps/verify_credentials").json()["name"] == "Test app"
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 422


def _token(client, app, secret, **data):
    return client.post(
        "/oauth/token",
        {"client_id": app.client_id, "client_secret": secret, **data},
    )


def test_password_grant_follows_the_setting(alice, anon, settings):
    alice.email = "alice@example.com"
    alice.save()
    app, secret = make_app()
    login = {
        "grant_type": "password",
        "username": "alice@example.com",
        "password": "a long test password",
        "scope": "read write follow push",
    }
    settings.HUBBUB_OAUTH_PASSWORD_GRANT = False
    assert _token(anon, app, secret, **login).json()["error"] == "unauthorized_client"
    grants = anon.get("/.well-known/oauth-authorization-server").json()
    assert "password" not in grants["grant_types_supported"]
    settings.HUBBUB_OAUTH_PASSWORD_GRANT = True
    token = _token(anon, app, secret, **login).json()
    assert token["scope"] == "read write follow push"
    assert isinstance(token["created_at"], int)
    assert "expires_in" not in token
    assert "refresh_token" not in token
    bad = _token(anon, app, secret, **{**login, "password": "wrong"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"


def test_client_credentials_json_and_scope_check(anon, db):
    app, secret = make_app("read")
    body = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": secret,
        "scope": "read",
    }
    assert anon.post_json("/oauth/token", body).status_code == 200
    assert (
        anon.post_json("/oauth/token", {**body, "scope": "write"}).json()["error"]
        == "invalid_scope"
    )
    assert (
        anon.post_json("/oauth/token", {**body, "client_secret": "x"}).status_code
        == 401
    )


def _authorize(client, app, **extra):
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "scope": "read",
        "state": "None",
        "force_login": "False",
        "lang": "None",
        **extra,
    }
    page = client.get("/oauth/authorize/", query)
    assert page.status_code == 200, page.content
    form = {**page.context["form"].initial, "allow": "on"}
    return client.post("/oauth/authorize", {k: v or "" for k, v in form.items()})


def test_authorization_code_with_oob_and_pkce(alice, anon):
    app, secret = make_app()
    browser = ApiClient()
    assert (
        browser.get("/oauth/authorize", {"client_id": app.client_id}).status_code == 302
    )
    browser.force_login(alice)
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    shown = _authorize(
        browser, app, code_challenge=challenge, code_challenge_method="S256"
    )
    code = shown.context["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
    }
    assert (
        _token(anon, app, secret, **exchange, code_verifier="w" * 50).status_code == 400
    )
    token = _token(anon, app, secret, **exchange, code_verifier=verifier).json()
    assert token["scope"] == "read"
    assert (
        _token(anon, app, secret, **exchange, code_verifier=verifier).status_code == 400
    )


def test_authorize_refuses_unregistered_redirects(alice, db):
    app, _ = make_app()
    browser = ApiClient()
    browser.force_login(alice)
    for uri in ("https://evil.example/cb", "urn:ietf:wg:oauth:2.0:oob.evil"):
        page = browser.get(
            "/oauth/authorize",
            {"client_id": app.client_id, "response_type": "code", "redirect_uri": uri},
        )
        assert page.status_code == 400
        assert "Location" not in page


def test_revoke_own_token_only(alice, anon):
    app, secret = make_app()
    other, other_secret = make_app()
    raw = make_token(alice, "read", app)
    foreign = anon.post(
        "/oauth/revoke",
        {"client_id": other.client_id, "client_secret": other_secret, "token": raw},
    )
    assert foreign.status_code == 403
    ok = anon.post(
        "/oauth/revoke",
        {"client_id": app.client_id, "client_secret": secret, "token": raw},
    )
    assert ok.json() == {}
    again = anon.post(
        "/oauth/revoke",
        {"client_id": app.client_id, "client_secret": secret, "token": raw},
    )
    assert again.json() == {}
    assert ApiClient(raw).get("/api/v1/accounts/verify_credentials").status_code == 401


def test_apps_validation(anon, db):
    ok = anon.post_json(
        "/api/v1/apps",
        {
            "client_name": "toot",
            "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob"],
            "scopes": "read write follow",
        },
    )
    assert ok.json()["client_secret"]
    assert anon.post("/api/v1/apps", {"client_name": "x"}).status_code == 422
    assert (
        anon.post(
            "/api/v1/apps", {"client_name": "x", "redirect_uris": "nope"}
        ).status_code
        == 422
    )
    assert (
        anon.post(
            "/api/v1/apps",
            {
                "client_name": "x",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "admin",
            },
        ).status_code
        == 422
    )


def test_csrf_does_not_apply_to_bearer_writes(alice, csrf_client):
    csrf_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token(alice, 'write')}"
    assert csrf_client.post("/api/v1/statuses", {"status": "hi"}).status_code == 200


def test_docs_page_is_served_offline(anon):
    page = anon.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_parsing_rules():
    assert all(to_bool(v) for v in ("1", "True", "t", "on", "yes", True))
    assert not any(to_bool(v) for v in ("0", "FALSE", "f", "off", "no", "", False))
    from django.http import QueryDict

    parsed = querydict_to_dict(
        QueryDict("id[]=1&id[]=2&poll[options][]=a&source[privacy]=x&one=1")
    )
    assert parsed == {
        "id": ["1", "2"],
        "poll": {"options": ["a"]},
        "source": {"privacy": "x"},
        "one": "1",
    }


def test_a_multipart_part_without_a_name_is_400(alice, bob, alice_api):
    note = publish_note(bob, text="share me")
    boundary = "b0undary"
    response = alice_api.post(
        f"/api/v1/statuses/{note.id}/reblog",
        f"--{boundary}\r\n[None, None]--{boundary}--\r\n",
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert not Post.objects.filter(reblog_of=note).exists()
    fine = alice_api.post(
        f"/api/v1/statuses/{note.id}/reblog", {"visibility": "public"}
    )
    assert fine.status_code == 200
