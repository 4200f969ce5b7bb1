"""django-oauth-toolkit's extension points, filled in Mastodon's way.

Settings name these classes (``OAUTH2_PROVIDER`` in hubbub.settings):
scopes come from the app's registration, one app may use every grant,
the password grant is behind ``HUBBUB_OAUTH_PASSWORD_GRANT``, bodies may be
JSON, and no refresh tokens are issued because Mastodon's tokens live
until they are revoked.
"""

from typing import Any

from django.http import HttpRequest
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import GRANT_TYPE_MAPPING, OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauthlib.oauth2 import Server

from hubbub.accounts.queries import username_for_login
from hubbub.api.models import Application
from hubbub.api.parsing import body_data
from hubbub.api.scopes import ALL_SCOPES, DEFAULT_SCOPES, DESCRIPTIONS


class MastodonScopes(BaseScopes):
    """Mastodon's scopes; an app may be granted what it registered for."""

    def get_all_scopes(self) -> dict[str, str]:
        """Return every scope with its description."""
        return {scope: DESCRIPTIONS[scope] for scope in ALL_SCOPES}

    def get_available_scopes(
        self, application: Application | None = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        """Return the scopes ``application`` may ask for."""
        if application is None:
            return list(ALL_SCOPES)
        return [s for s in ALL_SCOPES if application.allows_scopes(frozenset([s]))]

    def get_default_scopes(self, *args: Any, **kwargs: Any) -> list[str]:
        """Return the scopes granted when a client names none (``read``)."""
        return list(DEFAULT_SCOPES)


class MastodonValidator(OAuth2Validator):
    """OAuth2Validator with Mastodon's grant and login rules."""

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Application,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """Return whether the app may use ``grant_type`` (see Application).

        The parent also warns on every password grant (RFC 9700); hubbub
        offers that grant only where the operator turned it on.
        """
        types = GRANT_TYPE_MAPPING.get(grant_type, ())
        return bool(types) and request.client.allows_grant_type(*types)

    def validate_user(
        self,
        username: str,
        password: str,
        client: Application,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """Check a password login; ``username`` may be the e-mail address.

        toot's login_cli sends the e-mail, as Mastodon's own login does.
        """
        login = username_for_login(username) or username
        valid: bool = super().validate_user(login, password, client, request)
        return valid


class MastodonOAuthLibCore(OAuthLibCore):
    """OAuthLibCore that reads JSON bodies as well as forms (toot sends both)."""

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        """Return the body's parameters as (name, value) pairs."""
        return [
            (name, str(value))
            for name, value in body_data(request).items()
            if isinstance(value, str | int) and not isinstance(value, bool)
        ]


class MastodonServer(Server):
    """oauthlib's server with only Mastodon's grants, and no refresh tokens."""

    def __init__(self, request_validator: OAuth2Validator, *args: Any, **kwargs: Any):
        super().__init__(request_validator, *args, **kwargs)
        self._grant_types: dict[str, Any] = {
            name: grant
            for name, grant in self._grant_types.items()
            if name in ("authorization_code", "password", "client_credentials")
        }
        self._response_types = {"code": self.auth_grant}
        for grant in self._grant_types.values():
            grant.refresh_token = False
