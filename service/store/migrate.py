"""Creates the event store's tables (events, snapshots, idempotency records) once."""

from __future__ import annotations

from service.application import LedgerApplication
from service.config import Settings
from service.web.app import ledger_env


def create_tables(settings: Settings | None = None) -> None:
    settings = settings or Settings.from_env()
    application = LedgerApplication(env=ledger_env(settings, create_table=True))
    application.close()
