"""``/api/v1/apps``: registering client apps."""

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from hubbub.api import schemas
from hubbub.api.actions import register_application
from hubbub.api.auth import credentials, requires
from hubbub.api.http import json_response, not_found
from hubbub.api.models import (
    APP_NAME_MAX_LENGTH,
    APP_WEBSITE_MAX_LENGTH,
    Application,
)
from hubbub.api.parsing import StringList
from hubbub.api.serializers import application

router = Router(tags=["apps"])


class AppForm(Schema):
    """What a client sends to register."""

    client_name: str = Field(min_length=1, max_length=APP_NAME_MAX_LENGTH)
    redirect_uris: str | StringList = Field(
        description="One or more URIs, separated by newlines, or a list; "
        "urn:ietf:wg:oauth:2.0:oob shows the code instead of redirecting.",
    )
    scopes: str = Field("read", max_length=2000, description="Space-separated.")
    website: str | None = Field(None, max_length=APP_WEBSITE_MAX_LENGTH)


@router.post(
    "/api/v1/apps",
    response={200: schemas.CredentialApplication, **schemas.errors(400, 422, 429)},
)
def create_app(request: HttpRequest, payload: AppForm) -> HttpResponse:
    """Register a client app and return its client id and secret."""
    uris = payload.redirect_uris
    if isinstance(uris, str):
        uris = uris.split()
    app, secret = register_application(
        name=payload.client_name,
        redirect_uris=uris,
        scopes=payload.scopes.split(),
        website=payload.website or "",
    )
    return json_response(application(app, secret=secret))


@router.get(
    "/api/v1/apps/verify_credentials",
    response={200: schemas.Application, **schemas.errors(401, 429)},
)
@requires(user=False)
def verify_app_credentials(request: HttpRequest) -> HttpResponse:
    """Return the app the token belongs to."""
    found = credentials(request)
    if found is None or found.application_id is None:
        raise not_found()
    return json_response(application(Application.objects.get(id=found.application_id)))
