"""``/api/v2/search``: finding an account by its exact handle.

Full-text search is not built yet; an exact handle is what toot's
``follow``, ``whois`` and ``--account`` send (``type=accounts``), so that
much is answered now. All three keys are always present.
"""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from hubbub.api import schemas
from hubbub.api.auth import optional, viewer
from hubbub.api.http import ApiError, json_response
from hubbub.api.mastodon.accounts import find_by_handle
from hubbub.api.parsing import Flag
from hubbub.api.serializers import Serializer

router = Router(tags=["search"])
TYPES = ("accounts", "statuses", "hashtags")


class SearchQuery(Schema):
    """What to search for."""

    q: str = Field(max_length=500)
    type: str | None = Field(None, description="accounts, statuses or hashtags")
    resolve: Flag = False
    following: Flag = False
    account_id: str | None = Field(None, max_length=20)
    exclude_unreviewed: Flag = False
    limit: int | None = Field(None, ge=1)
    offset: int | None = Field(None, ge=0)


class SearchResults(Schema):
    """Search results."""

    accounts: list[schemas.Account]
    statuses: list[schemas.Status]
    hashtags: list[dict[str, object]]


@router.get(
    "/api/v2/search",
    response={200: SearchResults, **schemas.errors(400, 401, 403, 422, 429)},
)
@optional("read:search")
def search(request: HttpRequest, query: Query[SearchQuery]) -> HttpResponse:
    """Find the account with exactly this handle (full search comes later)."""
    if query.type is not None and query.type not in TYPES:
        raise ApiError(400, "type must be accounts, statuses or hashtags")
    results: dict[str, list[object]] = {key: [] for key in TYPES}
    if query.type in (None, "accounts") and not query.offset:
        try:
            account = find_by_handle(request, query.q)
        except (Http404, ApiError):
            account = None
        if account is not None:
            results["accounts"] = [
                Serializer(request, viewer(request)).account(account)
            ]
    return json_response(results)
