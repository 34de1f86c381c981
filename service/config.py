"""The service's configuration, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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
    # Whether the web app checks and migrates the store as it starts: gunicorn's master does
    # it once before forking and tells its workers not to (a worker started again while the
    # database restarts then waits for it as long as the pool does, instead of failing).
    migrate: bool = True
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
            migrate=env.get("GRANTLEDGER_MIGRATE", "y").lower() in ("y", "yes", "1", "true"),
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
