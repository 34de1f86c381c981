"""Pooled PostgreSQL connections: checked before use without a round trip, never waited on
longer than the store's connect timeout, and an outage noticed, answered fast and logged once.

After a server restart every idle connection in the pool is dead, and the first request to
take one failed (the library's pre-ping would find out, but at the price of a round trip on
every checkout: two of a POST's five). A server that ends a session says so on the socket
(a termination message, then EOF), so an idle connection with something to read has been
closed by the server: it is discarded, and the rest of the pool is checked in the background.
A connection lost without a word (a network partition) fails on use when the server has
not answered within the connect timeout (`AnsweringConnection`): 503, and the client's retry
gets a fresh one.

While the store does not answer (`Outage`: a connection attempt failed, or a statement went
unanswered), a request waits at most OUTAGE_WAIT for a connection instead of the pool's whole
timeout: a server that refuses connections is a 503 at once, not after 5 s. The outage is
logged once when it starts and once when it ends, with its duration; psycopg-pool's own
warning per failed attempt (four a second per missing connection) is silenced.

A request (`answering_within`) waits for the store at most the connect timeout in all, not
that long for each thing it waits on: the time queued behind another command of its project,
the wait for a connection and each answer count against one deadline, which every answer of
the store renews (a long request that the store keeps answering is never cut off).
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg.errors import _WaitTimeout
from psycopg_pool import PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

# After an outage psycopg-pool reconnects with a back-off that doubles from a second up to
# minutes, so the first requests after PostgreSQL was back waited for it (503s long after the
# server was up), and a request that met several dead connections slept a second for each.
# A constant quarter of a second costs four connection attempts a second per missing
# connection while the server is away.
AttemptWithBackoff.INITIAL_DELAY = 0.25
AttemptWithBackoff.DELAY_BACKOFF = 1.0
# While the store is known not to answer, a request waits this long for a connection before
# its 503: the pool's next attempt, a quarter of a second away at most, and a quarter for the
# connection it opens once the server is back (a refused attempt answers the requests
# waiting for it at once, see `tracked_connect`, so only a silent path costs the whole wait).
OUTAGE_WAIT = 0.5
# What a failure to reach the store raises, wherever it is met (the library's wrappers of
# psycopg's errors, and psycopg's own where a connection is used directly).
STORE_UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError,
                     psycopg.InterfaceError)
log = logging.getLogger("grantledger.store")
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # Outage says it, once
_limit = threading.local()  # per thread: a probe's cap on each wait; a request's deadline


class Outage:
    """Whether the store answers, as this process last found it."""

    def __init__(self, on_start: Callable[[str], None] = lambda why: None,
                 name: str = "event store") -> None:
        self.since: float | None = None
        self.name = name  # in the log: the event store, or its read replica
        self.on_start = on_start
        # Whether the store has answered this process yet: one still opening it (a worker
        # booting while the server restarts) waits for it as long as the pool does.
        self.served = False
        self._lock = threading.Lock()

    @property
    def known(self) -> bool:
        """An outage of a store that served this process: answered fast."""
        return self.since is not None and self.served

    def failed(self, error: BaseException) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        why = outage_reason(error)
        log.warning("the %s does not answer: %s", self.name, why)
        if self.served:
            self.on_start(why)

    def answered(self) -> None:
        if self.since is None:  # the common case, without the lock
            self.served = True
            return
        with self._lock:
            since, self.since = self.since, None
        if since is not None:
            log.info("the %s answers again, after %.1f s", self.name, time.monotonic() - since)


def outage_reason(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


@contextlib.contextmanager
def waiting_at_most(seconds: float) -> Iterator[None]:
    """Within, this thread waits at most `seconds` for a connection and for each answer of
    the store (a readiness probe must answer quickly, whatever the store does)."""
    before = getattr(_limit, "seconds", None)
    _limit.seconds = seconds if before is None else min(before, seconds)
    try:
        yield
    finally:
        _limit.seconds = before


@contextlib.contextmanager
def answering_within(seconds: float | None) -> Iterator[None]:
    """Within, this thread waits for the store at most `seconds` since the store last
    answered it (or since it began): queued behind its project's other commands, for a
    connection, for each answer. Nested, the outermost deadline holds; None: no deadline."""
    if seconds is None or getattr(_limit, "patience", None) is not None:
        yield
        return
    _limit.patience, _limit.deadline = seconds, time.monotonic() + seconds
    try:
        yield
    finally:
        _limit.patience = _limit.deadline = None


def patience_left() -> float | None:
    """What is left of this thread's deadline (None: it has none)."""
    deadline = getattr(_limit, "deadline", None)
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def renew_patience() -> None:
    """This thread's deadline starts again (the store answered it, or it turns to another)."""
    patience = getattr(_limit, "patience", None)
    if patience is not None:
        _limit.deadline = time.monotonic() + patience


