"""The API's request limits: per token, else per address, and token requests.

The counters are ``core.ratelimits``' atomic fixed windows; the actions
people take through the API (posting, following, ...) have their own
limits, enforced in the actions themselves.
"""

from functools import partial

from django.conf import settings
from django.http import HttpRequest

from hubbub.api.auth import credentials, known_token_id
from hubbub.core import stamps
from hubbub.core.ratelimits import SAFE_METHODS, Quota, client_address, hit

# Paths where each request can be a password guess (the password grant).
LOGIN_PATHS = frozenset({"/oauth/token"})


def hit_api(request: HttpRequest) -> Quota:
    """Count an API request: per token when one is valid, else per address.

    Reads are counted per process without Redis (``hit``'s ``shared``), so
    that a timeline read never writes to the database, and with Redis in
    batches (``hit``'s ``batched``). Where the stamp is read from Redis, a
    read with a token this process has found valid before takes the stamp
    pushed to this process (``stamps.pushed``), so a kept answer costs no
    round trip; without it (and for every change), the token is counted in
    the round trip that reads the stamp. If the token turns out no longer
    valid, the request is counted again, per address.
    """
    read = request.method in SAFE_METHODS
    count = partial(
        hit,
        limit=settings.HUBBUB_API_RATE_LIMIT,
        period=settings.HUBBUB_API_RATE_PERIOD,
        shared=not read,
        batched=read,
    )
    known = known_token_id(request) if stamps.from_redis() else None
    if known is not None:
        stamp = stamps.pushed() if read else None
        if stamp is not None:
            stamps.take(request, stamp)
            quota = count(f"token:{known}")
        else:
            quota = count(f"token:{known}", stamp_for=request)
    found = credentials(request)
    if known is not None and found is not None and found.token_id == known:
        return quota
    bucket = f"token:{found.token_id}" if found else f"ip:{client_address(request)}"
    return count(bucket)


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
