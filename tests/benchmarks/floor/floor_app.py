"""Performance floor app: the fastest trivially-correct Flask endpoints.

Each endpoint does the same physical work as the ledger service does, and
nothing more, so that the ledger can be measured as a ratio against it.

  GET  /floor/json           fixed ~1 KB JSON document, encoded per request
  POST /floor/insert         validate a JSON expense, INSERT it into
                             PostgreSQL in one transaction, 201 {"id": n}
  POST /floor/insert-sqlite  the same into an SQLite file in WAL mode

Environment:
  FLOOR_DATABASE_URL   libpq conninfo or URL ("" = libpq defaults / PG* vars)
  FLOOR_POOL_MAX       max connections per worker process (default 4)
  FLOOR_SQLITE_PATH    SQLite file (default /tmp/floor.sqlite3)
  FLOOR_SQLITE_SYNC    SQLite PRAGMA synchronous: FULL (default) or NORMAL

Run with e.g.  gunicorn -w 5 -b 127.0.0.1:18088 floor_app:app
Without --preload every gunicorn worker imports this module after the fork,
and the pool is in any case created lazily, so each worker owns one pool.
"""

import json
import os
import sqlite3
import threading
from datetime import date
from decimal import Decimal, InvalidOperation

import psycopg
from flask import Flask, Response, request
from psycopg_pool import ConnectionPool

app = Flask(__name__)

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS floor_expense (
    id          bigserial PRIMARY KEY,
    amount      numeric(14, 2) NOT NULL,
    date        date NOT NULL,
    description text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
)"""
INSERT_SQL = (
    "INSERT INTO floor_expense (amount, date, description)"
    " VALUES (%s, %s, %s) RETURNING id"
)

SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS floor_expense (
    id          INTEGER PRIMARY KEY,
    amount      TEXT NOT NULL,
    date        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)"""
SQLITE_INSERT = "INSERT INTO floor_expense (amount, date, description) VALUES (?, ?, ?)"

# A projection-shaped document of about 1 KB. It is kept as a dict and
# encoded on every request, as a service serving a projection would.
DOCUMENT = {
    "ledger": "floor",
    "projection": "monthly-summary",
    "currency": "EUR",
    "as_of_event": 123456,
    "totals": {"count": 4821, "amount": "182734.55"},
    "months": [
        {"month": f"2024-{m:02d}", "count": 400 + m, "amount": f"{15000 + 37 * m}.{m:02d}"}
        for m in range(1, 13)
    ],
    "categories": [
        {"name": name, "amount": f"{1000 + 11 * i}.50"}
        for i, name in enumerate(["rent", "food", "travel", "utilities", "misc"])
    ],
}
_DOC_BYTES = len(json.dumps(DOCUMENT, separators=(",", ":")))
assert 900 <= _DOC_BYTES <= 1100, _DOC_BYTES

MAX_DESCRIPTION = 1000
CENT = Decimal("0.01")
AMOUNT_LIMIT = Decimal("1e12")


def json_response(obj, status=200):
    return Response(json.dumps(obj, separators=(",", ":")), status=status,
                    mimetype="application/json")


def parse_expense():
    """Return (amount, date, description) or raise ValueError."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    amount, day, description = body.get("amount"), body.get("date"), body.get("description")
    if not isinstance(amount, str):
        raise ValueError("amount must be a decimal string")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError("amount is not a decimal") from None
    if not value.is_finite() or value.copy_abs() >= AMOUNT_LIMIT or value != value.quantize(CENT):
        raise ValueError("amount must be finite, below 1e12, with at most 2 decimals")
    if not isinstance(day, str):
        raise ValueError("date must be a string")
    try:
        day = date.fromisoformat(day)
    except ValueError:
        raise ValueError("date must be YYYY-MM-DD") from None
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise ValueError("description must be a string of at most 1000 chars")
    return value.quantize(CENT), day, description


# --- PostgreSQL: one psycopg_pool.ConnectionPool per worker process ---------

_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


def _prepare_pg(conn):
    # Serialise concurrent CREATE TABLE IF NOT EXISTS from several workers,
    # which can otherwise fail on the pg_type unique index.
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(726354)")
        conn.execute(TABLE_DDL)


def get_pool():
    global _pool, _pool_pid
    if _pool is not None and _pool_pid == os.getpid():
        return _pool
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            pool = ConnectionPool(
                os.environ.get("FLOOR_DATABASE_URL", ""),
                min_size=1,
                max_size=int(os.environ.get("FLOOR_POOL_MAX", "4")),
                kwargs={"autocommit": True},  # transactions are explicit below
                open=True,
            )
            try:
                pool.wait(timeout=5)
                with pool.connection() as conn:
                    _prepare_pg(conn)
            except BaseException:
                pool.close()  # else its threads keep reconnecting in the background
                raise
            _pool, _pool_pid = pool, os.getpid()
    return _pool


# --- SQLite: one connection per thread (sqlite3 objects are per thread) ----

_sqlite = threading.local()


def get_sqlite():
    conn = getattr(_sqlite, "conn", None)
    if conn is None or getattr(_sqlite, "pid", None) != os.getpid():
        conn = sqlite3.connect(os.environ.get("FLOOR_SQLITE_PATH", "/tmp/floor.sqlite3"),
                               timeout=10.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        sync = os.environ.get("FLOOR_SQLITE_SYNC", "FULL").upper()
        if sync not in ("FULL", "NORMAL"):
            raise RuntimeError("FLOOR_SQLITE_SYNC must be FULL or NORMAL")
        conn.execute(f"PRAGMA synchronous={sync}")
        conn.execute(SQLITE_DDL)
        _sqlite.conn, _sqlite.pid = conn, os.getpid()
    return conn


# --- routes -------------------------------------------------------------------

@app.get("/floor/json")
def floor_json():
    return json_response(DOCUMENT)


@app.post("/floor/insert")
def floor_insert():
    try:
        amount, day, description = parse_expense()
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    try:
        with get_pool().connection() as conn, conn.transaction():  # BEGIN ... COMMIT
            row = conn.execute(INSERT_SQL, (amount, day, description)).fetchone()
    except psycopg.OperationalError as exc:  # includes PoolTimeout
        app.logger.error("database unavailable: %s", exc)
        return json_response({"error": "database unavailable"}, 503)
    return json_response({"id": row[0]}, 201)


@app.post("/floor/insert-sqlite")
def floor_insert_sqlite():
    try:
        amount, day, description = parse_expense()
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    conn = get_sqlite()
    conn.execute("BEGIN IMMEDIATE")
    try:
        new_id = conn.execute(SQLITE_INSERT, (str(amount), day.isoformat(), description)).lastrowid
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return json_response({"id": new_id}, 201)
