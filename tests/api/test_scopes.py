"""Each endpoint against no token / wrong scope / right scope, from the URL list.

The operations come from the OpenAPI document, and every /api/ route that
Django knows must be in it, so a new endpoint cannot escape the matrix.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import ApiClient, make_token

WRONG_SCOPE = "push"


def _operations() -> list[tuple[str, str, list[str] | None]]:
    """Return (method, path, required scopes or None when public)."""
    from hubbub.api.urls import api

    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            security = operation.get("security")
            required = None
            if security and {} not in security:
                required = [scope for entry in security for scope in entry["OAuth2"]]
            found.append((method, path, required))
    return found


def _django_api_routes(patterns=None, prefix="") -> set[str]:
    routes = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= _django_api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v"):
            routes.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return routes


def test_every_api_route_is_documented(db):
    documented = {path for _, path, _ in _operations()}
    assert _django_api_routes() - documented == set()


def _call(client: ApiClient, method: str, path: str, alice) -> int:
    url = path.replace("{id}", str(alice.pk))
    url = url.replace("{hashtag}", "news").replace("{name}", "news")
    if method == "get":
        return client.get(url).status_code
    return client.generic(
        method.upper(), url, b"{}", content_type="application/json"
    ).status_code


# The OAuth endpoints authenticate the client (id and secret), not a bearer
# token; tests/api/test_endpoints.py covers their refusals.
OPERATIONS = [op for op in _operations() if not op[1].startswith("/oauth/")]


@pytest.mark.parametrize(
    ("method", "path", "required"),
    OPERATIONS,
    ids=[f"{m} {p}" for m, p, _ in OPERATIONS],
)
def test_scope_matrix(method, path, required, alice, bob):
    anonymous = _call(ApiClient(), method, path, alice)
    wrong = _call(ApiClient(make_token(bob, WRONG_SCOPE)), method, path, alice)
    right_scope = required[0] if required else "read write follow"
    right = _call(ApiClient(make_token(bob, right_scope)), method, path, alice)
    if required is None:
        assert anonymous not in (401, 403)
        assert wrong not in (401, 403)
    else:
        assert anonymous == 401
        assert wrong == (403 if required else right)
    assert right not in (401, 403)
