"""Views as of settled past moments, kept per process: an auditor's or a report's repeated
question about the same moment is answered without replaying the history again.

A view as of a moment is a function of the events recorded up to it and the reference day.
An event's moment is taken just before its save, which commits milliseconds later (a retried
save takes a new moment), so once a moment is a minute old no event can still arrive that
was recorded at or before it: its answers are final and may be kept. Newer moments are
always replayed.
"""

from __future__ import annotations

import sys
import threading
from datetime import date, datetime, timedelta
from uuid import UUID

from cachetools import LRUCache

SETTLED_AFTER = timedelta(minutes=1)
# The answers kept take at most this many bytes (a view of a large project is large).
KEPT_BYTES = 8 << 20
ENTRY_BYTES = 400  # an answer's key, ETag and the cache's bookkeeping

Key = tuple[str, UUID, datetime, date]


def footprint(answer: tuple[str, str]) -> int:
    return sys.getsizeof(answer[1]) + ENTRY_BYTES


class PastAnswers:
    """(view, project, as_of, on) → (ETag, JSON body), the least recently used dropped once
    they take `size` bytes."""

    def __init__(self, size: int = KEPT_BYTES) -> None:
        self._size = size
        self._answers: LRUCache[Key, tuple[str, str]] = LRUCache(maxsize=size,
                                                                 getsizeof=footprint)
        self._lock = threading.Lock()  # LRUCache reorders itself on reads too

    def get(self, key: Key) -> tuple[str, str] | None:
        with self._lock:
            return self._answers.get(key)

    def keep(self, key: Key, answer: tuple[str, str], now: datetime) -> None:
        """Keeps the answer if its moment is settled."""
        if key[2] <= now - SETTLED_AFTER and footprint(answer) <= self._size:
            with self._lock:
                self._answers[key] = answer
