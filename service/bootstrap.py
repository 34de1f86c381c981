"""Opening the ledger: how every process (web worker, projector, command) gets its one
LedgerApplication — the store checked reachable, migrated if it writes, then opened with the
library's table creation off."""

from __future__ import annotations

from collections.abc import Mapping

from service.application import LedgerApplication
from service.config import Settings
from service.store.database import STORE_NAME_KEY, StoreUrl, check_reachable, eventsourcing_env
from service.store.migrate import migrate


def ledger_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's environment for the configured store."""
    return {**eventsourcing_env(settings.database_url),
            "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size)}


def open_ledger(settings: Settings, *, migrating: bool = True, checking: bool = True,
                env: Mapping[str, str] | None = None) -> LedgerApplication:
    """The ledger on the configured store. A process that writes migrates first (a no-op on a
    current store); one that only reads (`verify`, `projections status`) opens the store as it
    is and refuses a SQLite file that does not exist rather than creating an empty store. A
    web worker whose master has migrated neither checks nor migrates (`checking=False`).
    `env` adds to or overrides the library's settings (a test's short timeouts)."""
    if checking:
        check_reachable(StoreUrl(settings.database_url), must_exist=not migrating)
    if migrating:
        migrate(settings.database_url)
    return LedgerApplication(env={**ledger_env(settings), **(env or {})})


def open_replica(settings: Settings, *,
                 env: Mapping[str, str] | None = None) -> LedgerApplication | None:
    """The ledger on the configured read replica (GRANTLEDGER_READ_DATABASE_URL), or None.
    Reached first by one connection of its own, so that a replica down fails at once
    (StoreUnavailableError) rather than after the pool's timeout; never migrated (a standby
    takes no writes)."""
    if settings.read_database_url is None:
        return None
    check_reachable(StoreUrl(settings.read_database_url))
    return LedgerApplication(env={**ledger_env(settings),
                                  **eventsourcing_env(settings.read_database_url),
                                  STORE_NAME_KEY: "read replica", **(env or {})})
