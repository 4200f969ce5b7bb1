"""OAuth 2 endpoints: sign-in and consent, tokens, revocation, discovery."""

import time
from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from ninja import Router, Schema
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.views import AuthorizationView
from pydantic import Field

from hubbub.api import schemas
from hubbub.api.actions import OOB_REDIRECT_URI, revoke_token
from hubbub.api.http import json_response
from hubbub.api.models import Application
from hubbub.api.parsing import BadParameterError
from hubbub.api.scopes import ALL_SCOPES

router = Router(tags=["oauth"])
OAUTH_ERRORS = dict.fromkeys((400, 401, 403, 429), schemas.OAuthError)


class AuthorizeView(AuthorizationView):
    """The sign-in and consent page; out-of-band codes are shown, not sent.

    Signing in is the web's own login page (``LOGIN_URL``), which returns
    here afterwards.
    """

    template_name = "api/oauth/authorize.html"

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        """Redirect to the app, or show the code for the OOB redirect URI."""
        if redirect_to.startswith(OOB_REDIRECT_URI + "?"):
            answer = QueryDict(redirect_to.partition("?")[2])
            if "code" not in answer:
                # An error (e.g. access denied) is shown, not sent anywhere.
                error = {
                    "error": answer.get("error", "invalid_request"),
                    "description": answer.get("error_description", ""),
                }
                return render(
                    self.request, self.template_name, {"error": error}, status=400
                )
            return render(
                self.request,
                "api/oauth/oob.html",
                {"code": answer["code"], "application": application},
            )
        response: HttpResponse = super().redirect(redirect_to, application)
        return response


class TokenForm(Schema):
    """A token request (RFC 6749 §4); which fields matter depends on the grant."""

    grant_type: str = Field(
        description="authorization_code, client_credentials, or password "
        "(where the server enables it)."
    )
    client_id: str | None = Field(None, max_length=255)
    client_secret: str | None = Field(None, max_length=255)
    code: str | None = Field(None, max_length=255)
    redirect_uri: str | None = Field(None, max_length=2000)
    code_verifier: str | None = Field(None, max_length=128)
    scope: str | None = Field(None, max_length=2000)
    username: str | None = Field(None, max_length=300)
    password: str | None = Field(None, max_length=1000)


def _oauth_error(status: int, error: str, description: str) -> HttpResponse:
    return json_response(
        {"error": error, "error_description": description}, status=status
    )


@router.post("/oauth/token", response={200: schemas.Token, **OAUTH_ERRORS})
def token(request: HttpRequest, payload: TokenForm) -> HttpResponse:
    """Issue an access token (authorization code, client credentials, password)."""
    try:
        _, _headers, body, status = get_oauthlib_core().create_token_response(request)
    except BadParameterError as e:
        return _oauth_error(400, "invalid_request", str(e))
    data = orjson.loads(body)
    if status == 200:
        # Mastodon's tokens live until revoked, and clients expect the
        # creation time as a number.
        data.pop("expires_in", None)
        data["created_at"] = int(time.time())
    return json_response(data, status=status)


class RevokeForm(Schema):
    """A revocation request (RFC 7009)."""

    client_id: str = Field(max_length=255)
    client_secret: str = Field(max_length=255)
    token: str = Field(max_length=1000)


@router.post("/oauth/revoke", response={200: schemas.Empty, **OAUTH_ERRORS})
def revoke(request: HttpRequest, payload: RevokeForm) -> HttpResponse:
    """Revoke a token of the calling app; revoking twice is fine."""
    application = Application.objects.filter(client_id=payload.client_id).first()
    if application is None or not check_password(
        payload.client_secret, application.client_secret
    ):
        return _oauth_error(401, "invalid_client", "Client authentication failed.")
    try:
        revoke_token(application, token=payload.token)
    except PermissionDenied as e:
        return _oauth_error(403, "unauthorized_client", str(e))
    return json_response({})


@router.get(
    "/.well-known/oauth-authorization-server",
    response={200: schemas.AuthorizationServer, 429: schemas.Error},
)
def authorization_server(request: HttpRequest) -> HttpResponse:
    """Describe the OAuth server (RFC 8414).

    Mastodon.py takes the endpoint URLs from here and, unless told
    ``allow_http``, accepts only https ones; over plain HTTP it must be told.
    """
    base = f"{request.scheme}://{request.get_host()}"
    grants = ["authorization_code", "client_credentials"]
    if settings.HUBBUB_OAUTH_PASSWORD_GRANT:
        grants.append("password")
    return json_response(
        {
            "issuer": f"{base}/",
            "authorization_endpoint": base + reverse("oauth-authorize"),
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": list(ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": grants,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "service_documentation": f"{base}/api/docs",
        }
    )
