"""The process's one ledger application, reached from request handlers."""

from __future__ import annotations

from flask import current_app

from service.application import LedgerApplication
from service.config import Settings


def ledger() -> LedgerApplication:
    application: LedgerApplication = current_app.extensions["grantledger"]
    return application


def settings() -> Settings:
    configured: Settings = current_app.config["GRANTLEDGER_SETTINGS"]
    return configured
