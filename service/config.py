"""The service's configuration, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from domain.access import ROLES
from service.principals import NO_GLOBAL_ROLE, Principal

if TYPE_CHECKING:
    from service.identity.settings import OidcSettings

DEFAULT_DATABASE_URL = "sqlite:///grantledger.db"
POSTGRES_SCHEMES = ("postgresql", "postgres")
TOKEN_ROLES = (*ROLES, NO_GLOBAL_ROLE)
# A bearer token shorter than this is refused at start: `grantledger token` makes 43.
MIN_TOKEN_LENGTH = 24
Number = TypeVar("Number", int, float)
# Per-project series on /metrics for at most this many projects: /metrics stays small.
MAX_METRICS_PROJECTS = 1000


class ConfigurationError(ValueError):
    """The environment does not describe a service that can start."""


@dataclass(frozen=True)
class MetricsProjects:
    """Which projects get series of their own on /metrics (GRANTLEDGER_METRICS_PROJECTS):
    none (`off`, the default), the `top:N` with the most open flags, or those named (ids or
    registration numbers, comma-separated). The aggregate gauges cover every project."""

    top: int = 0
    named: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> MetricsProjects:
        text = text.strip()
        if text.lower() in ("", "off", "none", "no", "0"):
            return cls()
        if text.lower().startswith("top:"):
            count = text[4:].strip()
            if not count.isdigit() or not 1 <= int(count) <= MAX_METRICS_PROJECTS:
                raise ConfigurationError(
                    f"GRANTLEDGER_METRICS_PROJECTS={text!r}: top:N takes N from 1 to "
                    f"{MAX_METRICS_PROJECTS}")
            return cls(top=int(count))
        named = frozenset(filter(None, (part.strip() for part in text.split(","))))
        if len(named) > MAX_METRICS_PROJECTS:
            raise ConfigurationError(f"GRANTLEDGER_METRICS_PROJECTS names {len(named)} "
                                     f"projects; at most {MAX_METRICS_PROJECTS}")
        return cls(named=named)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # A PostgreSQL streaming replica of that store, for views, lists and history
    # (service.reads.replica); None: every read goes to the store itself.
    read_database_url: str | None = None
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
    metrics_projects: MetricsProjects = field(default_factory=MetricsProjects)
    aggregate_cache_size: int = 1000
    # Megabytes of views each web worker keeps of the projects read most recently (PostgreSQL).
    view_cache_mb: int = 32
    # How many proxies in front of the service may set X-Forwarded-For/-Proto/-Host/-Port/
    # -Prefix (werkzeug's ProxyFix); with none, those headers are ignored.
    proxy_hops: int = 0
    # Where the JSON access log goes: "-" standard output, "off", or a file (appended to,
    # reopened when rotated away).
    access_log: str = "-"
    # Whether the web app checks and migrates the store as it starts: gunicorn's master does
    # it once before forking and tells its workers not to (a worker started again while the
    # database restarts then waits for it as long as the pool does, instead of failing).
    migrate: bool = True
    # Derives the calendar feeds' read-only keys (service.web.feed_keys); None: no feed keys.
    feed_secret: str | None = field(default=None, repr=False)
    # The OpenID Connect issuer whose access tokens are accepted; None: static tokens only.
    oidc: OidcSettings | None = None

    @property
    def uses_postgres(self) -> bool:
        return urlsplit(self.database_url).scheme in POSTGRES_SCHEMES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        database_url = env.get("GRANTLEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL
        return cls(
            database_url=database_url,
            read_database_url=_read_database_url(database_url,
                                                 env.get("GRANTLEDGER_READ_DATABASE_URL")),
            tokens=parse_tokens(env.get("GRANTLEDGER_TOKENS", ""),
                                _tokens_file(env.get("GRANTLEDGER_TOKENS_FILE"))),
            min_position_timeout=_number(env, "GRANTLEDGER_MIN_POSITION_TIMEOUT", float, 5.0),
            max_projection_lag=_number(env, "GRANTLEDGER_MAX_PROJECTION_LAG", int, 10_000),
            max_heartbeat_age=_number(env, "GRANTLEDGER_MAX_HEARTBEAT_AGE", float, 30.0),
            projector_batch=_number(env, "GRANTLEDGER_PROJECTOR_BATCH", int, 1000),
            view_cache_mb=_number(env, "GRANTLEDGER_VIEW_CACHE_MB", int, 32),
            metrics_token=_long_enough("GRANTLEDGER_METRICS_TOKEN",
                                       env.get("GRANTLEDGER_METRICS_TOKEN") or None),
            metrics_projects=MetricsProjects.parse(env.get("GRANTLEDGER_METRICS_PROJECTS", "")),
            proxy_hops=_number(env, "GRANTLEDGER_PROXY_HOPS", int, 0),
            access_log=env.get("GRANTLEDGER_ACCESS_LOG") or "-",
            migrate=env.get("GRANTLEDGER_MIGRATE", "y").lower() in ("y", "yes", "1", "true"),
            feed_secret=_long_enough("GRANTLEDGER_FEED_SECRET",
                                     env.get("GRANTLEDGER_FEED_SECRET") or None),
            oidc=_oidc(env),
        )


def _read_database_url(database_url: str, read_url: str | None) -> str | None:
    """A replica's URL, refused unless both it and the store are PostgreSQL: SQLite has no
    replicas, and a setting that would be silently ignored is a surprise later."""
    if not read_url:
        return None
    if urlsplit(database_url).scheme not in POSTGRES_SCHEMES:
        raise ConfigurationError("GRANTLEDGER_READ_DATABASE_URL is set, but the store "
                                 "(GRANTLEDGER_DATABASE_URL) is SQLite, which has no replicas: "
                                 "unset it, or store on PostgreSQL")
    if urlsplit(read_url).scheme not in POSTGRES_SCHEMES:
        raise ConfigurationError("GRANTLEDGER_READ_DATABASE_URL must start with postgresql:// "
                                 "(a streaming replica of the store)")
    return read_url


def _oidc(env: Mapping[str, str]) -> OidcSettings | None:
    # Imported here: service.identity reads ConfigurationError from this module.
    from service.identity.settings import OidcSettings

    return OidcSettings.from_env(env)


def _number(env: Mapping[str, str], name: str, kind: Callable[[str], Number],
            default: Number) -> Number:
    text = env.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigurationError(f"{name}={text!r} is not a number") from None
    if value < 0:
        raise ConfigurationError(f"{name}={text!r} must not be negative")
    return value


def _tokens_file(path: str | None) -> str:
    """The tokens in a file (a container or systemd secret): entries one a line or
    comma-separated, `#` starting a comment line."""
    if not path:
        return ""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise ConfigurationError(f"GRANTLEDGER_TOKENS_FILE {path}: {error.strerror}") from None
    lines = (line.strip() for line in text.splitlines())
    return ",".join(line for line in lines if line and not line.startswith("#"))


def _long_enough(variable: str, secret: str | None) -> str | None:
    """A token or secret long enough not to be guessed (the message never shows it)."""
    if secret is not None and len(secret) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(f"{variable} has {len(secret)} characters; a secret needs at "
                                 f"least {MIN_TOKEN_LENGTH} (make one with `grantledger token`)")
    return secret


def parse_tokens(*specs: str) -> dict[str, Principal]:
    """`name:role:token,…` (from GRANTLEDGER_TOKENS, then GRANTLEDGER_TOKENS_FILE) →
    {token: Principal}. Messages never show a token."""
    tokens: dict[str, Principal] = {}
    items = (part.strip() for spec in specs for part in spec.split(","))
    for item in filter(None, items):
        parts = item.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ConfigurationError(f"the token entry of {parts[0]!r} is not name:role:token")
        name, role, token = parts
        if role not in TOKEN_ROLES:
            raise ConfigurationError(f"role {role!r} of {name} is not one of "
                                     f"{', '.join(TOKEN_ROLES)} ({NO_GLOBAL_ROLE}: only the "
                                     "roles granted on projects)")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigurationError(f"the token of {name} has {len(token)} characters; a token "
                                     f"needs at least {MIN_TOKEN_LENGTH} (make one with "
                                     "`grantledger token`)")
        if token in tokens:
            raise ConfigurationError(f"the token of {name} is also given to another principal")
        tokens[token] = Principal.static(name, role)
    return tokens
