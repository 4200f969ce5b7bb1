"""Every endpoint's refusals, generated from the OpenAPI document.

Each operation is called the ways a client gets it wrong: without a token,
with a token lacking its scope, with a revoked token, with a malformed id,
with an unreadable body and with a query value of the wrong type. Every
refusal must be Mastodon's ``{"error": ...}`` (plus ``error_description``
on OAuth endpoints), with the status the mistake calls for, and a status
the operation documents; nothing may change and nothing may be a 500.
"""

import re

import pytest
from oauth2_provider.models import AccessToken

from hubbub.posts.models import Post
from tests.api.conftest import ApiClient, make_token

ERROR_STATUSES = {400, 401, 403, 404, 422, 429}
MALFORMED_ID = "12ab"


def _operations() -> list[tuple[str, str, dict]]:
    from hubbub.api.urls import api

    return [
        (method, path, operation)
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method, operation in operations.items()
    ]


OPERATIONS = _operations()


def _required_scopes(operation: dict) -> list[str] | None:
    security = operation.get("security")
    if not security or {} in security:
        return None
    return [scope for entry in security for scope in entry["OAuth2"]]


def _fill(path: str, identifier: str) -> str:
    return re.sub(r"\{(id|name|hashtag)\}", identifier, path)


def _check_error(response, operation: dict, what: str) -> None:
    assert response.status_code in ERROR_STATUSES, what
    assert response["Content-Type"].startswith("application/json"), what
    body = response.json()
    assert isinstance(body, dict), what
    assert isinstance(body.get("error"), str), what
    assert body["error"], what
    assert set(body) <= {"error", "error_description"}, what
    documented = {int(status) for status in operation["responses"]}
    assert response.status_code in documented, f"{what}: undocumented"


def _call(client: ApiClient, method: str, url: str, body: bytes = b"{}", **extra):
    return client.generic(
        method.upper(), url, body, content_type="application/json", **extra
    )


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{m} {p}" for m, p, _ in OPERATIONS],
)
def test_every_refusal_has_mastodons_shape_and_status(
    method, path, operation, alice, bob
):
    note = Post.objects.create(author=alice, text="x", html="<p>x</p>")
    posts_before = Post.objects.count()
    url = _fill(path, str(note.id) if "/statuses/" in path else str(alice.pk))
    required = _required_scopes(operation)
    oauth = path.startswith("/oauth/")

    if required is not None and not oauth:
        anonymous = _call(ApiClient(), method, url)
        _check_error(anonymous, operation, "no token")
        assert anonymous.status_code == 401
        if required:  # an empty list: any valid token will do
            wrong = _call(ApiClient(make_token(bob, "push")), method, url)
            _check_error(wrong, operation, "wrong scope")
            assert wrong.status_code == 403
        revoked_token = make_token(bob, "read write follow")
        AccessToken.objects.filter(user=bob).delete()
        revoked = _call(ApiClient(revoked_token), method, url)
        _check_error(revoked, operation, "revoked token")
        assert revoked.status_code == 401

    client = ApiClient(make_token(bob, "read write follow"))
    if "{" in path:
        malformed = _call(client, method, _fill(path, MALFORMED_ID))
        if malformed.status_code >= 400:
            _check_error(malformed, operation, "malformed id")
        # A tag's name is any text; every id must be well formed. (A body
        # that lacks a required field may be refused first, with 422.)
        body_required = operation.get("requestBody", {}).get("required", False)
        if "{id}" in path:
            assert malformed.status_code in ({404, 422} if body_required else {404})

    if "requestBody" in operation:
        unreadable = _call(client, method, url, b'{"status": ')
        _check_error(unreadable, operation, "invalid JSON")
        assert unreadable.status_code == 400
        wrong_type = _call(client, method, url, b"[1, 2]")
        _check_error(wrong_type, operation, "a JSON array")
        assert wrong_type.status_code == 400

    typed = [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p["schema"].get("type") in ("integer", "boolean")
    ]
    if typed and method == "get":
        query = "&".join(f"{name}=not-a-value" for name in typed)
        bad = client.get(f"{url}?{query}")
        _check_error(bad, operation, f"bad query {query}")
        assert bad.status_code == 400

    assert Post.objects.count() == posts_before
    assert not Post.objects.filter(deleted_at__isnull=False).exists()
