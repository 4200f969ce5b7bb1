"""``/api/v2/search``: accounts, statuses and hashtags.

The queries are hubbub.search's; this module parses Mastodon's parameters
and renders the results. All three keys are always present.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from hubbub.api import schemas
from hubbub.api.auth import optional, viewer
from hubbub.api.http import ApiError, json_response
from hubbub.api.mastodon.accounts import find_accounts, query_length
from hubbub.api.parsing import Flag, OptionalId
from hubbub.api.serializers import Serializer
from hubbub.search import queries
from hubbub.search.queries import MAX_LIMIT, MAX_QUERY_LENGTH

router = Router(tags=["search"])
TYPES = ("accounts", "statuses", "hashtags")
DEFAULT_LIMIT = 20


class SearchQuery(Schema):
    """What to search for."""

    q: str = Field(
        description="Words every status must contain, or part of a handle, "
        "name or hashtag; a leading @ or # is ignored. At most "
        f"{MAX_QUERY_LENGTH} characters (422 beyond).",
        json_schema_extra=query_length,
    )
    type: str | None = Field(
        None, max_length=20, description="accounts, statuses or hashtags"
    )
    resolve: Flag = False
    following: Flag = Field(False, description="Ignored.")
    account_id: OptionalId = Field(None, description="Ignored.")
    exclude_unreviewed: Flag = False
    max_id: OptionalId = Field(None, description="Statuses older than this id.")
    min_id: OptionalId = Field(None, description="Statuses just newer than this id.")
    limit: int | None = Field(
        None, ge=1, description=f"Results per type (default 20, at most {MAX_LIMIT})."
    )
    offset: int | None = Field(None, ge=0, description="Results to skip per type.")


class SearchResults(Schema):
    """Search results."""

    accounts: list[schemas.Account]
    statuses: list[schemas.Status]
    hashtags: list[schemas.Tag]


@router.get(
    "/api/v2/search",
    response={200: SearchResults, **schemas.errors(400, 401, 403, 422, 429)},
)
@optional("read:search")
def search(request: HttpRequest, query: Query[SearchQuery]) -> HttpResponse:
    """Search accounts, statuses and hashtags (or one ``type`` of them)."""
    if query.type is not None and query.type not in TYPES:
        raise ApiError(400, "type must be accounts, statuses or hashtags")
    me = viewer(request)
    limit = min(query.limit or DEFAULT_LIMIT, MAX_LIMIT)
    offset = query.offset or 0
    serializer = Serializer(request, me)
    # Checked once up front, so every type answers the same 422.
    queries.parse_query(query.q)
    results: dict[str, list[Any]] = {key: [] for key in TYPES}
    if query.type in (None, "accounts"):
        accounts = find_accounts(request, me, query.q, limit=limit, offset=offset)
        results["accounts"] = [serializer.account(a) for a in accounts]
    if query.type in (None, "statuses"):
        posts = queries.search_posts(
            me,
            query.q,
            limit=limit,
            offset=offset,
            max_id=int(query.max_id) if query.max_id else None,
            min_id=int(query.min_id) if query.min_id else None,
        )
        results["statuses"] = serializer.statuses(posts)
    if query.type in (None, "hashtags"):
        tags = queries.search_tags(query.q, limit=limit, offset=offset)
        results["hashtags"] = serializer.tags(tags)
    return json_response(results)
