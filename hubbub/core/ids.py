"""Time-sortable 64-bit ids, laid out as Mastodon's.

An id is ``(unix_milliseconds << 16) | low``, so ids sort by creation time
and clients that build a cursor from a date (Mastodon.py does ``ms << 16``)
land in the right place. The low 16 bits are a per-process node number (6
bits) and a counter within the millisecond (10 bits), so two processes
minting ids in the same millisecond collide only if they drew the same node
number and reach the same count.
"""

import os
import random
import threading
import time
from datetime import datetime

_NODE_BITS = 6
_COUNTER_BITS = 10
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1

_lock = threading.Lock()
_state = {"pid": -1, "node": 0, "ms": 0, "counter": 0}


def _reset_for_process() -> None:
    # A forked child (granian workers) must not share its parent's node.
    _state["pid"] = os.getpid()
    _state["node"] = random.getrandbits(_NODE_BITS)
    _state["ms"] = 0


def new_id() -> int:
    """Return a new unique id for the current moment."""
    with _lock:
        if _state["pid"] != os.getpid():
            _reset_for_process()
        now = time.time_ns() // 1_000_000
        if now > _state["ms"]:
            _state["ms"] = now
            _state["counter"] = random.getrandbits(_COUNTER_BITS - 2)
        else:
            # Same millisecond, or the clock stepped back: keep counting on
            # the last millisecond so ids stay increasing in this process.
            _state["counter"] += 1
            if _state["counter"] > _COUNTER_MAX:
                _state["ms"] += 1
                _state["counter"] = 0
        return (
            (_state["ms"] << 16) | (_state["node"] << _COUNTER_BITS) | _state["counter"]
        )


def id_at(moment: datetime) -> int:
    """Return a fresh id for a past moment (backdated seeds and imports)."""
    unix_ms = int(moment.timestamp() * 1000)
    return (unix_ms << 16) | random.getrandbits(16)


def id_for_time(unix_ms: int) -> int:
    """Return the smallest id that could have been minted at ``unix_ms``."""
    return unix_ms << 16


def id_to_unix_ms(value: int) -> int:
    """Return the creation time, in Unix milliseconds, encoded in an id."""
    return value >> 16
