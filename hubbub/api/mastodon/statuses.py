"""``/api/v1/statuses``: posting and reading statuses."""

from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.params.functions import Header as HeaderParam
from pydantic import ConfigDict, Field

from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.actions import publish_note_once
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.http import json_response, not_found, path_id
from hubbub.api.mastodon.accounts import account_page
from hubbub.api.models import IDEMPOTENCY_KEY_MAX_LENGTH
from hubbub.api.pagination import (
    STATUS_LIMITS,
    PageQuery,
    page_response,
)
from hubbub.api.parsing import Flag, IdList, OptionalId, StringList
from hubbub.api.serializers import VISIBILITIES, Serializer
from hubbub.posts import actions
from hubbub.posts.models import Post
from hubbub.posts.queries import (
    boosted_by,
    conversation,
    favourited_by,
    favourited_posts,
    get_post,
    get_post_with_flags,
    posts_by_id,
)
from hubbub.timelines.queries import page_of

router = Router(tags=["statuses"])
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)
# Statuses one GET /api/v1/statuses may ask for (Mastodon's limit).
MAX_STATUSES = 20


def _max_code_points(schema: dict[str, Any]) -> None:
    schema["maxLength"] = settings.HUBBUB_MAX_CODE_POINTS


class StatusForm(Schema):
    """A new status."""

    status: str | None = Field(
        None,
        description="The text: at most max_characters (instance configuration) "
        "as a reader counts them, each URL counting 23.",
        json_schema_extra=_max_code_points,
    )
    in_reply_to_id: OptionalId = None
    visibility: str | None = Field(
        None, description="public, unlisted, private or direct; default public."
    )
    sensitive: Flag = False
    spoiler_text: str | None = Field(None, max_length=1000)
    language: str | None = Field(None, max_length=100)
    media_ids: StringList | None = Field(None, max_length=4)
    poll: dict[str, Any] | None = None
    scheduled_at: str | None = Field(None, max_length=100)
    promotional: Flag = Field(
        False,
        description="hubbub: the author marks the status promotional (an "
        "advert, sponsored or selling); #ad and #sponsored do the same.",
    )


def _refuse_unbuilt(payload: StatusForm) -> None:
    # Each of these would be silently dropped otherwise; a client is better
    # told that the server cannot do it (yet).
    refused = {
        "Media attachments": bool(payload.media_ids),
        "Polls": bool(payload.poll),
        "Scheduled statuses": bool(payload.scheduled_at),
        "Content warnings": bool(payload.spoiler_text),
    }
    for feature, asked in refused.items():
        if asked:
            raise ValidationError(f"{feature} are not supported yet.")


@router.post("/api/v1/statuses", response={200: schemas.Status, **ERRORS})
@requires("write:statuses")
def create_status(
    request: HttpRequest,
    payload: StatusForm,
    idempotency_key: Annotated[
        str | None,
        HeaderParam(
            None, alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX_LENGTH
        ),
    ] = None,
) -> HttpResponse:
    """Publish a status; a repeated Idempotency-Key returns the first one."""
    me = signed_in(request)
    _refuse_unbuilt(payload)
    visibility = _visibility(payload.visibility)
    reply_to = int(payload.in_reply_to_id) if payload.in_reply_to_id else None
    try:
        post = publish_note_once(
            me,
            idempotency_key=idempotency_key,
            text=payload.status or "",
            visibility=visibility,
            in_reply_to=reply_to,
            promotional=payload.promotional,
        )
    except ValidationError as e:
        # A parent the author may not see is, to them, one that isn't there.
        if getattr(e, "code", None) == "unavailable":
            raise Http404("No such post.") from e
        raise
    return _status(request, me, post.id)


def _visibility(name: str | None) -> str:
    # Mastodon's default is the account's; hubbub's accounts post publicly.
    visibility = VISIBILITIES.get(name or "public")
    if visibility is None:
        raise ValidationError("Visibility is not included in the list.")
    return visibility


