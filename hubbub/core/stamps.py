"""A stamp that changes whenever anything stored may have changed.

A response kept under a stamp (``hubbub.core.kept_responses``) can be sent
again as long as the stamp is the same: nothing it was made from can have
changed. The stamp is read before the response is made, so a change that
commits while it is being made only makes the stamp move on, never hides.

* SQLite: ``PRAGMA data_version`` moves when another connection commits,
  and the connection's ``total_changes`` when it writes itself. Each
  connection compares both with what it saw at its previous check, and any
  difference moves the process's counter on. Every connection notices a
  commit at its first check after it, so once anything has committed, no
  check returns an earlier stamp. With Redis timelines, the Redis key
  below is part of it too (``RedisTimelineStore.version``).
* PostgreSQL with Redis: a Redis key (``KEY``) set to fresh random bytes
  after every commit that wrote anything, and by every change to the
  Redis timelines (which land after their commit). Every database
  connection Django opens runs its statements through ``_note_writes``,
  so no write path can forget: a statement that may write moves the key
  at once in autocommit, else when its transaction commits, before the
  writer's response is sent, so a client that writes through one process
  and then reads through another never gets an answer kept from before.
  Reading it costs one round trip to Redis and none to PostgreSQL, and
  the API reads it in the round trip that counts the request against its
  rate limit (``hubbub.api.ratelimit.hit_api``).
  A key found missing (Redis flushed) is given fresh bytes, never a value
  seen before; with Redis out of reach there is no stamp. A write this
  cannot see (a process dying between its commit and the move, a program
  other than hubbub writing to the database) shows within ``LIFETIME``
  seconds, as a stamp read from Redis also names its ``LIFETIME``-long
  stretch of time.
* PostgreSQL alone: the text of ``pg_current_snapshot()`` (oldest running
  transaction, next id, ids in progress) moves when any writing
  transaction starts or ends.

Inside a transaction there is no stamp (None): what the transaction reads
may yet be rolled back, and its own writes have not moved the stamp.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest

from hubbub.core.redis_client import Command, client
from hubbub.timelines.store import get_store

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_sqlite_counter = 0
_REQUEST_KEY = "_hubbub_stamp"
# PostgreSQL's part of the stamp, as SQL: a statement can return it beside
# its rows (``with_rows``, ``remember``) and save a round trip of its own.
SNAPSHOT = "pg_current_snapshot()::text"
KEY = "hubbub:stamp"
# The longest a stamp read from Redis stays the same (seconds).
LIFETIME = 30
# How statements that cannot write begin; any other may write.
_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW", "SET")


def current() -> Hashable | None:
    """Return the stamp of everything stored now, or None inside a
    transaction."""
    if connection.in_atomic_block:
        return None
    if from_redis():
        return _redis_stamp(*_read(client(settings.REDIS_URL)))
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        database: Hashable = _sqlite_stamp()
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {SNAPSHOT}")
            database = cursor.fetchone()[0]
    return (database, get_store().version())


def from_redis() -> bool:
    """Say whether the stamp is read from Redis now: on PostgreSQL with
    Redis, outside a transaction."""
    return (
        bool(settings.REDIS_URL)
        and connection.vendor != "sqlite"
        and not connection.in_atomic_block
    )


@dataclass(frozen=True, slots=True)
class Reading:
    """A read of ``request``'s stamp made by another Redis command, run
    before the request's first read (see ``from_redis``): ``SET key fresh
    NX GET``, its reply handed to ``take``."""

    request: HttpRequest
    key: str = KEY
    fresh: bytes = field(default_factory=lambda: os.urandom(8))

    def take(self, reply: bytes | None) -> None:
        _first(self.request, _redis_stamp(reply, self.fresh))


def _read(redis_client: Any) -> tuple[object, bytes]:
    # Set only if missing, and the value found returned, in one command
    # (SET NX GET): after a flush the key comes back as bytes never seen.
    fresh = os.urandom(8)
    try:
        return redis_client.set(KEY, fresh, nx=True, get=True), fresh
    except redis.RedisError as error:
        return error, fresh


def _redis_stamp(reply: object, fresh: bytes) -> Hashable | None:
    if isinstance(reply, Exception):
        return None  # Redis out of reach: nothing can be kept
    return (fresh if reply is None else reply, int(time.time() // LIFETIME))


def redis_version() -> Hashable:
    """Return the Redis key's value (fresh bytes if it was missing)."""
    found, fresh = _read(client(settings.REDIS_URL))
    if isinstance(found, Exception):
        raise found
    return fresh if found is None else found


