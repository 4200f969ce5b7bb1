"""``/api/v1/timelines``: the home and public timelines."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from hubbub.api import schemas
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.pagination import STATUS_LIMITS, PageQuery, page_response
from hubbub.api.parsing import Flag
from hubbub.api.serializers import Serializer
from hubbub.timelines import queries

router = Router(tags=["timelines"])
ERRORS = schemas.errors(400, 401, 403, 422, 429)


@router.get("/api/v1/timelines/home", response={200: list[schemas.Status], **ERRORS})
@requires("read:statuses")
def home(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Return one page of the caller's home timeline, newest first."""
    me = signed_in(request)
    bounds = query.bounds(STATUS_LIMITS)
    posts = queries.home_timeline(me, bounds)
    body = Serializer(request, me).statuses(posts)
    return page_response(request, body, [p.id for p in posts], bounds.limit)


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
