"""Responses in Mastodon's shape: orjson bodies and ``{"error": ...}``."""

from typing import Any

import orjson
from django.http import HttpResponse

from hubbub.api.parsing import to_id

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``.

    ``extra`` adds fields, e.g. ``error_description`` on OAuth endpoints.
    """

    def __init__(self, status: int, message: str, **extra: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """Return ``data`` rendered with orjson."""
    return HttpResponse(
        orjson.dumps(data),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        headers=headers,
    )


def error_response(error: ApiError) -> HttpResponse:
    """Return the response for ``error``."""
    return json_response({"error": error.message, **error.extra}, status=error.status)


def not_found() -> ApiError:
    """Return the error for an unknown or invisible record (never a 403)."""
    return ApiError(404, "Record not found")


def path_id(value: str) -> int:
    """Return the id in a URL path, or raise a 404 for anything malformed."""
    try:
        return to_id(value)
    except ValueError as e:
        raise not_found() from e
