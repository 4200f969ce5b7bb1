"""Rate limits: atomic fixed-window counters, per account and per address.

Every user action enforces its own limit with one line at its top, for
example ``enforce("post", account=author)``, so the web pages and the API
share it (STYLE: all rules live in the action). The caller's address comes
from ``RateLimitMiddleware``, which also turns a refusal into a page with a
clear message, or a 429 with ``Retry-After`` on the API.

Counters are shared by every process. With HUBBUB_REDIS_URL set, a
window's counter is a Redis key under the cache's key, bumped and given
its expiry when new by one script, atomically and in one round trip.
Without Redis
(the embedded default, with several web processes on one SQLite file) it
is a ``moderation.RateCounter`` row bumped by one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, which
SQLite and PostgreSQL both run atomically. Either way two concurrent
requests can never both see the last free slot, the race Mastodon's own
per-user limiter has. The API's limit on reads is the one exception: without
Redis it is counted per process (see ``hit``), with Redis added in
batches, which lets at most ``BATCH - 1`` reads per web process past the
limit (``_batched_hit``).
"""

import contextvars
import hashlib
import ipaddress
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hubbub.accounts.models import Account
from hubbub.core import stamps
from hubbub.core.redis_client import run_script
from hubbub.moderation.models import RateCounter

# What each limited action is called in a refusal ("the limit for ...").
ACTIONS = {
    "post": "posting",
    "follow": "following",
    "story": "submitting stories",
    "digg": "digging and favouriting",
    "report": "reporting",
    "signup": "signing up",
    "login": "logging in",
    "delete": "deleting and taking back boosts",
    "app": "registering apps",
    "change": "making changes",
}
# Methods that change nothing, so no ``change`` limit counts them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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


