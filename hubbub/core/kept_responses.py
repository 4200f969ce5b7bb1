"""Signed-in home timelines sent again while nothing stored has changed.

Readers reload their home timeline far more often than anything on it
changes. A view that can be kept (the home page, the API's home timeline)
hands its response to ``keep``; this middleware keeps it under who asked
(their session or their token), the address and the database's stamp
(``hubbub.core.stamps``), read before the view ran. The next request from
the same caller for the same address gets it back without a query if the
stamp has not moved: no post, favourite, follow, block, account, session
or token can have changed since, so the view would make the same response.

A kept response is also dropped when something besides stored data would
change it: the session's expiry, and whatever the view says (the home
page's "5 minutes ago" wordings). The HTML page carries a stand-in for
the CSRF token, swapped for this request's own on the way out, and the
middlewares around this one run as for any response (rate-limit headers,
cookies, security headers).
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from hubbub.api.auth import request_checksum
from hubbub.core import stamps
from hubbub.core.kept import Kept

# The addresses whose views may keep their responses (after the API's
# trailing slash is stripped).
KEPT_PATHS = frozenset({"/", "/api/v1/timelines/home"})
_REQUEST_KEY = "_hubbub_kept_key"
_RESPONSE_KEY = "_hubbub_keep"


@dataclass(frozen=True, slots=True)
class _Keep:
    """What a view asks to keep: its body (with ``stand_in`` where the
    CSRF token goes, if any) and a check that it is still current."""

    body: str | bytes
    stand_in: str | None
    current: Callable[[], bool] | None


@dataclass(frozen=True, slots=True)
class _Kept:
    stamp: Hashable
    status: int
    headers: tuple[tuple[str, str], ...]
    keep: _Keep
    # When the session the response was made for expires (None: a token).
    session_expires: datetime | None

    def still_good(self, stamp: Hashable) -> bool:
        return (
            stamp == self.stamp
            and (self.session_expires is None or timezone.now() < self.session_expires)
            and (self.keep.current is None or self.keep.current())
        )

    def response(self, request: HttpRequest) -> HttpResponse:
        body = self.keep.body
        if self.keep.stand_in is not None and isinstance(body, str):
            body = body.replace(self.keep.stand_in, get_token(request))
        response = HttpResponse(body, status=self.status)
        for name, value in self.headers:
            response[name] = value
        return response


def keep(
    response: HttpResponse,
    *,
    body: str | bytes | None = None,
    stand_in: str | None = None,
    current: Callable[[], bool] | None = None,
) -> HttpResponse:
    """Let ``response`` be sent again while nothing stored changes.

    ``body`` is the body to keep if it differs from the response's (the
    HTML page's, with ``stand_in`` in place of the CSRF token); ``current``
    says whether it still holds for reasons besides stored data.
    """
    kept_body = response.content if body is None else body
    setattr(response, _RESPONSE_KEY, _Keep(kept_body, stand_in, current))
    return response


# The home pages of the readers active in the last minutes (the HTML body
# is the same string the page cache holds).
responses = Kept[_Kept](200)


class KeptResponseMiddleware:
    """Answer from a kept response, or keep the view's (see the module).

    It goes last, so the view's response comes to it as the view made it
    and every other middleware still wraps a kept one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        found = getattr(request, _REQUEST_KEY, None)
        keeping: _Keep | None = getattr(response, _RESPONSE_KEY, None)
        if found is None or keeping is None or response.status_code != 200:
            return response
        key, stamp = found
        session_expires = None
        if key[0] == "session":
            # Only a response for the session the request came with, which
            # must still be the one signed in, and whose end is known.
            session_expires = getattr(request.session, "expire_date", None)
            if session_expires is None or request.session.session_key != key[1]:
                return response
        if settings.SESSION_COOKIE_NAME in response.cookies:
            return response
        headers = tuple(
            (name, value)
            for name, value in response.items()
            if name.lower() not in ("content-length", "set-cookie")
        )
        responses.put(
            key, _Kept(stamp, response.status_code, headers, keeping, session_expires)
        )
        return response

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> HttpResponse | None:
        key = _key(request)
        if key is None:
            return None
        stamp = stamps.of(request)
        if stamp is None:
            return None
        setattr(request, _REQUEST_KEY, (key, stamp))
        kept = responses.get(key)
        if kept is not None and kept.still_good(stamp):
            return kept.response(request)
        return None


def _key(request: HttpRequest) -> tuple[object, ...] | None:
    """Return what a kept response for ``request`` is kept under, or None
    if it is not one that can be kept."""
    if request.method != "GET" or request.path_info not in KEPT_PATHS:
        return None
    checksum = request_checksum(request)
    if checksum is not None:
        caller: tuple[str, str] = ("token", checksum)
    else:
        session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        # Messages waiting in a cookie are shown once, so never kept.
        if not session or CookieStorage.cookie_name in request.COOKIES:
            return None
        caller = ("session", session)
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return (
        *caller,
        request.get_full_path(),
        request.scheme,
        host,
        request.headers.get("HX-Request"),
        get_language(),
    )
