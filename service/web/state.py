"""The process's one ledger application, reached from request handlers."""

from __future__ import annotations

from flask import current_app, g

from service.application import LedgerApplication
from service.config import Settings
from service.reads.past_answers import PastAnswers
from service.reads.replica import ReadReplica
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


def read_replica() -> ReadReplica | None:
    replica: ReadReplica | None = current_app.extensions.get("grantledger_replica")
    return replica


def reads() -> LedgerApplication:
    """Where this request reads views, lists and history: the read replica once it has
    replayed what this process knows is written, else the store (service.reads.replica).
    Chosen once per request (by `choose_reads`, or here at its first read)."""
    chosen: LedgerApplication | None = g.get("grantledger_reads")
    return chosen if chosen is not None else choose_reads()


def choose_reads(min_position: int | None = None,
                 patience: float | None = None) -> LedgerApplication:
    """Chooses where this request reads: the replica if it replays the fence and
    `min_position` within its connect timeout (and `patience` seconds), else the store."""
    replica = read_replica()
    chosen: LedgerApplication = (ledger() if replica is None
                                 else replica.source(min_position, patience))
    g.grantledger_reads = chosen
    return chosen
