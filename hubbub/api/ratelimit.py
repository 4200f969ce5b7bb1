"""Fixed-window request counters in Django's cache.

``cache.add`` creates a window's counter only if it is missing and
``cache.incr`` bumps it in one step (Redis INCR, or under LocMem's lock),
so concurrent requests can never both see the last free slot, the race
Mastodon's own per-user limiter has.
"""

import ipaddress
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from hubbub.api.auth import credentials

# Paths where each request can be a password guess (the password grant).
LOGIN_PATHS = frozenset({"/oauth/token"})


@dataclass(frozen=True, slots=True)
class Quota:
    """Where one caller stands in the current window."""

    limit: int
    used: int
    reset_at: float

    @property
    def remaining(self) -> int:
        """Return how many requests are left in this window."""
        return max(self.limit - self.used, 0)

    @property
    def exceeded(self) -> bool:
        """Return whether this request went over the limit."""
        return self.used > self.limit

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
    key = f"ratelimit:{bucket}:{window}"
    # Kept past the window's end, so no request of this window can find
    # it expired between add and incr.
    cache.add(key, 0, timeout=period * 2)
    try:
        used = cache.incr(key)
    except ValueError:
        # Evicted between the two calls (a full LocMem cache): start again.
        cache.add(key, 1, timeout=period * 2)
        used = 1
    return Quota(limit=limit, used=used, reset_at=(window + 1) * period)


def client_address(request: HttpRequest) -> str:
    """Return the caller's address; IPv6 callers share their /64."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def hit_api(request: HttpRequest) -> Quota:
    """Count an API request: per token when one is valid, else per address."""
    found = credentials(request)
    bucket = f"token:{found.token_id}" if found else f"ip:{client_address(request)}"
    return hit(
        bucket,
        limit=settings.HUBBUB_API_RATE_LIMIT,
        period=settings.HUBBUB_API_RATE_PERIOD,
    )


def hit_token_endpoint(request: HttpRequest) -> Quota:
    """Count a token request per address, whatever client or grant it names."""
    return hit(
        f"oauth-token:ip:{client_address(request)}",
        limit=settings.HUBBUB_OAUTH_TOKEN_RATE_LIMIT,
        period=settings.HUBBUB_OAUTH_TOKEN_RATE_PERIOD,
    )


def quota_for(request: HttpRequest) -> Quota | None:
    """Count ``request`` against its limit; None for paths without one."""
    if request.path_info.startswith("/api/"):
        return hit_api(request)
    if request.path_info in LOGIN_PATHS and request.method == "POST":
        return hit_token_endpoint(request)
    return None
