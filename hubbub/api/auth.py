"""Bearer tokens: who is calling, and what the token lets them do.

The token is looked up once per request (by the SHA-256 that
django-oauth-toolkit stores instead of the token) and checked on every
request, so a revoked token stops working at once. The lookup is one
query with the account, compiled once (``hubbub.core.prepared``), and its
answer is kept under the database's stamp (``hubbub.core.stamps``): while
nothing stored has changed, the same token gets the same answer without
the query (with Redis, without any round trip to the database).
"""

import copy
import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from oauth2_provider.models import AbstractAccessToken, get_access_token_model

from hubbub.accounts.models import Account
from hubbub.api.http import ApiError
from hubbub.api.scopes import covers, parse_scopes
from hubbub.core import stamps
from hubbub.core.kept import Kept
from hubbub.core.prepared import PreparedQueries, Stand

P = ParamSpec("P")
R = TypeVar("R")
type View[**Params, Result] = Callable[Concatenate[HttpRequest, Params], Result]
_ATTRIBUTE = "_hubbub_credentials"
_CHECKSUM_ATTRIBUTE = "_hubbub_token_checksum"
SECURITY_SCHEME = "OAuth2"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A valid token: its app, its account (None for an app token), scopes."""

    token_id: int
    application_id: int | None
    account: Account | None
    scopes: frozenset[str]


def bearer_token(request: HttpRequest) -> str | None:
    """Return the token from ``Authorization: Bearer …``, if one was sent."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def token_checksum(token: str) -> str:
    """Return the checksum django-oauth-toolkit stores for ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def request_checksum(request: HttpRequest) -> str | None:
    """Return the checksum of the request's bearer token, or None if none
    was sent; worked out once a request, as several steps ask for it."""
    if not hasattr(request, _CHECKSUM_ATTRIBUTE):
        token = bearer_token(request)
        checksum = token_checksum(token) if token is not None else None
        setattr(request, _CHECKSUM_ATTRIBUTE, checksum)
    found: str | None = getattr(request, _CHECKSUM_ATTRIBUTE)
    return found


def _load(request: HttpRequest) -> Credentials | None:
    checksum = request_checksum(request)
    if checksum is None:
        return None
    if not stamps.with_rows():
        return _kept_token(checksum, stamps.of(request))
    # On PostgreSQL the stamp is a round trip of its own; read with the
    # token instead, it costs none, and the token is read every time.
    rows = _tokens.run(
        "by checksum, stamped",
        partial(_token_by_checksum, stamped=True),
        values={"checksum": checksum},
    )
    if rows:
        stamps.remember(request, rows[0].hubbub_stamp)
    return _credentials(rows)


def known_token_id(request: HttpRequest) -> int | None:
    """Return the id of the request's token if this process last found it
    valid (it may not be any more: ``credentials`` says)."""
    checksum = request_checksum(request)
    known = known_tokens.get(checksum) if checksum is not None else None
    return known[1].token_id if known is not None and known[1] is not None else None


def load_token(token: str) -> Credentials | None:
    """Return the credentials of ``token``, or None if it is not valid now.

    The streaming server checks its connections' tokens with this too.
    """
    return _kept_token(token_checksum(token), stamps.current())


def _kept_token(checksum: str, stamp: Hashable | None) -> Credentials | None:
    """Return the credentials of the token with ``checksum``, as kept under
    the database's ``stamp`` or read now (always, with no stamp)."""
    known = known_tokens.get(checksum) if stamp is not None else None
    if known is None or known[0] != stamp:
        known = (stamp, _read_token(checksum))
        if stamp is not None:
            known_tokens.put(checksum, known)
    found = known[1]
    if found is None or found.account is None:
        return found
    # A copy, so that nothing a view does to its account outlives it.
    return replace(found, account=copy.copy(found.account))


def _read_token(checksum: str) -> Credentials | None:
    return _credentials(
        _tokens.run("by checksum", _token_by_checksum, values={"checksum": checksum})
    )