def _status(request: HttpRequest, me: Account | None, post_id: int) -> HttpResponse:
    post = get_post_with_flags(me, post_id)
    return json_response(Serializer(request, me).status(post))


class StatusesQuery(Schema):
    """The statuses to fetch (``id[]``, or ``id`` for one)."""

    id: IdList = Field(max_length=MAX_STATUSES)


@router.get("/api/v1/statuses", response={200: list[schemas.Status], **ERRORS})
@optional("read:statuses")
def get_statuses(request: HttpRequest, query: Query[StatusesQuery]) -> HttpResponse:
    """Return several statuses at once, in the order asked; those the
    caller may not see, and unknown ones, are left out."""
    me = viewer(request)
    wanted = list(dict.fromkeys(int(i) for i in query.id))
    found = posts_by_id(me, set(wanted))
    posts = [found[i] for i in wanted if i in found]
    return json_response(Serializer(request, me).statuses(posts))


@router.get("/api/v1/statuses/{id}", response={200: schemas.Status, **ERRORS})
@optional("read:statuses")
def get_status(request: HttpRequest, id: str) -> HttpResponse:
    """Return one status the caller may see."""
    me = viewer(request)
    return _status(request, me, path_id(id))


@router.delete("/api/v1/statuses/{id}", response={200: schemas.Status, **ERRORS})
@requires("write:statuses")
def delete_status(request: HttpRequest, id: str) -> HttpResponse:
    """Delete one of the caller's statuses; returns it with its source text."""
    me = signed_in(request)
    post = get_post_with_flags(me, path_id(id))
    rendered = Serializer(request, me).status(post)
    actions.delete_post(me, post=post)
    return json_response({**rendered, "text": post.text})


@router.get("/api/v1/statuses/{id}/context", response={200: schemas.Context, **ERRORS})
@optional("read:statuses")
def context(request: HttpRequest, id: str) -> HttpResponse:
    """Return the statuses above (root first) and below (depth first) one."""
    me = viewer(request)
    thread = conversation(me, get_post(me, path_id(id)))
    # Deleted posts kept as placeholders are not statuses: they are left out.
    serializer = Serializer(request, me)
    return json_response(
        {
            "ancestors": serializer.statuses(
                [node.post for node in thread.ancestors if node.post is not None]
            ),
            "descendants": serializer.statuses(
                [node.post for node in thread.descendants if node.post is not None]
            ),
        }
    )


@router.post(
    "/api/v1/statuses/{id}/favourite", response={200: schemas.Status, **ERRORS}
)
@requires("write:favourites")
def favourite(request: HttpRequest, id: str) -> HttpResponse:
    """Favourite a status (a boost's original); favouriting twice is harmless."""
    me = signed_in(request)
    post = get_post(me, path_id(id))
    actions.favourite_post(me, post=post)
    return _status(request, me, post.id)


@router.post(
    "/api/v1/statuses/{id}/unfavourite", response={200: schemas.Status, **ERRORS}
)
@requires("write:favourites")
def unfavourite(request: HttpRequest, id: str) -> HttpResponse:
    """Withdraw the caller's favourite of a status."""
    me = signed_in(request)
    post = get_post(me, path_id(id))
    actions.unfavourite_post(me, post=post)
    return _status(request, me, post.id)


class ReblogForm(Schema):
    """How to share a status."""

    # Mastodon clients send visibility or nothing; anything else is a body
    # that is not this form at all (schemathesis sends them), refused (422).
    model_config = ConfigDict(extra="forbid")

    visibility: str | None = Field(
        None, max_length=20, description="public or unlisted; default public."
    )


@router.post("/api/v1/statuses/{id}/reblog", response={200: schemas.Status, **ERRORS})
@requires("write:statuses")
def reblog(
    request: HttpRequest, id: str, payload: ReblogForm | None = None
) -> HttpResponse:
    """Boost a status; returns the boost, whose ``reblog`` is the original.

    Followers-only and direct statuses can't be boosted (422).
    """
    me = signed_in(request)
    post = get_post(me, path_id(id))
    visibility = _visibility(payload.visibility if payload else None)
    boost = actions.boost_post(me, post=post, visibility=visibility)
    return _status(request, me, boost.id)