def move_in(pipe: redis.client.Pipeline) -> None:
    """Queue the move of the Redis key in ``pipe``."""
    pipe.set(KEY, os.urandom(8))


def move_command() -> Command:
    """The command that moves the Redis key."""
    return ("SET", KEY, os.urandom(8))


def move() -> None:
    """Move the Redis key on: something was written and committed."""
    try:
        client(settings.REDIS_URL).set(KEY, os.urandom(8))
    except redis.RedisError:
        # The write is committed; failing its response would not undo it.
        # Answers kept under the old stamp end within LIFETIME.
        logger.exception("could not move the stamp after a write")


def _note_writes(
    execute: Callable[..., Any],
    sql: object,
    params: object,
    many: bool,
    context: dict[str, Any],
) -> Any:
    result = execute(sql, params, many, context)
    if settings.REDIS_URL and _may_write(sql):
        db: BaseDatabaseWrapper = context["connection"]
        if not db.in_atomic_block:
            # Autocommit: the statement has committed. (A manual
            # transaction, which hubbub never opens, commits later: only
            # LIFETIME bounds what is kept over it.)
            move()
        elif not any(entry[1] is move for entry in db.run_on_commit):
            db.on_commit(move)
    return result


def _may_write(sql: object) -> bool:
    return not (isinstance(sql, str) and sql.lstrip()[:9].upper().startswith(_READS))


def watch_writes(connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Run every statement of ``connection`` through ``_note_writes``
    (connected to ``connection_created`` for PostgreSQL)."""
    wrappers = connection.execute_wrappers
    if connection.vendor != "sqlite" and _note_writes not in wrappers:
        # First, as the outermost: ``execute_wrapper`` blocks pop the last.
        wrappers.insert(0, _note_writes)


def with_rows() -> bool:
    """Say whether a statement's rows can bring the database's part of
    the stamp (``SNAPSHOT``): on PostgreSQL without Redis, outside a
    transaction."""
    return (
        connection.vendor == "postgresql"
        and not settings.REDIS_URL
        and not connection.in_atomic_block
    )


def remember(request: HttpRequest, snapshot: str) -> None:
    """Take ``snapshot``, which a statement of ``request`` returned, as the
    request's stamp, unless one was read before it."""
    if not hasattr(request, _REQUEST_KEY):
        _first(request, (snapshot, get_store().version()))


def _first(request: HttpRequest, stamp: Hashable | None) -> None:
    if not hasattr(request, _REQUEST_KEY):
        setattr(request, _REQUEST_KEY, stamp)


def of(request: HttpRequest) -> Hashable | None:
    """Return the stamp as first read for ``request``, reading it now if
    none was: a stamp read earlier is only more cautious."""
    if not hasattr(request, _REQUEST_KEY):
        setattr(request, _REQUEST_KEY, current())
    stamp: Hashable | None = getattr(request, _REQUEST_KEY)
    return stamp


def _sqlite_stamp() -> int:
    global _sqlite_counter
    raw = connection.connection
    seen = (raw.execute("PRAGMA data_version").fetchone()[0], raw.total_changes)
    # What this connection saw at its previous check; a new connection has
    # seen nothing, so its first check counts as a change.
    previous = getattr(connection, "_hubbub_stamp_seen", None)
    if previous != (raw, *seen):
        with _lock:
            _sqlite_counter += 1
            connection._hubbub_stamp_seen = (raw, *seen)  # type: ignore[attr-defined]
    return _sqlite_counter