def _wait_limit(longest: float) -> tuple[float, bool]:
    """How long this thread may wait now (`longest`, a probe's cap, its deadline), and
    whether the probe's cap set it: a probe's short patience proves nothing of the store."""
    left = patience_left()
    limit = longest if left is None else min(longest, left)
    probe = getattr(_limit, "seconds", None)
    return (probe, True) if probe is not None and probe < limit else (limit, False)


class AnsweringConnection(psycopg.Connection[Any]):
    """A connection that gives up on a server that does not answer within `answer_timeout`
    seconds: a network path that holds the bytes (sockets open, nothing back) would otherwise
    hold the request, and the projector, until the path returned. The connection's state is
    then unknown, so it is closed (the pool drops it) and the caller gets an
    OperationalError, as for a connection lost."""

    answer_timeout: float = 5.0
    outage: Outage = Outage()

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None:  # notifies() waits as long as it says
            return super().wait(gen, interval, timeout)
        limit, by_probe = _wait_limit(self.answer_timeout)
        if limit <= 0:  # the request's deadline passed before this (nothing sent yet)
            self.pgconn.finish()
            raise psycopg.OperationalError("the request's wait for the store has ended")
        try:
            answer = super().wait(gen, interval, limit)
        except _WaitTimeout:
            self.pgconn.finish()
            error = psycopg.OperationalError(f"the store did not answer within {limit:.3g} s")
            if not by_probe:
                self.outage.failed(error)
            raise error from None
        # The outage ends when a new connection opens (`tracked_connect`), not on an answer
        # here: as a server shuts down, a session not yet told to end still answers.
        renew_patience()
        return answer


def watch_outages(pool: Any, answer_timeout: float, name: str = "event store") -> Outage:
    """Gives `pool` connections that wait at most `answer_timeout` for an answer, tracks the
    store's outages through its connection attempts, and makes a request in an outage wait
    at most OUTAGE_WAIT for a connection."""
    outage = Outage(on_start=lambda why: _outage_started(pool, why), name=name)
    pool.connection_class = type("PoolConnection", (AnsweringConnection,),
                                 {"answer_timeout": answer_timeout, "outage": outage})
    connect, getconn = pool._connect, pool.getconn

    def tracked_connect(timeout: float | None = None) -> Any:
        waiting = _waiting(pool)
        try:
            conn = connect(timeout)
        except Exception as error:
            outage.failed(error)
            if outage.known:  # also those that came to wait since it began (not later:
                # a request that comes as the server returns gets the next attempt's)
                _fail_waiting(pool, outage_reason(error), among=waiting)
            raise
        outage.answered()
        return conn

    def quick_getconn(timeout: float | None = None) -> Any:
        wait = pool.timeout if timeout is None else timeout
        if outage.known:
            wait = min(wait, OUTAGE_WAIT)
        limit, _ = _wait_limit(wait)
        if limit <= 0:
            raise PoolTimeout("the store has not answered this request for its whole deadline")
        return getconn(limit)

    pool._connect, pool.getconn = tracked_connect, quick_getconn
    return outage


def install_idle_check(pool: Any) -> None:
    """Makes `pool` check each connection it hands out as `idle_check` does. psycopg-pool
    takes its `check` callback only when it is built, inside the library's datastore, so it
    is set on the (open=False, not yet used) pool afterwards."""
    def check(conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.broken or _has_input(conn):
            conn.close()  # so that the pool discards it rather than handing it out again
            _purge(pool)
            raise psycopg.OperationalError("the server closed this idle connection")

    pool._check = check


def _outage_started(pool: Any, why: str) -> None:
    """The requests waiting for a connection are answered now (each a 503), rather than at
    the end of the pool's timeout; and the idle connections, on the same path to the same
    server, are checked before any is handed out again (on a path that holds its bytes, each
    would hold a request for the whole connect timeout)."""
    _fail_waiting(pool, why)
    _purge(pool)


def _waiting(pool: Any) -> set[int]:
    with pool._lock:
        return {id(client) for client in pool._waiting}


def _fail_waiting(pool: Any, why: str, among: set[int] | None = None) -> None:
    """Answers the requests waiting for a connection (those `among`, if given) with a
    PoolTimeout (503)."""
    with pool._lock:
        failing = [c for c in pool._waiting if among is None or id(c) in among]
        for client in failing:
            pool._waiting.remove(client)
    for client in failing:
        client.fail(PoolTimeout(f"the store does not answer: {why}"))


def _has_input(conn: psycopg.Connection[Any]) -> bool:
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    return bool(readable)


def _purge(pool: Any) -> None:
    """Checks every idle connection of the pool once, in the background (one at a time);
    meanwhile they are out of the pool, so no request takes one that is dead."""
    purging = pool.__dict__.setdefault("_grantledger_purging", threading.Lock())
    if purging.acquire(blocking=False):
        threading.Thread(target=_check_pool, args=(pool, purging.release), daemon=True,
                         name="pool-check").start()


def _check_pool(pool: Any, done: Callable[[], None]) -> None:
    try:
        pool.check()
    except Exception:
        pass
    finally:
        done()
