"""A stamp that changes whenever anything stored may have changed.

A response kept under a stamp (``hubbub.core.kept_responses``) can be sent
again as long as the stamp is the same: nothing it was made from can have
changed. The stamp is read before the response is made, so a change that
commits while it is being made only makes the stamp move on, never hides.

It comes from what the engines already track, so writing costs nothing
extra and no write path can forget to bump it:

* SQLite: ``PRAGMA data_version`` moves when another connection commits,
  and the connection's ``total_changes`` when it writes itself. Each
  connection compares both with what it saw at its previous check, and any
  difference moves the process's counter on. Every connection notices a
  commit at its first check after it, so once anything has committed, no
  check returns an earlier stamp.
* PostgreSQL: the text of ``pg_current_snapshot()`` (oldest running
  transaction, next id, ids in progress) moves when any writing
  transaction starts or ends.
* Redis timelines: the store's version, moved by every change it makes
  (``RedisTimelineStore.version``), since those land after their commit.

Inside a transaction there is no stamp (None): what the transaction reads
may yet be rolled back, and on PostgreSQL its own writes do not move the
snapshot.
"""

import threading
from collections.abc import Hashable

from django.db import connection
from django.http import HttpRequest

from hubbub.timelines.store import get_store

_lock = threading.Lock()
_sqlite_counter = 0
_REQUEST_KEY = "_hubbub_stamp"
# PostgreSQL's part of the stamp, as SQL: a statement can return it beside
# its rows (``with_rows``, ``remember``) and save a round trip of its own.
SNAPSHOT = "pg_current_snapshot()::text"


def current() -> Hashable | None:
    """Return the stamp of everything stored now, or None inside a
    transaction."""
    if connection.in_atomic_block:
        return None
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        database: Hashable = _sqlite_stamp()
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {SNAPSHOT}")
            database = cursor.fetchone()[0]
    return (database, get_store().version())


def with_rows() -> bool:
    """Say whether a statement's rows can bring the database's part of
    the stamp (``SNAPSHOT``): on PostgreSQL, outside a transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def remember(request: HttpRequest, snapshot: str) -> None:
    """Take ``snapshot``, which a statement of ``request`` returned, as the
    request's stamp, unless one was read before it."""
    if not hasattr(request, _REQUEST_KEY):
        setattr(request, _REQUEST_KEY, (snapshot, get_store().version()))


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
