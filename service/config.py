"""The service's configuration, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///grantledger.db"
POSTGRES_SCHEMES = ("postgresql", "postgres")
ROLES = ("viewer", "accountant", "manager", "auditor", "admin")


class ConfigurationError(ValueError):
    """The environment does not describe a service that can start."""


@dataclass(frozen=True)
class Principal:
    """Someone who holds a token: events record their name and role."""

    name: str
    role: str


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    tokens: Mapping[str, Principal] = field(default_factory=dict)
    min_position_timeout: float = 5.0
    # Readiness fails when the projector is this many events behind the log. Under a sustained
    # stream of writes to a project of 10,000 expenses it runs a few thousand behind (it keeps
    # to a third of a core, see service.reads.projector); a stopped projector soon passes this.
    max_projection_lag: int = 10_000
    # Readiness fails when the log has moved and the projector has not shown it is alive (its
    # heartbeat, every couple of seconds while it runs) for this many seconds.
    max_heartbeat_age: float = 30.0
    projector_batch: int = 1000
    metrics_token: str | None = None
    aggregate_cache_size: int = 1000
    # Workers under gunicorn find the tables made by the master (service.web.gunicorn_conf).
    create_tables: bool = True
    # Derives the calendar feeds' read-only keys (service.web.feed_keys); None: no feed keys.
    feed_secret: str | None = field(default=None, repr=False)

    @property
    def uses_postgres(self) -> bool:
        return urlsplit(self.database_url).scheme in POSTGRES_SCHEMES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("GRANTLEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            tokens=parse_tokens(env.get("GRANTLEDGER_TOKENS", "")),
            min_position_timeout=float(env.get("GRANTLEDGER_MIN_POSITION_TIMEOUT", "5")),
            max_projection_lag=int(env.get("GRANTLEDGER_MAX_PROJECTION_LAG", "10000")),
            max_heartbeat_age=float(env.get("GRANTLEDGER_MAX_HEARTBEAT_AGE", "30")),
            projector_batch=int(env.get("GRANTLEDGER_PROJECTOR_BATCH", "1000")),
            metrics_token=env.get("GRANTLEDGER_METRICS_TOKEN") or None,
            create_tables=env.get("GRANTLEDGER_CREATE_TABLES", "y").lower() in ("y", "yes", "1"),
            feed_secret=env.get("GRANTLEDGER_FEED_SECRET") or None,
        )


def parse_tokens(spec: str) -> dict[str, Principal]:
    """`name:role:token,…` → {token: Principal}."""
    tokens: dict[str, Principal] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        parts = item.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ConfigurationError(f"GRANTLEDGER_TOKENS entry {item!r} is not name:role:token")
        name, role, token = parts
        if role not in ROLES:
            raise ConfigurationError(f"role {role!r} of {name} is not one of {', '.join(ROLES)}")
        if token in tokens:
            raise ConfigurationError(f"the token of {name} is also given to another principal")
        tokens[token] = Principal(name, role)
    return tokens


def eventsourcing_env(database_url: str, *, create_table: bool) -> dict[str, str]:
    """The eventsourcing library's settings for a database URL (sqlite:/// or postgresql://)."""
    url = urlsplit(database_url)
    common = {"CREATE_TABLE": "y" if create_table else "n"}
    if url.scheme == "sqlite":
        path = unquote(url.path[1:] if url.path.startswith("/") else url.path)
        if not path:
            raise ConfigurationError("a sqlite URL needs a file: sqlite:///path/to/file.db")
        return {**common, "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(Path(path)),
                "APPLICATION_RECORDER_TOPIC": "service.store.recorders:SQLiteLedgerRecorder"}
    if url.scheme in POSTGRES_SCHEMES:
        if not url.path.strip("/"):
            raise ConfigurationError("a postgresql URL needs a database name")
        return {**common, "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": unquote(url.path.strip("/")),
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                # A request waits for a connection at most this long (then 503); pooled
                # connections are checked on checkout (service.store.connections).
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "APPLICATION_RECORDER_TOPIC": "service.store.recorders:PostgresLedgerRecorder"}
    raise ConfigurationError(
        f"GRANTLEDGER_DATABASE_URL must start with sqlite:/// or postgresql://, not {url.scheme!r}")
