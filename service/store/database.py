"""Where the ledger is stored: the database URL as the operator wrote it, the eventsourcing
library's settings for it, and a first connection that fails fast and says why.

A PostgreSQL URL goes to libpq whole (service.store.postgres), so every option it has
(`sslmode`, `sslrootcert`, `host=` for a socket directory, several hosts,
`target_session_attrs`, `application_name`, …) and the `PG*` environment variables apply
exactly as they do for psql. Whatever is printed or logged shows the URL with its password
masked.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from service.config import POSTGRES_SCHEMES, ConfigurationError

# A store that does not answer within this many seconds is reported as unreachable; the
# URL's `connect_timeout` or PGCONNECT_TIMEOUT replace it.
DEFAULT_CONNECT_TIMEOUT = 5
# The eventsourcing library names its PostgreSQL tables after the application class
# (`ledgerapplication_events`; SQLite's are `stored_events`): the store knows the name
# without importing the class.
APPLICATION_NAME = "LedgerApplication"
# The key under which our persistence module finds the URL in the library's environment.
CONNINFO_KEY = "GRANTLEDGER_POSTGRES_CONNINFO"
# ... and how long its connections wait for an answer of the server (default: the connect
# timeout; the projector, whose single statements may store thousands of views, waits longer).
ANSWER_TIMEOUT_KEY = "POSTGRES_ANSWER_TIMEOUT"
# ... and what the log calls it when it does not answer ("event store", or "read replica").
STORE_NAME_KEY = "POSTGRES_STORE_NAME"
_PASSWORD_OPTION = re.compile(r"(?i)([?&]password=)[^&]*")


class StoreError(RuntimeError):
    """The store cannot be used; the message names it (password masked) and says why."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached or opened."""


def masked_url(url: str) -> str:
    """The URL with any password replaced by `***` (in the user part or as an option)."""
    parts = urlsplit(url)
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostinfo}"
        url = urlunsplit(parts._replace(netloc=netloc))
    return _PASSWORD_OPTION.sub(r"\1***", url)


@dataclass(frozen=True)
class StoreUrl:
    """A `sqlite:///path` or `postgresql://…` URL."""

    url: str

    def __post_init__(self) -> None:
        scheme = urlsplit(self.url).scheme
        if scheme not in ("sqlite", *POSTGRES_SCHEMES):
            raise ConfigurationError("GRANTLEDGER_DATABASE_URL must start with sqlite:/// or "
                                     f"postgresql://, not {scheme!r}")
        if self.is_postgres:
            self.postgres_options()  # refused here if libpq cannot read it
        elif not self.sqlite_path.name:
            raise ConfigurationError("a sqlite URL needs a file: sqlite:///path/to/file.db")

    @property
    def masked(self) -> str:
        return masked_url(self.url)

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.url).scheme in POSTGRES_SCHEMES

    @property
    def sqlite_path(self) -> Path:
        path = urlsplit(self.url).path
        return Path(unquote(path[1:] if path.startswith("/") else path))

    def postgres_options(self) -> dict[str, Any]:
        """The connection parameters the URL itself gives, as libpq reads them."""
        from psycopg.conninfo import conninfo_to_dict

        try:
            return conninfo_to_dict(self.url)
        except Exception as error:  # psycopg.ProgrammingError: libpq could not parse it
            raise ConfigurationError(f"{self.masked} is not a PostgreSQL URL libpq can read: "
                                     f"{one_line(error)}") from None

    def connect_timeout(self, environ: Mapping[str, str] | None = None) -> int:
        """Seconds to wait for the server: the URL's, else PGCONNECT_TIMEOUT, else 5."""
        environ = os.environ if environ is None else environ
        given = self.postgres_options().get("connect_timeout") or environ.get("PGCONNECT_TIMEOUT")
        try:
            return max(int(given), 1) if given else DEFAULT_CONNECT_TIMEOUT
        except ValueError:
            raise ConfigurationError(f"connect_timeout {given!r} is not a whole number of "
                                     "seconds") from None

    def connection_kwargs(self) -> dict[str, Any]:
        """What a connection needs beside the URL: a connect timeout when none is set."""
        if self.postgres_options().get("connect_timeout") or os.environ.get("PGCONNECT_TIMEOUT"):
            return {}
        return {"connect_timeout": DEFAULT_CONNECT_TIMEOUT}


