"""Pooled PostgreSQL connections, checked before use without a round trip.

After a server restart every idle connection in the pool is dead, and the first request to
take one failed (the library's pre-ping would find out, but at the price of a round trip on
every checkout: two of a POST's five). A server that ends a session says so on the socket
(a termination message, then EOF), so an idle connection with something to read has been
closed by the server: it is discarded, and the rest of the pool is checked in the background.
A connection lost without a word (a network partition) still fails on use: 503, and the
client's retry gets a fresh one.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg_pool.base import AttemptWithBackoff

# After an outage psycopg-pool reconnects with a back-off that doubles from a second up to
# minutes, so the first requests after PostgreSQL was back waited for it (503s long after the
# server was up), and a request that met several dead connections slept a second for each.
# A constant quarter of a second costs four connection attempts a second per missing
# connection while the server is away.
AttemptWithBackoff.INITIAL_DELAY = 0.25
AttemptWithBackoff.DELAY_BACKOFF = 1.0


def install_idle_check(pool: Any) -> None:
    """Makes `pool` check each connection it hands out as `idle_check` does. psycopg-pool
    takes its `check` callback only when it is built, inside the library's datastore, so it
    is set on the (open=False, not yet used) pool afterwards."""
    purging = threading.Lock()

    def check(conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.broken or _has_input(conn):
            conn.close()  # so that the pool discards it rather than handing it out again
            _purge(pool, purging)
            raise psycopg.OperationalError("the server closed this idle connection")

    pool._check = check


def _has_input(conn: psycopg.Connection[Any]) -> bool:
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    return bool(readable)


def _purge(pool: Any, purging: threading.Lock) -> None:
    """Checks every idle connection of the pool once, in the background (one at a time)."""
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
