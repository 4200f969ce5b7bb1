"""Renderings kept in the process's memory under everything they show.

An entry is a pure function of its key, so nothing needs invalidating:
when what it shows changes, so does the key, and old entries age out.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class Kept[V]:
    """Renderings by key, at most ``size``, the least recently used dropped
    first. Safe to share between a process's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
