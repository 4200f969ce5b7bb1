"""``/api/v1/notifications``: what others did that concerns the caller."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from pydantic import Field

from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.auth import requires, signed_in
from hubbub.api.http import json_response, not_found, path_id
from hubbub.api.pagination import PageQuery, page_response
from hubbub.api.parsing import OptionalId, StringList
from hubbub.api.serializers import NOTIFICATION_TYPES, Serializer
from hubbub.notifications import actions
from hubbub.notifications.models import Notification, NotificationType
from hubbub.notifications.queries import notifications_for
from hubbub.posts.queries import posts_by_id
from hubbub.timelines.queries import page_of

router = Router(tags=["notifications"])
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)
NOTIFICATION_LIMITS = (40, 80)
TYPES_HELP = "mention, favourite, reblog, follow or follow_request; others match none."


def _kinds(names: list[str]) -> list[NotificationType]:
    # Mastodon's names to hubbub's types: "mention" covers hubbub's replies.
    return [
        NotificationType(kind)
        for kind, name in NOTIFICATION_TYPES.items()
        if name in names
    ]


class NotificationsQuery(PageQuery):
    """Which notifications to list."""

    types: StringList | None = Field(
        None, max_length=20, description=f"Only these types: {TYPES_HELP}"
    )
    exclude_types: StringList | None = Field(
        None, max_length=20, description="Leave out these types."
    )
    account_id: OptionalId = Field(None, description="Only those from this account.")


def _render(
    request: HttpRequest, me: Account, notes: list[Notification]
) -> list[dict[str, object]]:
    return _render_with(Serializer(request, me), me, notes)


def _render_with(
    serializer: Serializer, me: Account, notes: list[Notification]
) -> list[dict[str, object]]:
    posts = posts_by_id(me, {n.post_id for n in notes if n.post_id})
    return serializer.notifications(notes, posts)


def render_notification(
    serializer: Serializer, notification_id: int
) -> dict[str, object] | None:
    """Return one notification for the serializer's viewer (streaming).

    None when the viewer may no longer see it (its post was deleted, say).
    """
    me = serializer.viewer
    if me is None:
        return None
    note = notifications_for(me).filter(id=notification_id).first()
    return _render_with(serializer, me, [note])[0] if note else None


@router.get(
    "/api/v1/notifications", response={200: list[schemas.Notification], **ERRORS}
)
@requires("read:notifications")
def list_notifications(
    request: HttpRequest, query: Query[NotificationsQuery]
) -> HttpResponse:
    """Return one page of the caller's notifications, newest first."""
    me = signed_in(request)
    bounds = query.bounds(NOTIFICATION_LIMITS)
    if query.types is not None and not _kinds(query.types):
        notes: list[Notification] = []
    else:
        found = notifications_for(
            me,
            types=_kinds(query.types) if query.types else None,
            exclude_types=_kinds(query.exclude_types or []),
        )
        if query.account_id:
            found = found.filter(actor_id=int(query.account_id))
        notes = page_of(found, bounds)
    body = _render(request, me, notes)
    return page_response(request, body, [n.id for n in notes], bounds.limit)


# Before /{id}, which would otherwise take "clear" for an id.
@router.post("/api/v1/notifications/clear", response={200: schemas.Empty, **ERRORS})
@requires("write:notifications")
def clear(request: HttpRequest) -> HttpResponse:
    """Delete all of the caller's notifications."""
    actions.clear(signed_in(request))
    return json_response({})


@router.get(
    "/api/v1/notifications/{id}", response={200: schemas.Notification, **ERRORS}
)
@requires("read:notifications")
def get_notification(request: HttpRequest, id: str) -> HttpResponse:
    """Return one of the caller's notifications."""
    me = signed_in(request)
    note = notifications_for(me).filter(id=path_id(id)).first()
    if note is None:
        raise not_found()
    return json_response(_render(request, me, [note])[0])


@router.post(
    "/api/v1/notifications/{id}/dismiss", response={200: schemas.Empty, **ERRORS}
)
@requires("write:notifications")
def dismiss(request: HttpRequest, id: str) -> HttpResponse:
    """Delete one of the caller's notifications; an unknown one is harmless."""
    actions.dismiss(signed_in(request), path_id(id))
    return json_response({})