@router.post("/api/v1/statuses/{id}/unreblog", response={200: schemas.Status, **ERRORS})
@requires("write:statuses")
def unreblog(request: HttpRequest, id: str) -> HttpResponse:
    """Take back the caller's boost; returns the original status."""
    me = signed_in(request)
    post = get_post(me, path_id(id))
    actions.unboost_post(me, post=post)
    return _status(request, me, post.reblog_of_id or post.id)


@router.get(
    "/api/v1/statuses/{id}/favourited_by",
    response={200: list[schemas.Account], **ERRORS},
)
@optional("read:accounts")
def get_favourited_by(
    request: HttpRequest, id: str, query: Query[PageQuery]
) -> HttpResponse:
    """Return who favourited a status, most recent first."""
    return account_page(request, favourited_by(viewer(request), path_id(id)), query)


@router.get(
    "/api/v1/statuses/{id}/reblogged_by",
    response={200: list[schemas.Account], **ERRORS},
)
@optional("read:accounts")
def get_reblogged_by(
    request: HttpRequest, id: str, query: Query[PageQuery]
) -> HttpResponse:
    """Return who boosted a status, most recent first."""
    return account_page(request, boosted_by(viewer(request), path_id(id)), query)


class StatusSource(Schema):
    """A status's text as its author wrote it."""

    id: str
    text: str
    spoiler_text: str


@router.get("/api/v1/statuses/{id}/source", response={200: StatusSource, **ERRORS})
@requires("read:statuses")
def source(request: HttpRequest, id: str) -> HttpResponse:
    """Return the source text of one of the caller's statuses (for editing).

    Another account's status is a 404, as Mastodon answers.
    """
    me = signed_in(request)
    post = get_post(me, path_id(id))
    if post.author_id != me.pk:
        raise not_found()
    return json_response({"id": str(post.id), "text": post.text, "spoiler_text": ""})


# Bookmarks and pins are not built yet. Adding one is refused (422) after
# the usual 404 for a status the caller may not see; taking one away
# returns the status, which has none.
# verb: (scope, the refusal, the status when it has one)
UNBUILT_MARKS = {
    "bookmark": ("write:bookmarks", "Bookmarks are not supported yet.", "bookmarked"),
    "pin": ("write:accounts", "Pinned statuses are not supported yet.", "pinned"),
}


def _mark(verb: str, scope: str, refusal: str, done: str) -> None:
    @router.post(
        f"/api/v1/statuses/{{id}}/{verb}",
        response={200: schemas.Status, **ERRORS},
        operation_id=verb,
        summary=f"{verb.capitalize()} a status: not supported yet, always 422",
    )
    @requires(scope)
    def add(request: HttpRequest, id: str) -> HttpResponse:
        get_post(signed_in(request), path_id(id))
        raise ValidationError(refusal)

    @router.post(
        f"/api/v1/statuses/{{id}}/un{verb}",
        response={200: schemas.Status, **ERRORS},
        operation_id=f"un{verb}",
        summary=f"Un{verb} a status: none is {done}, so it is returned as is",
    )
    @requires(scope)
    def remove(request: HttpRequest, id: str) -> HttpResponse:
        me = signed_in(request)
        return _status(request, me, get_post(me, path_id(id)).id)


for _verb, (_scope, _refusal, _done) in UNBUILT_MARKS.items():
    _mark(_verb, _scope, _refusal, _done)


@router.get("/api/v1/favourites", response={200: list[schemas.Status], **ERRORS})
@requires("read:favourites")
def favourites(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Return the statuses the caller favourited, most recent favourite first."""
    me = signed_in(request)
    bounds = query.bounds(STATUS_LIMITS)
    posts: list[Post] = page_of(favourited_posts(me), bounds, key="link_id")
    body = Serializer(request, me).statuses(posts)
    return page_response(
        request,
        body,
        [p.link_id for p in posts],  # type: ignore[attr-defined]
        bounds.limit,
    )
