"""Reads from a PostgreSQL streaming replica (GRANTLEDGER_READ_DATABASE_URL), never staler than
reads from the store itself.

Views, lists and history may be read from a hot standby; commands, idempotency records, grants
and the projector's writes always go to the store (the primary), and so do the LISTENs a
standby refuses (service.reads.view_feed, service.reads.access). Positions follow commit order
(service.store.writes), so a replica whose events table holds position N has replayed every
transaction up to N's: its events, idempotency records, grants and stored views alike.

A request reads the replica only once it has replayed the **fence**: the last position this
process wrote (`written`) or heard of (the view feed's `heard`: each append's notification,
milliseconds after its commit) — the positions the process's copy of the views already must
reflect (service.reads.view_cache) — and the request's `min_position`. The replica's position
is read from its events table (`max(notification_id)`), polled every few milliseconds for at
most the replica's connect timeout (with `min_position`, within the same
GRANTLEDGER_MIN_POSITION_TIMEOUT as the whole wait); not reached by then, the request reads
the store, which answers as without a replica (an unreached `min_position` waits out the rest
of its timeout there, then 503). So a client reads its own writes, and every write
acknowledged before its notification reached this process, however far the replica lags; a
lagging replica costs latency and the store's load, never freshness. Without a live feed (its
LISTEN connection lost) the fence is unknown, and every read goes to the store.

A replica that does not answer (refused, unreachable, no events table) sends the reads to the
store for RETRY_SECONDS, then is tried again; a GET whose read on the replica fails is read
again from the store (service.web.read_fallback). It is opened in a thread of its own,
tried again every RETRY_SECONDS while it cannot be: a replica down as a worker starts neither
holds up the worker nor fails it, and meanwhile the reads go to the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.reads.view_feed import ViewFeed
from service.store.connections import OUTAGE_WAIT, STORE_UNAVAILABLE, waiting_at_most
from service.store.database import one_line

POLL_SECONDS = 0.005
RETRY_SECONDS = 1.0
log = logging.getLogger("grantledger.store")


@dataclass(frozen=True)
class ReplicaStatus:
    """The replica as a probe found it: its position, or None when it did not answer."""

    position: int | None

    def checks(self, head: int) -> dict[str, Any]:
        if self.position is None:
            return {"read_replica": "unavailable"}
        return {"read_replica": "ok", "read_replica_lag": max(0, head - self.position)}


class ReadReplica:
    """Where a request reads: the store (`primary`) or, once it has replayed far enough, the
    replica (`replica`, None until opened)."""

    def __init__(self, primary: Any, open_replica: Callable[[], Any], feed: ViewFeed,
                 patience: float) -> None:
        self.primary, self.feed = primary, feed
        self.replica: Any = None  # the ledger on the replica, once opened
        self.patience = patience  # the replica's connect timeout
        # The replica's position as last read (it only moves forward); -1: not read yet, so
        # the first read checks it answers (an empty ledger's fence is 0).
        self.reached = -1
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._opener = threading.Thread(target=self._open, args=(open_replica,), daemon=True,
                                        name="read-replica-open")

    def start(self) -> ReadReplica:
        self._opener.start()
        return self

    def close(self) -> None:
        self._closed.set()
        self._opener.join(timeout=self.patience + 1)
        if self.replica is not None:
            self.replica.close()

    def _open(self, open_replica: Callable[[], Any]) -> None:
        failed = False
        while not self._closed.is_set():
            try:
                replica = open_replica()
            except Exception as error:
                if not failed:
                    log.warning("the read replica cannot be opened (%s); reads go to the store "
                                "until it can", one_line(error))
                failed = True
                self._closed.wait(RETRY_SECONDS)
                continue
            if self._closed.is_set():  # closed while it was being opened
                replica.close()
                return
            self.replica = replica
            if failed:
                log.info("the read replica is open: reads go to it again")
            return

    def fence(self) -> int | None:
        """The position every read must reflect: the last this process wrote or heard of;
        None while the feed is not connected (so it is not known)."""
        if not self.feed.cache.live:
            return None
        last_written: int = self.primary.writer.last_written
        return max(self.feed.heard, last_written)

    def source(self, min_position: int | None = None, patience: float | None = None) -> Any:
        """The application to read from: the replica once it has replayed the fence and
        `min_position`, within its connect timeout (and `patience`); else the store."""
        fence = self.fence()
        if fence is None or self.replica is None or time.monotonic() < self._down_until:
            return self.primary
        target = max(fence, min_position or 0)
        wait = self.patience if patience is None else min(self.patience, patience)
        return self.replica if self._replayed(target, time.monotonic() + wait) else self.primary

    def _replayed(self, target: int, deadline: float) -> bool:
        while self.reached < target:
            position = self._position(max(deadline - time.monotonic(), OUTAGE_WAIT))
            if position is None:
                return False
            if position >= target:
                return True
            if time.monotonic() + POLL_SECONDS > deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def _position(self, patience: float) -> int | None:
        """The replica's position now (None: it did not answer, or is not open yet; reads go
        to the store for RETRY_SECONDS)."""
        if self.replica is None:
            return None
        try:
            with waiting_at_most(patience):
                position = self.replica.recorder.max_notification_id() or 0
        except Exception as error:
            self.failed(error)
            return None
        with self._lock:
            self.reached = max(self.reached, position)
            self._down_until = 0.0
        return position

    def failed(self, error: BaseException) -> None:
        """The replica failed a read: the reads go to the store for RETRY_SECONDS."""
        with self._lock:
            was_up, self._down_until = self._down_until == 0.0, time.monotonic() + RETRY_SECONDS
        if was_up and not isinstance(error, STORE_UNAVAILABLE):  # its outage logs those
            log.warning("the read replica cannot be read (%s); reads go to the store",
                        one_line(error))

    def status(self, patience: float) -> ReplicaStatus:
        """The replica's position, waiting at most `patience` seconds (a probe, a scrape)."""
        return ReplicaStatus(self._position(patience))
