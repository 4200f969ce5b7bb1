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
  writer's response is sent. A move is one script (``_MOVE``): it sets the
  key and publishes the same bytes on the key's channel (``channel``),
  atomically, so the key always holds the last value published.
  Each process keeps one connection subscribed to that channel
  (``_Subscription``) and the last value it brought; its stamp is that
  value, read after taking every message already in the socket without
  waiting (a non-blocking read, no round trip), so a kept answer costs no
  round trip to Redis nor to PostgreSQL (``pushed``).
  A stamp read from Redis also names its ``LIFETIME``-long stretch of
  time, so a write this cannot see (a process dying between its commit
  and the move, a program other than hubbub writing to the database, a
  subscription that silently stopped receiving) shows within
  ``LIFETIME`` seconds.

  Read after write across processes: a client whose write one process
  answered, and who then reads through another, gets no answer kept from
  before the write. The writer commits, then moves the key; Redis queues
  the message for every subscriber while running the script and sends
  it, with its reply to the writer, before it next reads a command. As
  it sends the writer's reply first and could be held off the CPU before
  the rest, the writer then waits for one more reply (a ``PING``,
  ``moved``): once that comes, every subscriber's message has been handed
  to the kernel. Only then does the writer answer its client, who then
  sends the next request, and the other process looks at its socket only
  after that request has reached it. This relies on the message reaching
  the reading process's socket no later than the writer's answer and the
  client's next request reach that process: on one machine (loopback),
  where the kernel delivers a write to the receiving socket as it is
  made, or on a network that does not hold one packet back for that long
  (a lost and resent packet could). A subscriber whose socket is full
  makes Redis hold its messages back: a look at the socket that takes
  more than ``BACKLOG`` messages, which a full socket would hold, also
  takes all that Redis holds, up to its reply to a ``PING`` sent then
  (one round trip), and Redis disconnects a subscriber that
  falls far behind (``client-output-buffer-limit pubsub``), which the
  next look notices. Within one process, a move it makes itself also
  moves its stamp on (``turn``), once Redis has answered.

  Where the subscription cannot vouch for the stamp, the key is read
  instead (``SET NX GET``, one round trip; the API does it in the round
  trip that counts a request, ``hubbub.api.ratelimit.hit_api``): before
  the first subscription, and from the moment the connection is found
  closed or broken (Redis restarted, the connection killed, a reply that
  is not a message) until a new one is made, tried again at a request
  after ``RETRY_FIRST`` seconds, doubling up to ``RETRY_MOST``. A new
  subscription subscribes first and then reads the key, so a move between
  the two is in both and none is missed; each new subscription and each
  move of the process's own also counts in the stamp (``turn``), so no
  stamp seen before comes back. A flush (``FLUSHALL``) changes nothing
  stored: subscribers keep their stamp, the key is read as missing and
  given fresh bytes (never a value seen before), and the next write moves
  both. A failover that takes the old server down closes its connections,
  and the process subscribes to the new one; a connection that stays
  open to a server no longer written to brings nothing, and only
  ``LIFETIME`` bounds what is kept over it. With Redis out of reach there is no stamp.
  The subscription is shared by a process's threads (granian's blocking
  threads) under a lock: one thread at a time takes the messages and
  reads the value, so each sees every message that reached the socket
  before its request.
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

from hubbub.core.redis_client import Command, client, run, run_script
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
        found = pushed()
        if found is not None:
            return found
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


# The move: the key set to fresh bytes and the same bytes published to
# every process subscribed, atomically (a script runs whole), so the key
# always holds the last value published.
_MOVE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[1])
"""


def channel(url: str) -> str:
    """Return the channel the moves of ``url``'s key are published on.

    Channels are shared by all of a server's databases, so it names the
    database: hubbubs sharing a Redis server do not move each other's.
    """
    return f"{KEY}:{client(url).connection_pool.connection_kwargs.get('db', 0)}"


def move_in(pipe: redis.client.Pipeline) -> None:
    """Queue the move of the Redis key in ``pipe``; call ``moved`` once
    ``pipe`` has run."""
    queue: Any = pipe.execute_command  # redis-py leaves it untyped
    queue(*move_command())


def move_command() -> Command:
    """The command that moves the Redis key; call ``moved`` once it has
    run."""
    return ("EVAL", _MOVE, 1, KEY, os.urandom(8), channel(settings.REDIS_URL))


def move() -> None:
    """Move the Redis key on: something was written and committed."""
    url = settings.REDIS_URL
    fresh = os.urandom(8)
    try:
        run_script(url, _MOVE, [KEY], [fresh, channel(url)])
    except redis.RedisError:
        # The write is committed; failing its response would not undo it.
        # Answers kept under the old stamp end within LIFETIME.
        logger.exception("could not move the stamp after a write")
    moved()


def moved() -> None:
    """Finish a move that Redis has answered: wait until Redis has sent its
    message to every subscriber, and move this process's stamp on."""
    try:
        # Redis answers a move before it sends the message to the
        # subscribers (the same turn of its event loop, but the writer's
        # reply first), and could be held off the CPU between the two.
        # A later command's reply comes only after that turn has sent all.
        run(settings.REDIS_URL, "PING")
    except redis.RedisError:
        logger.exception("could not wait for the stamp's move to be sent")
    subscription = _subscriptions.get(settings.REDIS_URL)
    if subscription is not None:
        subscription.bump()


