"""The process's one ledger application, reached from request handlers."""

from __future__ import annotations

from flask import current_app

from service.application import LedgerApplication
from service.config import Settings
from service.reads.past_answers import PastAnswers
from service.reads.view_cache import ViewCache


def ledger() -> LedgerApplication:
    application: LedgerApplication = current_app.extensions["grantledger"]
    return application


def settings() -> Settings:
    configured: Settings = current_app.config["GRANTLEDGER_SETTINGS"]
    return configured


def view_cache() -> ViewCache:
    cache: ViewCache = current_app.extensions["grantledger_views"]
    return cache


def past_answers() -> PastAnswers:
    answers: PastAnswers = current_app.extensions["grantledger_past_answers"]
    return answers
