"""A small thread-safe least-recently-used cache (``LRU.get(key, make)``): ``AndroidEnv``
keeps decoded frames by their PNG bytes in one, shared by every phone of the process; the
openai policy keeps the data URLs of the screenshots it sent.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """At most ``kept`` values; ``make`` runs outside the lock (two threads may both make a
    missing value: the same value, the second kept)."""

    def __init__(self, kept: int):
        self.kept = kept
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        value = self.find(key)
        return value if value is not None else self.put(key, make())

    def find(self, key: Hashable) -> V | None:
        """The value kept for ``key`` (counted as a hit), or None (a miss: ``put`` it)."""
        with self._lock:
            value = self._values.get(key)
            if value is None:
                self.misses += 1
                return None
            self._values.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> V:
        """Keep ``value`` for ``key`` (the oldest value goes when full); returns it."""
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.kept:
                self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.hits = self.misses = 0
