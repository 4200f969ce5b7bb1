"""Read replicas: which reads may go to them, and the router that sends them.

Only reads that tolerate a replica's lag go there, and only when asked
for: a query wraps them in ``replica_reads()`` (the public timeline, whose
readers cannot tell a post a few milliseconds late). Everything else, every
write and every read in a transaction, stays on the primary, so a page
that shows what a person just did reads it from where it was written.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

_lag_ok: ContextVar[bool] = ContextVar("hubbub_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside the block go to a read replica, if there is one."""
    token = _lag_ok.set(True)
    try:
        yield
    finally:
        _lag_ok.reset(token)


class ReplicaRouter:
    """Send lag-tolerant reads to a random replica, the rest to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        replicas = settings.HUBBUB_READ_REPLICAS
        if (
            replicas
            and _lag_ok.get()
            # A transaction reads its own writes, which only the primary has.
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return random.choice(replicas)
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Replicas hold the primary's rows, so rows from any alias relate.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # A replica copies the primary's schema; only the primary migrates.
        return db == DEFAULT_DB_ALIAS
