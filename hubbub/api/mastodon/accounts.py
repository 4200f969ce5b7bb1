"""``/api/v1/accounts``: profiles, their statuses, follows and relationships."""

import re
from collections.abc import Callable
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from hubbub.accounts import actions, queries
from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.http import ApiError, json_response, not_found, path_id
from hubbub.api.pagination import (
    ACCOUNT_LIMITS,
    STATUS_LIMITS,
    PageQuery,
    page_response,
)
from hubbub.api.parsing import Flag, IdList, StringList
from hubbub.api.serializers import Serializer
from hubbub.search import queries as search
from hubbub.search.queries import MAX_LIMIT, MAX_QUERY_LENGTH
from hubbub.timelines.queries import page_of, profile_timeline

router = Router(tags=["accounts"])
HANDLE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)


def query_length(schema: dict[str, Any]) -> None:
    # Stated here, enforced by hubbub.search (422, as a validation error).
    schema["maxLength"] = MAX_QUERY_LENGTH


def _account(account_id: str) -> Account:
    return queries.get_account_by_id(path_id(account_id))


@router.get(
    "/api/v1/accounts/verify_credentials",
    response={200: schemas.CredentialAccount, **ERRORS},
)
@requires("profile", "read:accounts")
def verify_credentials(request: HttpRequest) -> HttpResponse:
    """Return the calling account, with its settings."""
    account = signed_in(request)
    return json_response(Serializer(request, account).credential_account(account))


class LookupQuery(Schema):
    """Which account to look up."""

    acct: str = Field(max_length=300, description="user, @user or user@this.host")


def find_by_handle(request: HttpRequest, acct: str) -> Account:
    """Return the local account ``acct`` names (user, @user, user@this.host)."""
    username, _, domain = acct.strip().removeprefix("@").partition("@")
    host = request.get_host().lower()
    if domain and domain.lower() not in (host, host.partition(":")[0]):
        raise not_found()
    if not HANDLE.match(username):
        raise not_found()
    return queries.get_account(username)


@router.get("/api/v1/accounts/lookup", response={200: schemas.Account, **ERRORS})
def lookup(request: HttpRequest, query: Query[LookupQuery]) -> HttpResponse:
    """Find a local account by its handle."""
    account = find_by_handle(request, query.acct)
    return json_response(Serializer(request, viewer(request)).account(account))


def find_accounts(
    request: HttpRequest, me: Account | None, q: str, *, limit: int, offset: int
) -> list[Account]:
    """Return the accounts ``q`` finds; ``user@this.host`` names one exactly."""
    if "@" in q.strip().removeprefix("@") and not offset:
        try:
            return [find_by_handle(request, q)]
        except (Http404, ApiError):
            pass
    return search.search_accounts(me, q, limit=limit, offset=offset)


class AccountSearchQuery(Schema):
    """Which accounts to find."""

    q: str = Field(
        description=f"Part of a handle or name; at most {MAX_QUERY_LENGTH} "
        "characters (422 beyond).",
        json_schema_extra=query_length,
    )
    limit: int | None = Field(
        None, ge=1, description=f"Page size (default 40, at most {MAX_LIMIT})."
    )
    offset: int | None = Field(None, ge=0)
    resolve: Flag = False
    following: Flag = Field(False, description="Ignored.")


# Before /{id}, which would otherwise take "search" for an id.
@router.get("/api/v1/accounts/search", response={200: list[schemas.Account], **ERRORS})
@requires("read:accounts")
def search_accounts(
    request: HttpRequest, query: Query[AccountSearchQuery]
) -> HttpResponse:
    """Find accounts by handle or display name, exact handle first."""
    me = signed_in(request)
    accounts = find_accounts(
        request,
        me,
        query.q,
        limit=min(query.limit or MAX_LIMIT, MAX_LIMIT),
        offset=query.offset or 0,
    )
    serializer = Serializer(request, me)
    return json_response([serializer.account(a) for a in accounts])


class RelationshipsQuery(Schema):
    """The accounts to relate to (``id[]`` or ``id``)."""

    id: IdList = Field(max_length=80)
    with_suspended: Flag = False