# How long a process waits before subscribing again after a failure, at
# first and at most (seconds); meanwhile it reads the key every request.
RETRY_FIRST = 1.0
RETRY_MOST = float(LIFETIME)
# The most messages one look at the socket may take without asking Redis
# for the rest (``_catch_up``): fewer than the smallest socket buffer holds
# (4 KB).
BACKLOG = 64


class _Subscription:
    """This process's subscription to the moves of one Redis URL's key,
    and the last value it brought (see the module)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.connection: Any = None
        self.value: bytes = b""
        # Moved on by each new subscription and each move this process
        # makes itself: part of the stamp, so neither can bring back a
        # stamp seen before.
        self.turn = 0
        self.retry_at = 0.0
        self.delay = RETRY_FIRST

    def stamp(self) -> Hashable | None:
        """Return the stamp from every move that has reached this process,
        or None if the subscription cannot vouch for it."""
        with self.lock:
            if self.pid != os.getpid():
                # A forked child must not read its parent's socket (nor
                # close it: redis-py leaves a child's socket alone).
                self.pid, self.connection = os.getpid(), None
            if self.connection is None and not self._subscribe():
                return None
            taken = 0
            try:
                # Every message already in the socket, without waiting.
                while self.connection.can_read(timeout=0):
                    self._take(self.connection.read_response(push_request=True))
                    taken += 1
                if taken > BACKLOG:
                    self._catch_up()
            except (redis.RedisError, OSError, ValueError):
                self._lost()
                return None
            return (self.value, self.turn, int(time.time() // LIFETIME))

    def _catch_up(self) -> None:
        # A socket this far behind may have filled up, and Redis then
        # holds further messages back: take every message up to the reply
        # to a PING, which Redis sends after all of them (one round trip).
        token = os.urandom(8).hex().encode()
        self.connection.send_command("PING", token)
        while True:
            reply = self.connection.read_response(push_request=True)
            # RESP3 answers with the token; RESP2, subscribed, a "pong".
            if reply == token or (isinstance(reply, list) and reply[1:2] == [token]):
                return
            self._take(reply)

    def bump(self) -> None:
        with self.lock:
            self.turn += 1

    def _subscribe(self) -> bool:
        if time.monotonic() < self.retry_at:
            return False
        redis_client = client(self.url)
        connection: Any = redis_client.connection_pool.make_connection()
        try:
            # Subscribed first, the key read after: a move between the two
            # is both in the key and in the socket, none is missed.
            # Named, so an operator (or a test) can tell it in CLIENT LIST.
            name = f"{channel(self.url)}:{os.getpid()}"
            connection.send_command("CLIENT", "SETNAME", name)
            connection.read_response()
            connection.send_command("SUBSCRIBE", channel(self.url))
            # With RESP3 a subscription's replies are pushes, which
            # redis-py only returns when asked.
            confirmed = connection.read_response(push_request=True)
            if not (isinstance(confirmed, list) and confirmed[0] == b"subscribe"):
                raise redis.ConnectionError(f"not subscribed: {confirmed!r}")
            found, fresh = _read(redis_client)
            if isinstance(found, Exception):
                raise found
        except (redis.RedisError, OSError):
            connection.disconnect()
            self._lost()
            return False
        self.connection, self.delay, self.retry_at = connection, RETRY_FIRST, 0.0
        self.value = fresh if found is None else found  # type: ignore[assignment]
        self.turn += 1
        return True

    def _take(self, message: object) -> None:
        if not (isinstance(message, list) and message[0] == b"message"):
            raise ValueError(f"unexpected on the stamp's channel: {message!r}")
        self.value = message[2]

    def _lost(self) -> None:
        if self.connection is not None:
            self.connection.disconnect()
            self.connection = None
            logger.warning("lost the stamp's subscription; reading the key instead")
        self.retry_at = time.monotonic() + self.delay
        self.delay = min(self.delay * 2, RETRY_MOST)


_subscriptions: dict[str, _Subscription] = {}


def pushed() -> Hashable | None:
    """Return the stamp as the moves pushed to this process make it, with
    no round trip, or None if the subscription cannot vouch for it (read
    the key instead). Only where ``from_redis``."""
    url = settings.REDIS_URL
    subscription = _subscriptions.get(url)
    if subscription is None:
        with _lock:
            subscription = _subscriptions.setdefault(url, _Subscription(url))
    return subscription.stamp()


def take(request: HttpRequest, stamp: Hashable) -> None:
    """Take ``stamp`` (from ``pushed``) as ``request``'s, before its first
    read."""
    _first(request, stamp)


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
