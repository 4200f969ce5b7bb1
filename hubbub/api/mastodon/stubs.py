"""Endpoints clients call that hubbub cannot serve yet: empty, harmless answers.

Each keeps Mastodon's scope, so the scope matrix covers it, and its real
shape, so a client that reads the answer finds nothing rather than an
error. When a feature lands, its endpoint moves to its own module.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Router

from hubbub.api import schemas
from hubbub.api.auth import requires
from hubbub.api.http import json_response

router = Router(tags=["not yet built"])
ERRORS = schemas.errors(401, 403, 422, 429)
PREFERENCES = {
    "posting:default:visibility": "public",
    "posting:default:sensitive": False,
    "posting:default:language": None,
    "reading:expand:media": "default",
    "reading:expand:spoilers": False,
}

# (path, scope or None for public, answer, summary)
STUBS: list[tuple[str, str | None, Any, str]] = [
    ("/api/v1/custom_emojis", None, [], "List custom emoji (none)."),
    ("/api/v1/instance/peers", None, [], "List known servers (none)."),
    ("/api/v1/instance/activity", None, [], "Weekly activity (not kept)."),
    ("/api/v1/instance/rules", None, [], "List server rules (none)."),
    ("/api/v1/trends", None, [], "Trending tags (none)."),
    ("/api/v1/trends/tags", None, [], "Trending tags (none)."),
    ("/api/v1/trends/statuses", None, [], "Trending statuses (none)."),
    ("/api/v1/trends/links", None, [], "Trending links (none)."),
    ("/api/v1/bookmarks", "read:bookmarks", [], "List bookmarked statuses."),
    ("/api/v1/filters", "read:filters", [], "List filters (v1)."),
    ("/api/v2/filters", "read:filters", [], "List filters (v2)."),
    ("/api/v1/lists", "read:lists", [], "List lists."),
    ("/api/v1/markers", "read:statuses", {}, "Read positions."),
    ("/api/v1/announcements", "read", [], "List announcements."),
    ("/api/v1/conversations", "read:statuses", [], "List conversations."),
    ("/api/v1/featured_tags", "read:accounts", [], "List featured tags."),
    ("/api/v1/followed_tags", "read:follows", [], "List followed tags."),
    ("/api/v1/preferences", "read:accounts", PREFERENCES, "Posting defaults."),
]


def _stub(answer: Any, summary: str) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        return json_response(answer)

    view.__doc__ = summary
    return view


def _register(path: str, scope: str | None, answer: Any, summary: str) -> None:
    name = path.removeprefix("/api/").replace("/", "_")
    view = _stub(answer, summary)
    view.__name__ = f"stub_{name}"
    guarded = requires(scope)(view) if scope else view
    response = list[dict[str, Any]] if isinstance(answer, list) else dict[str, Any]
    router.get(path, response={200: response, **ERRORS}, summary=summary)(guarded)


for _path, _scope, _answer, _summary in STUBS:
    _register(_path, _scope, _answer, _summary)

# Writes hubbub cannot do yet: refused with 422 and the reason, so a client
# tells its user instead of believing it worked. (path, scope, reason)
REFUSED: list[tuple[str, str, str]] = [
    ("/api/v1/media", "write:media", "Media attachments are not supported yet."),
    ("/api/v2/media", "write:media", "Media attachments are not supported yet."),
]


def _refuse(path: str, scope: str, reason: str) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        raise ValidationError(reason)

    view.__name__ = "refuse_" + path.removeprefix("/api/").replace("/", "_")
    router.post(
        path,
        response={200: dict[str, Any], **ERRORS},
        summary=f"{reason} (always 422)",
    )(requires(scope)(view))


for _path, _scope, _reason in REFUSED:
    _refuse(_path, _scope, _reason)