def hit(
    bucket: str,
    *,
    limit: int,
    period: int,
    now: float | None = None,
    shared: bool = True,
    stamp_for: HttpRequest | None = None,
    batched: bool = False,
) -> Quota:
    """Count one request against ``bucket`` and return the quota after it.

    ``shared=False`` is for limits on reads: without Redis their counter
    stays in this process's memory, so a read never takes SQLite's write
    lock (each of N web processes then allows up to ``limit``).
    ``stamp_for`` also reads that request's stamp from Redis in the same
    round trip (only where ``stamps.from_redis``). ``batched`` (for reads,
    with Redis) adds the count to Redis in batches (``_batched_hit``).
    """
    now = time.time() if now is None else now
    window = int(now // period)
    reset_at = float((window + 1) * period)
    key = f"ratelimit:{bucket}:{period}"
    if settings.REDIS_URL and batched and stamp_for is None:
        used = _batched_hit(
            cache.make_and_validate_key(f"{key}:{window}"), limit, period, reset_at
        )
    elif settings.REDIS_URL:
        used = _redis_hit(
            cache.make_and_validate_key(f"{key}:{window}"), period, stamp_for
        )
    elif not shared:
        used = _cache_hit(f"{key}:{window}", period)
    else:
        used = _database_hit(key, window, reset_at)
    return Quota(limit=limit, used=used, reset_at=reset_at, period=period)


def _redis_hit(key: str, period: int, stamp_for: HttpRequest | None) -> int:
    keys: list[str | bytes] = [key]
    args: list[int | bytes] = [period * 2, 1]
    reading = stamps.Reading(stamp_for) if stamp_for is not None else None
    if reading is not None:
        keys.append(reading.key)
        args.append(reading.fresh)
    used, *found = run_script(settings.REDIS_URL, _COUNT, keys, args)
    if reading is not None:
        reading.take(found[0])
    return int(used)


# A batch of counts is added to Redis at its BATCH-th count or at the first
# count BATCH_SECONDS after the previous add, whichever comes first.
BATCH = 16
BATCH_SECONDS = 1.0
# Past this many batches, those of ended windows are dropped.
_BATCHES_KEPT = 10_000


@dataclass(slots=True)
class _Batch:
    reset_at: float
    # The counter's value at this process's last add (0: none yet).
    seen: int = 0
    unadded: int = 0
    added_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_batches: dict[str, _Batch] = {}
_batches_lock = threading.Lock()


def _batched_hit(key: str, limit: int, period: int, reset_at: float) -> int:
    """Count one read in this process, adding the counts to Redis in
    batches; return the counter as last seen plus the counts not added.

    A process answers from its own count only while that stays BATCH
    below the limit; closer, every read goes to Redis, and only Redis's
    count refuses. So each process lets through at most BATCH - 1 reads
    Redis does not know of yet, and a window allows at most
    ``limit + (BATCH - 1) x processes`` reads in all.
    """
    moment = time.monotonic()
    with _batches_lock:
        batch = _batches.get(key)
        if batch is None:
            if len(_batches) >= _BATCHES_KEPT:
                _forget_ended_batches()
            batch = _batches[key] = _Batch(reset_at)
    # Held across the add, so the bound holds with threads too; it only
    # makes this caller's other reads in this process wait.
    with batch.lock:
        batch.unadded += 1
        estimate = batch.seen + batch.unadded
        if (
            batch.seen
            and batch.unadded < BATCH
            and moment - batch.added_at < BATCH_SECONDS
            and estimate + BATCH <= limit
        ):
            return estimate
        (used,) = run_script(
            settings.REDIS_URL, _COUNT, [key], [period * 2, batch.unadded]
        )
        batch.seen, batch.unadded, batch.added_at = int(used), 0, moment
        return batch.seen


def _forget_ended_batches() -> None:
    # Counts of an ended window limit nothing any more.
    now = time.time()
    for key in [key for key, batch in _batches.items() if batch.reset_at <= now]:
        del _batches[key]


# One command, as every API request pays it (cache.add and cache.incr took
# three, a MULTI of two five): the counter is bumped by ARGV[2] and, when
# new, kept past the window's end, atomically (a script runs whole), under
# the cache's own key, so the cache reads the same counter. Given a second
# key, it also reads that key, setting it to ARGV[3] if missing: the
# request's stamp (``stamps.Reading``), in the same round trip.
_COUNT = """
local used = redis.call('INCRBY', KEYS[1], ARGV[2])
if used == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if #KEYS == 1 then return {used} end
return {used, redis.call('SET', KEYS[2], ARGV[3], 'NX', 'GET')}
"""


def _cache_hit(key: str, period: int) -> int:
    # Kept past the window's end, so no request of this window can find
    # it expired between add and incr.
    cache.add(key, 0, timeout=period * 2)
    try:
        return int(cache.incr(key))
    except ValueError:
        # Culled between the two calls (a full cache): start again.
        cache.add(key, 1, timeout=period * 2)
        return 1


# One statement: the row is created, bumped or reset to a new window under
# the database's own lock, and the count it now holds comes back.
_BUMP = (
    "INSERT INTO moderation_ratecounter (bucket, window_number, used, resets_at) "
    "VALUES (%s, %s, 1, %s) ON CONFLICT (bucket) DO UPDATE SET "
    "used = CASE WHEN moderation_ratecounter.window_number = excluded.window_number "
    "THEN moderation_ratecounter.used + 1 ELSE 1 END, "
    "window_number = excluded.window_number, resets_at = excluded.resets_at "
    "RETURNING used"
)
# RateCounter.bucket's max_length.
_BUCKET_MAX_LENGTH = 200


def _database_hit(key: str, window: int, reset_at: float) -> int:
    if len(key) > _BUCKET_MAX_LENGTH:
        # A log-in names its own subject: keep a long one to a fixed size.
        key = "ratelimit:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(_BUMP, [key, window, reset_at])
        row = cursor.fetchone()
    return int(row[0])


def forget_old_counters(now: float | None = None) -> int:
    """Delete the counters of finished windows; return how many.

    A finished window's row is only reset when its caller comes back, so
    callers who never do would otherwise stay for ever. Deleting one is
    always safe: its caller's next request starts the count again.
    """
    now = time.time() if now is None else now
    deleted, _ = RateCounter.objects.filter(resets_at__lt=now).delete()
    return deleted


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
    """Tell actions the caller's address; count every change; answer refusals.

    Each request that may change something (any method but GET, HEAD and
    OPTIONS) counts toward the ``change`` limit before its view runs, per
    signed-in account and per address, so an endpoint without a limit of
    its own still has this one (the API's tokens have ``api.ratelimit``'s).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        """Count a change against its limit; refuse it over the limit."""
        if request.method in SAFE_METHODS:
            return None
        user = getattr(request, "user", None)
        account = user if isinstance(user, Account) else None
        try:
            enforce("change", account=account)
        except RateLimitedError as error:
            return refusal(request, error)
        return None

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        """Turn a RateLimitedError from any view into its refusal."""
        if isinstance(exception, RateLimitedError):
            return refusal(request, exception)
        return None
