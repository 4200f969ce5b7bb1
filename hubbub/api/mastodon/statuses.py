"""``/api/v1/statuses``: posting and reading statuses."""

from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.params.functions import Header as HeaderParam
from pydantic import Field

from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.actions import publish_note_once
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.http import json_response, path_id
from hubbub.api.models import IDEMPOTENCY_KEY_MAX_LENGTH
from hubbub.api.parsing import Flag, OptionalId, StringList
from hubbub.api.serializers import VISIBILITIES, Serializer
from hubbub.posts.queries import get_post

router = Router(tags=["statuses"])
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)


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


def _refuse_unbuilt(payload: StatusForm, me: Account) -> None:
    # Each of these would be silently dropped otherwise; a client is better
    # told that the server cannot do it (yet).
    if payload.in_reply_to_id:
        get_post(me, int(payload.in_reply_to_id))
        raise ValidationError("Replies are not supported yet.")
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
    _refuse_unbuilt(payload, me)
    visibility = VISIBILITIES.get(payload.visibility or "public")
    if visibility is None:
        raise ValidationError("Visibility is not included in the list.")
    post = publish_note_once(
        me,
        idempotency_key=idempotency_key,
        text=payload.status or "",
        visibility=visibility,
    )
    return json_response(Serializer(request, me).status(get_post(me, post.id)))


@router.get("/api/v1/statuses/{id}", response={200: schemas.Status, **ERRORS})
@optional("read:statuses")
def get_status(request: HttpRequest, id: str) -> HttpResponse:
    """Return one status the caller may see."""
    me = viewer(request)
    post = get_post(me, path_id(id))
    return json_response(Serializer(request, me).status(post))
