"""Id-cursor pages and their ``Link`` header, exactly as Mastodon sends them.

toot reads ``next`` only when it is first in the header, written
``<url>; rel="next"``; Mastodon.py pulls ``max_id``/``min_id`` out of the
links. ``next`` is sent only after a full page, so "list all" loops stop.
"""

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import Field

from hubbub.api.http import json_response
from hubbub.api.parsing import OptionalId
from hubbub.timelines.store import PageBounds

CURSORS = ("max_id", "since_id", "min_id")
STATUS_LIMITS = (20, 40)
ACCOUNT_LIMITS = (40, 80)


class PageQuery(Schema):
    """Cursor parameters every list endpoint takes."""

    max_id: OptionalId = Field(None, description="Return results older than this id.")
    since_id: OptionalId = Field(
        None, description="Return the newest results newer than this id."
    )
    min_id: OptionalId = Field(
        None, description="Return the results immediately newer than this id."
    )
    limit: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Page size; larger values are cut to the maximum."
    )

    def bounds(self, limits: tuple[int, int]) -> PageBounds:
        """Return the cursors as ``PageBounds``, the limit clamped."""
        default, maximum = limits
        return PageBounds(
            max_id=_int(self.max_id),
            since_id=_int(self.since_id),
            min_id=_int(self.min_id),
            limit=min(self.limit or default, maximum),
        )


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def link_header(
    request: HttpRequest, cursors: Sequence[int], *, limit: int
) -> str | None:
    """Return the ``Link`` header for a page whose items have ``cursors``.

    ``cursors`` are in page order (newest first); the other query
    parameters the client sent are kept in both links.
    """
    if not cursors:
        return None
    base = request.build_absolute_uri(request.path)
    kept = [
        (k, v) for k, values in request.GET.lists() if k not in CURSORS for v in values
    ]
    links = []
    if len(cursors) >= limit:
        query = urlencode([*kept, ("max_id", str(cursors[-1]))])
        links.append(f'<{base}?{query}>; rel="next"')
    query = urlencode([*kept, ("min_id", str(cursors[0]))])
    links.append(f'<{base}?{query}>; rel="prev"')
    return ", ".join(links)


def page_response(
    request: HttpRequest, body: object, cursors: Sequence[int], limit: int
) -> HttpResponse:
    """Return a page of entities with its ``Link`` header."""
    link = link_header(request, cursors, limit=limit)
    return json_response(body, headers={"Link": link} if link else None)