@router.get(
    "/api/v1/accounts/relationships",
    response={200: list[schemas.Relationship], **ERRORS},
)
@requires("read:follows")
def relationships(
    request: HttpRequest, query: Query[RelationshipsQuery]
) -> HttpResponse:
    """Return how the caller relates to each account, in the order asked."""
    me = signed_in(request)
    accounts = queries.get_accounts_by_id([int(i) for i in query.id])
    return json_response(Serializer(request, me).relationships(me, accounts))


@router.get("/api/v1/accounts/{id}", response={200: schemas.Account, **ERRORS})
def get_account(request: HttpRequest, id: str) -> HttpResponse:
    """Return one account."""
    return json_response(Serializer(request, viewer(request)).account(_account(id)))


class AccountStatusesQuery(PageQuery):
    """Filters for an account's statuses."""

    only_media: Flag = False
    pinned: Flag = False
    exclude_replies: Flag = False
    exclude_reblogs: Flag = False
    tagged: str | None = Field(
        None, max_length=100, description="Only statuses with this hashtag."
    )


@router.get(
    "/api/v1/accounts/{id}/statuses", response={200: list[schemas.Status], **ERRORS}
)
@optional("read:statuses")
def account_statuses(
    request: HttpRequest,
    id: str,
    query: Query[AccountStatusesQuery],
) -> HttpResponse:
    """Return one page of an account's statuses, newest first."""
    account = _account(id)
    me = viewer(request)
    bounds = query.bounds(STATUS_LIMITS)
    # hubbub has no media or pins yet, so those filters match nothing.
    if query.only_media or query.pinned:
        posts = []
    else:
        posts = profile_timeline(
            me,
            account,
            bounds,
            exclude_replies=query.exclude_replies,
            exclude_reblogs=query.exclude_reblogs,
            tagged=query.tagged,
        )
    body = Serializer(request, me).statuses(posts)
    return page_response(request, body, [p.id for p in posts], bounds.limit)


def _follow_list(
    request: HttpRequest,
    account_id: str,
    query: PageQuery,
    which: Literal["followers", "following"],
) -> HttpResponse:
    account = _account(account_id)
    people = (
        queries.followers_of(account)
        if which == "followers"
        else queries.followees_of(account)
    )
    return account_page(request, people, query)


def account_page(
    request: HttpRequest, people: QuerySet[Account], query: PageQuery
) -> HttpResponse:
    """Return one page of accounts that carry ``link_id``, their cursor."""
    bounds = query.bounds(ACCOUNT_LIMITS)
    page = page_of(people, bounds, key="link_id")
    serializer = Serializer(request, viewer(request))
    body = [serializer.account(person) for person in page]
    cursors = [person.link_id for person in page]  # type: ignore[attr-defined]
    return page_response(request, body, cursors, bounds.limit)


@router.get(
    "/api/v1/accounts/{id}/followers", response={200: list[schemas.Account], **ERRORS}
)
def followers(
    request: HttpRequest,
    id: str,
    query: Query[PageQuery],
) -> HttpResponse:
    """Return one page of an account's followers, newest follow first."""
    return _follow_list(request, id, query, "followers")


@router.get(
    "/api/v1/accounts/{id}/following", response={200: list[schemas.Account], **ERRORS}
)
def following(
    request: HttpRequest,
    id: str,
    query: Query[PageQuery],
) -> HttpResponse:
    """Return one page of the accounts an account follows, newest first."""
    return _follow_list(request, id, query, "following")


class FollowForm(Schema):
    """Options Mastodon clients send with a follow."""

    reblogs: Flag = True
    notify: Flag = False
    languages: StringList | None = None


def _relationship(request: HttpRequest, me: Account, account: Account) -> HttpResponse:
    return json_response(Serializer(request, me).relationships(me, [account])[0])


# Each takes (caller, other account): what the caller does to the other.
AccountAction = Callable[[Account, Account], object]


def _act(request: HttpRequest, id: str, action: AccountAction) -> HttpResponse:
    me = signed_in(request)
    account = _account(id)
    action(me, account)
    return _relationship(request, me, account)


