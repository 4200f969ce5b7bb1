"""The django-ninja API object: parsing, errors and the OpenAPI document.

django-ninja is used for routing and for the OpenAPI document; bodies are
parsed by ``parsing`` (form, multipart and JSON alike), errors take
Mastodon's shape, and views return their own orjson responses.
"""

from importlib.metadata import version
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer

from hubbub.api.auth import SECURITY_SCHEME
from hubbub.api.http import ApiError, error_response, json_response
from hubbub.api.parsing import BadParameterError, body_data, querydict_to_dict
from hubbub.api.scopes import ALL_SCOPES, DESCRIPTIONS

HUBBUB_VERSION = version("hubbub")
# Mastodon.py reads the part before "+" (4.3.0: v2 search, v2 instance and
# api_versions, nothing of 4.4); the text after "+" must not start with a
# digit, or it would be read as the version instead.
MASTODON_VERSION = f"4.3.0+hubbub.{HUBBUB_VERSION}"
BODY_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MastodonParser(Parser):
    """Read bodies and query strings the way Mastodon clients write them."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        """Return the body's parameters (JSON, form or multipart)."""
        return body_data(request)

    def parse_querydict(
        self,
        data: MultiValueDict[str, Any],
        list_fields: list[str],
        request: HttpRequest,
    ) -> dict[str, Any]:
        """Return query or form parameters with ``key[]`` arrays read."""
        return querydict_to_dict(data)  # type: ignore[arg-type]


class OrjsonRenderer(BaseRenderer):
    """Render with orjson (for the few responses ninja builds itself)."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        """Return ``data`` as JSON bytes."""
        return orjson.dumps(data)


class MastodonAPI(NinjaAPI):
    """NinjaAPI mounted at the site root, with Mastodon's error shape."""

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        """Return the URL patterns, without ninja's catch-all root page."""
        patterns, app_name, namespace = super().urls
        kept = [p for p in patterns if getattr(p, "name", None) != "api-root"]
        return kept, app_name, namespace

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: Any = None
    ) -> Any:
        """Return the OpenAPI document, completed where ninja stops short."""
        schema = super().get_openapi_schema(path_prefix="", path_params=path_params)
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/oauth/token",
                    "scopes": {s: DESCRIPTIONS[s] for s in ALL_SCOPES},
                },
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {s: DESCRIPTIONS[s] for s in ALL_SCOPES},
                },
            },
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                _offer_every_body_type(operation)
        return schema


def _offer_every_body_type(operation: dict[str, Any]) -> None:
    # Every write takes form and multipart bodies as well as JSON.
    content = operation.get("requestBody", {}).get("content", {})
    json_body = content.get("application/json")
    if json_body is not None:
        for media_type in BODY_TYPES:
            content.setdefault(media_type, json_body)


def _validation_message(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"][1:] if part != "payload")
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def _on_validation_error(
    request: HttpRequest, exc: NinjaValidationError
) -> HttpResponse:
    sources = {error["loc"][0] for error in exc.errors}
    details = "; ".join(_validation_message(e) for e in exc.errors)
    if request.path_info.startswith("/oauth/"):
        return error_response(
            ApiError(400, "invalid_request", error_description=details)
        )
    if "path" in sources:
        # A malformed id names no record, like an unknown one.
        return error_response(ApiError(404, "Record not found"))
    if sources & {"body", "form", "file"}:
        return error_response(ApiError(422, f"Validation failed: {details}"))
    return error_response(ApiError(400, details))


def _on_domain_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    message = " ".join(m.rstrip(".") for m in exc.messages)
    return error_response(ApiError(422, f"Validation failed: {message}"))


def _on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc)


def _on_bad_parameter(request: HttpRequest, exc: BadParameterError) -> HttpResponse:
    return error_response(ApiError(400, str(exc)))


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(ApiError(exc.status_code, str(exc)))


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(ApiError(404, "Record not found"))


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(ApiError(403, "This action is not allowed"))


def build_api() -> MastodonAPI:
    """Return the API object, its error handlers installed."""
    api = MastodonAPI(
        title=f"{settings.HUBBUB_INSTANCE_TITLE}: Mastodon client API",
        version=HUBBUB_VERSION,
        description=(
            "The subset of the Mastodon client API that hubbub serves. "
            "Every write takes form, multipart or JSON bodies; ids are strings; "
            'errors are `{"error": "…"}`.'
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        urls_namespace="mastodon",
        renderer=OrjsonRenderer(),
        parser=MastodonParser(),
    )
    handlers: list[tuple[type[Exception], Any]] = [
        (ApiError, _on_api_error),
        (NinjaValidationError, _on_validation_error),
        (DjangoValidationError, _on_domain_error),
        (BadParameterError, _on_bad_parameter),
        (HttpError, _on_http_error),
        (Http404, _on_not_found),
        (PermissionDenied, _on_permission_denied),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)
    return api


def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer an unknown /api/ path with a JSON 404, not the HTML page."""
    return json_response({"error": "Record not found"}, status=404)