def events_table(store: StoreUrl) -> str:
    """The library's events table (its rows' global position: `notification_id` on
    PostgreSQL, SQLite's `rowid`)."""
    return f"{APPLICATION_NAME.lower()}_events" if store.is_postgres else "stored_events"


def eventsourcing_env(database_url: str) -> dict[str, str]:
    """The eventsourcing library's settings for a database URL. Tables are never created
    here: `grantledger migrate` (service.store.migrate) does that, once, under a lock."""
    store = StoreUrl(database_url)
    common = {"CREATE_TABLE": "n"}
    if not store.is_postgres:
        return {**common, "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(store.sqlite_path),
                "APPLICATION_RECORDER_TOPIC": "service.store.recorders:SQLiteLedgerRecorder"}
    options = store.postgres_options()
    return {**common, "PERSISTENCE_MODULE": "service.store.postgres:Factory",
            CONNINFO_KEY: store.url,
            # The library insists on these; its connections use the URL above instead.
            "POSTGRES_DBNAME": str(options.get("dbname", "")),
            "POSTGRES_HOST": str(options.get("host", "")),
            "POSTGRES_USER": str(options.get("user", "")),
            "POSTGRES_PASSWORD": "",
            # How long to wait for a connection from the pool (and so for the server).
            "POSTGRES_CONNECT_TIMEOUT": str(store.connect_timeout()),
            "APPLICATION_RECORDER_TOPIC": "service.store.recorders:PostgresLedgerRecorder"}


@contextmanager
def postgres_connection(store: StoreUrl, **kwargs: Any) -> Iterator[Any]:
    """A connection of our own (migrations, copies), opened as the pool's are."""
    import psycopg

    try:
        connection = psycopg.connect(store.url, **{**store.connection_kwargs(), **kwargs})
    except psycopg.Error as error:
        raise StoreUnavailableError(unreachable(store, error)) from None
    with connection:
        yield connection


@contextmanager
def sqlite_transaction(store: StoreUrl, *, doing: str, begin: str = "BEGIN IMMEDIATE",
                       timeout: float = 30) -> Iterator[sqlite3.Connection]:
    """One transaction on a SQLite store (by default holding its write lock), committed at
    the end; a failure is a StoreError that says what was being done (`doing`)."""
    connection = sqlite3.connect(store.sqlite_path, timeout=timeout, isolation_level=None)
    try:
        connection.execute(begin)
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    except sqlite3.Error as error:
        raise StoreError(f"cannot {doing} the SQLite store {store.sqlite_path}: "
                         f"{error}") from None
    finally:
        connection.close()


def check_reachable(store: StoreUrl, *, must_exist: bool = False) -> None:
    """Opens one connection to the store, so that a command fails at once with the reason
    (server down, database missing, TLS refused, …) instead of deep inside its work."""
    if store.is_postgres:
        with postgres_connection(store):
            return
    path = store.sqlite_path
    if must_exist and not path.is_file():
        raise StoreUnavailableError(f"there is no event store at {path}")
    try:
        sqlite3.connect(path, timeout=DEFAULT_CONNECT_TIMEOUT).close()
    except sqlite3.Error as error:
        raise StoreUnavailableError(f"cannot open the SQLite store {path}: {error}") from None


def unreachable(store: StoreUrl, error: BaseException) -> str:
    return f"cannot reach the store {store.masked}: {one_line(error)}"


def one_line(error: BaseException) -> str:
    """libpq's message on one line (it spreads the server's address and a hint over several);
    the URL's password never appears in it, but is masked anyway should it ever."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = "; ".join(lines) or type(error).__name__
    return masked_url(text.removeprefix("connection failed: "))
