"""``/api/v1/timelines``: the home, public and hashtag timelines."""

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from pydantic import Field

from hubbub.api import schemas
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.pagination import STATUS_LIMITS, PageQuery, page_response
from hubbub.api.parsing import Flag, StringList
from hubbub.api.serializers import Serializer
from hubbub.core.kept_responses import keep
from hubbub.posts.queries import tag_posts
from hubbub.timelines import queries
from hubbub.timelines.queries import page_of

router = Router(tags=["timelines"])
ERRORS = schemas.errors(400, 401, 403, 422, 429)
TAG_ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)


@router.get("/api/v1/timelines/home", response={200: list[schemas.Status], **ERRORS})
@requires("read:statuses")
def home(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Return one page of the caller's home timeline, newest first."""
    me = signed_in(request)
    bounds = query.bounds(STATUS_LIMITS)
    rows = queries.home_timeline_rows(me, bounds)
    body = Serializer(request, me).home_statuses(rows)
    return keep(page_response(request, body, [row.id for row in rows], bounds.limit))


class PublicQuery(PageQuery):
    """Which public statuses to show."""

    local: Flag = False
    remote: Flag = False
    only_media: Flag = False


@router.get("/api/v1/timelines/public", response={200: list[schemas.Status], **ERRORS})
@optional("read:statuses")
def public(request: HttpRequest, query: Query[PublicQuery]) -> HttpResponse:
    """Return one page of the public timeline, newest first."""
    me = viewer(request)
    bounds = query.bounds(STATUS_LIMITS)
    # Every status here is local and none has media (yet), so asking for
    # remote ones or media finds nothing, and "local" changes nothing.
    posts = (
        [] if query.remote or query.only_media else queries.public_timeline(me, bounds)
    )
    body = Serializer(request, me).statuses(posts)
    return page_response(request, body, [p.id for p in posts], bounds.limit)


class TagQuery(PublicQuery):
    """Which tagged statuses to show."""

    any: StringList | None = Field(
        None, max_length=10, description="Also statuses with any of these tags."
    )
    all: StringList | None = Field(
        None, max_length=10, description="Only statuses with all of these too."
    )
    none: StringList | None = Field(
        None, max_length=10, description="No statuses with any of these."
    )


@router.get(
    "/api/v1/timelines/tag/{hashtag}",
    response={
        200: list[schemas.Status],
        **schemas.errors(400, 401, 403, 404, 422, 429),
    },
)
@optional("read:statuses")
def tag(
    request: HttpRequest,
    hashtag: Annotated[str, Path(max_length=100)],
    query: Query[TagQuery],
) -> HttpResponse:
    """Return one page of a hashtag's public statuses, newest first.

    The tag matches in any case, without its ``#``; ``any`` adds statuses
    with any of those tags, ``all`` keeps those that also have every one
    of them, ``none`` drops those with any of them.
    """
    me = viewer(request)
    bounds = query.bounds(STATUS_LIMITS)
    found = tag_posts(
        me,
        hashtag,
        any_of=query.any or (),
        all_of=query.all or (),
        none_of=query.none or (),
    )
    posts = [] if query.remote or query.only_media else page_of(found, bounds)
    body = Serializer(request, me).statuses(posts)
    return page_response(request, body, [p.id for p in posts], bounds.limit)
