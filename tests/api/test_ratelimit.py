"""Rate limits on POST /oauth/token: per address, refused, then recovered."""

import time
from datetime import datetime

from tests.api.conftest import make_app

PASSWORD = "a long test password"


def password_grant(client, app, secret, address="127.0.0.1", password=PASSWORD):
    return client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": secret,
            "username": "alice",
            "password": password,
            "scope": "read",
        },
        REMOTE_ADDR=address,
    )


def test_token_requests_are_limited_per_address_and_recover(alice, anon, settings):
    settings.HUBBUB_OAUTH_PASSWORD_GRANT = True
    settings.HUBBUB_OAUTH_TOKEN_RATE_LIMIT = 3
    settings.HUBBUB_OAUTH_TOKEN_RATE_PERIOD = 2
    app, secret = make_app()
    # Windows are aligned to the clock: start at the top of a fresh one so
    # all four requests below fall into the same window.
    time.sleep(2 - time.time() % 2)

    # Failed guesses count as much as successes.
    answers = [
        password_grant(anon, app, secret, password="wrong"),
        password_grant(anon, app, secret),
        password_grant(anon, app, secret),
    ]
    assert [a.status_code for a in answers] == [400, 200, 200]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a["X-RateLimit-Limit"] == "3" for a in answers)

    refused = password_grant(anon, app, secret)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert refused["X-RateLimit-Remaining"] == "0"
    # Another address, and the rest of the API, keep their own counters.
    assert password_grant(anon, app, secret, address="192.0.2.7").status_code == 200
    assert anon.get("/api/v1/instance")["X-RateLimit-Limit"] == "300"

    reset = datetime.fromisoformat(refused["X-RateLimit-Reset"]).timestamp()
    time.sleep(max(reset - time.time(), 0) + 0.05)
    recovered = password_grant(anon, app, secret)
    assert recovered.status_code == 200
    assert recovered.json()["access_token"]
    assert recovered["X-RateLimit-Remaining"] == "2"


def test_other_oauth_paths_are_not_counted(alice, anon, settings):
    settings.HUBBUB_OAUTH_TOKEN_RATE_LIMIT = 1
    for _ in range(3):
        response = anon.get("/.well-known/oauth-authorization-server")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response
