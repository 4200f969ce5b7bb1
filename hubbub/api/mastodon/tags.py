"""``/api/v1/tags``: one hashtag, with how much it was used lately.

Following hashtags is not built yet: following one is refused (422) and
unfollowing one, which nobody follows, returns it unchanged.
"""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from hubbub.api import schemas
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.http import json_response, not_found
from hubbub.api.serializers import Serializer
from hubbub.posts.models import Tag
from hubbub.posts.queries import get_tag

router = Router(tags=["tags"])
ERRORS = schemas.errors(401, 403, 404, 422, 429)
TagName = Annotated[str, Path(max_length=100, description="Any case, no #.")]


def _tag(name: str) -> Tag:
    tag = get_tag(name)
    if tag is None:
        raise not_found()
    return tag


@router.get("/api/v1/tags/{name}", response={200: schemas.Tag, **ERRORS})
@optional("read:follows")
def get_hashtag(request: HttpRequest, name: TagName) -> HttpResponse:
    """Return a hashtag and its use over the last seven days (404 if unused)."""
    return json_response(Serializer(request, viewer(request)).tag(_tag(name)))


@router.post("/api/v1/tags/{name}/follow", response={200: schemas.Tag, **ERRORS})
@requires("write:follows")
def follow_hashtag(request: HttpRequest, name: TagName) -> HttpResponse:
    """Follow a hashtag: not supported yet, always 422 (404 if unused)."""
    _tag(name)
    raise ValidationError("Following hashtags is not supported yet.")


@router.post("/api/v1/tags/{name}/unfollow", response={200: schemas.Tag, **ERRORS})
@requires("write:follows")
def unfollow_hashtag(request: HttpRequest, name: TagName) -> HttpResponse:
    """Stop following a hashtag; since none can be followed, returns it as is."""
    me = signed_in(request)
    return json_response(Serializer(request, me).tag(_tag(name)))