def _credentials(rows: list[AbstractAccessToken]) -> Credentials | None:
    if not rows:
        return None
    row = rows[0]
    account = row.user
    if account is not None and not account.is_active:
        return None
    return Credentials(
        token_id=row.id,
        application_id=row.application_id,
        account=account,
        scopes=parse_scopes(row.scope),
    )


# What tokens were found to be, with the stamp they were read under: a
# few thousand callers' worth.
known_tokens = Kept[tuple[Hashable, Credentials | None]](2000)


_tokens: PreparedQueries[AbstractAccessToken] = PreparedQueries(
    get_access_token_model()
)


def _token_by_checksum(
    stand: Stand, *, stamped: bool = False
) -> QuerySet[AbstractAccessToken]:
    tokens: QuerySet[AbstractAccessToken] = (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=stand.text("checksum"))
    )
    if stamped:
        # A constant of this module, no input.
        tokens = tokens.annotate(hubbub_stamp=RawSQL(stamps.SNAPSHOT, ()))  # noqa: S611
    return tokens[:1]


def credentials(request: HttpRequest) -> Credentials | None:
    """Return the request's valid token, or None (none sent, or not valid)."""
    if not hasattr(request, _ATTRIBUTE):
        setattr(request, _ATTRIBUTE, _load(request))
    found: Credentials | None = getattr(request, _ATTRIBUTE)
    return found


def viewer(request: HttpRequest) -> Account | None:
    """Return the account calling, or None for anonymous and app tokens."""
    found = credentials(request)
    return found.account if found else None


def signed_in(request: HttpRequest) -> Account:
    """Return the calling account of a view guarded by ``requires``."""
    account = viewer(request)
    if account is None:
        raise ApiError(401, "The access token is invalid")
    return account


def check(request: HttpRequest, scopes: tuple[str, ...], *, user: bool) -> Credentials:
    """Return the request's credentials if they carry one of ``scopes``.

    No valid token is a 401; a token without the scope is a 403; an app
    token where a user is needed is a 422, as in Mastodon.
    """
    found = credentials(request)
    if found is None:
        raise ApiError(401, "The access token is invalid")
    if scopes and not any(covers(found.scopes, scope) for scope in scopes):
        raise ApiError(403, "This action is outside the authorized scopes")
    if user and found.account is None:
        raise ApiError(422, "This method requires an authenticated user")
    return found


def _contribute(operation: Any, security: list[dict[str, list[str]]]) -> None:
    extra = dict(operation.openapi_extra or {})
    extra["security"] = security
    operation.openapi_extra = extra


def requires(*scopes: str, user: bool = True) -> Callable[[View[P, R]], View[P, R]]:
    """Guard a view: the caller needs a token with one of ``scopes``.

    No scopes means any valid token will do. ``user=False`` also admits
    app tokens (client credentials). The check runs as the operation's
    authentication, before its parameters are read, so a caller without
    a token learns nothing from validation errors. The scopes go into the
    OpenAPI document, where the scope matrix test finds them.
    """
    security = [{SECURITY_SCHEME: [scope]} for scope in scopes] or [
        {SECURITY_SCHEME: []}
    ]

    def authenticate(request: HttpRequest) -> Credentials:
        return check(request, scopes, user=user)

    def contribute(operation: Any) -> None:
        operation.auth_callbacks = [authenticate]
        _contribute(operation, security)

    def decorate(view: View[P, R]) -> View[P, R]:
        view._ninja_contribute_to_operation = [  # type: ignore[attr-defined]
            *getattr(view, "_ninja_contribute_to_operation", []),
            contribute,
        ]
        return view

    return decorate


def optional(*scopes: str) -> Callable[[View[P, R]], View[P, R]]:
    """Document a public view that shows a token holder more."""
    security = [{}, *({SECURITY_SCHEME: [scope]} for scope in scopes)]

    def decorate(view: View[P, R]) -> View[P, R]:
        view._ninja_contribute_to_operation = [  # type: ignore[attr-defined]
            *getattr(view, "_ninja_contribute_to_operation", []),
            lambda operation: _contribute(operation, security),
        ]
        return view

    return decorate
