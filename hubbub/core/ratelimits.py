"""Rate limits: atomic fixed-window counters, per account and per address.

Every user action enforces its own limit with one line at its top, for
example ``enforce("post", account=author)``, so the web pages and the API
share it (STYLE: all rules live in the action). The caller's address comes
from ``RateLimitMiddleware``, which also turns a refusal into a page with a
clear message, or a 429 with ``Retry-After`` on the API.

``cache.add`` creates a window's counter only if it is missing and
``cache.incr`` bumps it in one step (Redis INCR when HUBBUB_REDIS_URL is
set, else under the local-memory cache's lock), so concurrent requests can
never both see the last free slot, the race Mastodon's own per-user
limiter has. Without Redis the counters live in each web process: run one
web worker (the embedded default) or set HUBBUB_REDIS_URL.
"""

import contextvars
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hubbub.accounts.models import Account

# What each limited action is called in a refusal ("the limit for ...").
ACTIONS = {
    "post": "posting",
    "follow": "following",
    "story": "submitting stories",
    "digg": "digging and favouriting",
    "report": "reporting",
    "signup": "signing up",
    "login": "logging in",
}
# The API's and OAuth's refusals are JSON; every other path gets a page.
JSON_PATHS = ("/api/", "/oauth/")

_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "hubbub_client_address", default=None
)


@dataclass(frozen=True, slots=True)
class Quota:
    """Where one caller stands in the current window."""

    limit: int
    used: int
    reset_at: float
    # The window's length in seconds.
    period: int

    @property
    def remaining(self) -> int:
        """Return how many requests are left in this window."""
        return max(self.limit - self.used, 0)

    @property
    def exceeded(self) -> bool:
        """Return whether this request went over the limit."""
        return self.used > self.limit

    @property
    def retry_after(self) -> int:
        """Return the whole seconds until the window ends (at least 1)."""
        return max(math.ceil(self.reset_at - time.time()), 1)

    def headers(self) -> dict[str, str]:
        """Return the X-RateLimit-* headers, Reset as Mastodon formats it."""
        reset = datetime.fromtimestamp(self.reset_at, UTC)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


def hit(bucket: str, *, limit: int, period: int, now: float | None = None) -> Quota:
    """Count one request against ``bucket`` and return the quota after it."""
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"ratelimit:{bucket}:{period}:{window}"
    # Kept past the window's end, so no request of this window can find
    # it expired between add and incr.
    cache.add(key, 0, timeout=period * 2)
    try:
        used = cache.incr(key)
    except ValueError:
        # Evicted between the two calls (a full LocMem cache): start again.
        cache.add(key, 1, timeout=period * 2)
        used = 1
    return Quota(limit=limit, used=used, reset_at=(window + 1) * period, period=period)


def client_address(request: HttpRequest) -> str:
    """Return the caller's address; IPv6 callers share their /64.

    Only REMOTE_ADDR is read: a forwarded-for header is the caller's to
    write, and trusting it lets anyone pick a fresh address per request.
    """
    address = str(request.META.get("REMOTE_ADDR", ""))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimitedError(Exception):
    """An action went over one of its limits; nothing was done."""

    def __init__(self, action: str, quota: Quota) -> None:
        self.action = action
        self.quota = quota
        minutes, seconds = divmod(quota.retry_after, 60)
        wait = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
        self.message = (
            f"You have reached the limit for {ACTIONS.get(action, action)} "
            f"({quota.limit} in {_describe(quota.period)}). Try again in {wait}."
        )
        super().__init__(self.message)


def _describe(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def is_new(account: Account) -> bool:
    """Say whether ``account`` is in its first day, when limits are stricter."""
    age = timedelta(seconds=settings.HUBBUB_NEW_ACCOUNT_SECONDS)
    return account.date_joined > timezone.now() - age


def enforce(
    action: str, *, account: Account | None = None, subject: str | None = None
) -> None:
    """Count one ``action`` and raise RateLimitedError if it goes over a limit.

    ``account`` is who acts; ``subject`` names the target instead where
    there is no account yet (the handle a log-in tries). The limits are
    ``HUBBUB_RATE_LIMITS["<action>:<key>"]`` = (count, seconds) for the keys
    ``account`` (or ``new`` for an account in its first day), ``burst``
    (per account, a short window) and ``ip`` (the request's address, when
    there is a request). A missing key is no limit.
    """
    if not settings.HUBBUB_RATE_LIMITS_ON:
        return
    limits: dict[str, tuple[int, int]] = settings.HUBBUB_RATE_LIMITS
    who = subject if subject is not None else (account and str(account.pk))
    keys: list[tuple[str, str]] = []
    if who:
        first = "new" if account is not None and is_new(account) else "account"
        if f"{action}:{first}" not in limits:
            first = "account"
        keys += [(first, who), ("burst", who)]
    if (address := _address.get()) is not None:
        keys.append(("ip", address))
    for key, value in keys:
        name = f"{action}:{key}"
        if name not in limits:
            continue
        limit, period = limits[name]
        quota = hit(f"{name}:{value}", limit=limit, period=period)
        if quota.exceeded:
            raise RateLimitedError(action, quota)


def refusal(request: HttpRequest, error: RateLimitedError) -> HttpResponse:
    """Answer a refused action: JSON 429 on the API, else a page saying why."""
    headers = {"Retry-After": str(error.quota.retry_after), **error.quota.headers()}
    if request.path_info.startswith(JSON_PATHS):
        from hubbub.api.http import json_response

        return json_response({"error": error.message}, status=429, headers=headers)
    template = (
        "web/partials/rate_limited.html"
        if request.headers.get("HX-Request")
        else "web/rate_limited.html"
    )
    response = render(request, template, {"message": error.message}, status=429)
    for name, value in headers.items():
        response[name] = value
    return response


class RateLimitMiddleware:
    """Tell actions the caller's address; answer their refusals."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        """Turn a RateLimitedError from any view into its refusal."""
        if isinstance(exception, RateLimitedError):
            return refusal(request, exception)
        return None