@router.post(
    "/api/v1/accounts/{id}/follow", response={200: schemas.Relationship, **ERRORS}
)
@requires("write:follows")
def follow(
    request: HttpRequest,
    id: str,
    payload: FollowForm | None = None,
) -> HttpResponse:
    """Follow an account (or ask to, if it is locked); twice is harmless."""
    return _act(request, id, lambda me, them: actions.follow_account(me, followee=them))


@router.post(
    "/api/v1/accounts/{id}/unfollow", response={200: schemas.Relationship, **ERRORS}
)
@requires("write:follows")
def unfollow(request: HttpRequest, id: str) -> HttpResponse:
    """Stop following an account, or withdraw the request to."""
    return _act(
        request, id, lambda me, them: actions.unfollow_account(me, followee=them)
    )


@router.post(
    "/api/v1/accounts/{id}/block", response={200: schemas.Relationship, **ERRORS}
)
@requires("write:blocks")
def block(request: HttpRequest, id: str) -> HttpResponse:
    """Block an account: follows both ways end, and neither sees the other."""
    return _act(request, id, lambda me, them: actions.block_account(me, target=them))


@router.post(
    "/api/v1/accounts/{id}/unblock", response={200: schemas.Relationship, **ERRORS}
)
@requires("write:blocks")
def unblock(request: HttpRequest, id: str) -> HttpResponse:
    """Lift a block; follows it ended stay ended."""
    return _act(request, id, lambda me, them: actions.unblock_account(me, target=them))


class MuteForm(Schema):
    """Options Mastodon clients send with a mute."""

    notifications: Flag = Field(
        True, description="Ignored: a mute always silences notifications."
    )
    duration: int | None = Field(
        None, ge=0, description="Ignored: mutes last until lifted."
    )


@router.post(
    "/api/v1/accounts/{id}/mute", response={200: schemas.Relationship, **ERRORS}
)
@requires("write:mutes")
def mute(
    request: HttpRequest, id: str, payload: MuteForm | None = None
) -> HttpResponse:
    """Mute an account: its statuses and notifications stop reaching you."""
    return _act(request, id, lambda me, them: actions.mute_account(me, target=them))


@router.post(
    "/api/v1/accounts/{id}/unmute", response={200: schemas.Relationship, **ERRORS}
)
@requires("write:mutes")
def unmute(request: HttpRequest, id: str) -> HttpResponse:
    """Lift a mute."""
    return _act(request, id, lambda me, them: actions.unmute_account(me, target=them))


@router.get("/api/v1/blocks", response={200: list[schemas.Account], **ERRORS})
@requires("read:blocks")
def blocks(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Return the accounts the caller blocks, most recent first."""
    return account_page(request, queries.blocked_accounts(signed_in(request)), query)


@router.get("/api/v1/mutes", response={200: list[schemas.Account], **ERRORS})
@requires("read:mutes")
def mutes(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Return the accounts the caller mutes, most recent first."""
    return account_page(request, queries.muted_accounts(signed_in(request)), query)


@router.get("/api/v1/follow_requests", response={200: list[schemas.Account], **ERRORS})
@requires("read:follows")
def follow_requests(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Return who is waiting for the caller to approve them, newest first."""
    return account_page(request, queries.follow_requesters(signed_in(request)), query)


@router.post(
    "/api/v1/follow_requests/{id}/authorize",
    response={200: schemas.Relationship, **ERRORS},
)
@requires("write:follows")
def authorize_follow_request(request: HttpRequest, id: str) -> HttpResponse:
    """Let an account that asked follow the caller (422 if it has not asked)."""
    return _act(
        request,
        id,
        lambda me, them: actions.approve_follow_request(me, follower=them),
    )


@router.post(
    "/api/v1/follow_requests/{id}/reject",
    response={200: schemas.Relationship, **ERRORS},
)
@requires("write:follows")
def reject_follow_request(request: HttpRequest, id: str) -> HttpResponse:
    """Turn down an account's request to follow the caller."""
    return _act(
        request,
        id,
        lambda me, them: actions.reject_follow_request(me, follower=them),
    )
