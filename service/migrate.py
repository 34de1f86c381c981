"""Creates the event store's tables (events, snapshots, idempotency records) once."""

from __future__ import annotations

from service.app import ledger_env
from service.application import LedgerApplication
from service.config import Settings


def create_tables(settings: Settings | None = None) -> None:
    settings = settings or Settings.from_env()
    application = LedgerApplication(env=ledger_env(settings, create_table=True))
    application.close()
