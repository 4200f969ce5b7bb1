"""Fixtures for API tests: apps, tokens and clients that carry them."""

import secrets
from datetime import timedelta

import orjson
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from hubbub.accounts.models import Account
from hubbub.api.actions import register_application
from hubbub.api.models import Application


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Start each test with empty rate-limit counters.

    Django's test client always calls from 127.0.0.1, so without this the
    counters of earlier tests in the process would spill into later ones.
    """
    cache.clear()
    yield
    cache.clear()


class ApiClient(Client):
    """A test client that sends a bearer token and reads JSON."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def request(self, **request):
        if self.token:
            request.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return super().request(**request)

    def post_json(self, path, data, **extra):
        return self.post(
            path, orjson.dumps(data), content_type="application/json", **extra
        )


def make_app(scopes: str = "read write follow push") -> tuple[Application, str]:
    return register_application(
        name="Test app",
        redirect_uris=["urn:ietf:wg:oauth:2.0:oob"],
        scopes=scopes.split(),
    )


def make_token(
    account: Account | None, scopes: str, application: Application | None = None
) -> str:
    """Create a token as the OAuth server would, and return it."""
    application = application or make_app()[0]
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=account,
        application=application,
        scope=scopes,
        expires=timezone.now() + timedelta(days=3650),
    )
    set_token_value(token, raw)
    token.save()
    return raw


@pytest.fixture
def api_client(db):
    """Return ``make(account=None, scopes="read write follow")`` → ApiClient."""

    def make(account: Account | None = None, scopes: str = "read write follow"):
        token = make_token(account, scopes) if account or scopes != "" else None
        return ApiClient(token)

    return make


@pytest.fixture
def anon(db) -> ApiClient:
    return ApiClient()
