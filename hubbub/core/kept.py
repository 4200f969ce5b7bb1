"""Values kept in the process's memory, the least recently used dropped.

Nothing is ever invalidated. A rendering is kept under everything it shows
(``hubbub.web.fragments``), so a change makes a new key; a value read from
the database is kept with the stamp it was read under
(``hubbub.core.stamps``), and its user compares that stamp. Old entries
age out.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class Kept[V]:
    """Values by key, at most ``size``, the least recently used dropped
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
