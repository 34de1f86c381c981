"""A project's stored events read back row by row, for verification and the audit bundle.

Verification must see what the store holds now, not what a running process remembers: the
rows are read with the recorder's own select (no aggregate cache, no snapshot, no
materialised view), and each row is decoded on its own, so a row that no longer decodes is
reported as a finding for its version instead of failing the whole request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.events import event_data, event_type
from domain.verification import (
    ChainReport,
    DigestCheck,
    Link,
    StoredLink,
    UnreadableLink,
)
from service.application import LedgerApplication

NOTIFICATION_PAGE = 1000


@dataclass(frozen=True)
class StoredEntry:
    """One stored row of a project: its global position, version, what its hash covers, and
    the decoded event (None when the row cannot be decoded)."""

    position: int
    version: int
    link: Link
    event: Any | None


def read_chain(application: LedgerApplication, project_id: UUID) -> list[StoredEntry]:
    """The project's stored rows in version order, each decoded on its own."""
    rows = application.queries.select_positioned_events(project_id)
    return [_entry(application, position, stored) for position, stored in rows]


def event_pairs(entries: list[StoredEntry]) -> list[tuple[int, Any]]:
    """The decoded events with their positions (rows that cannot be decoded are left out)."""
    return [(e.position, e.event) for e in entries if e.event is not None]


def verification_document(project_id: UUID, report: ChainReport,
                          digest: DigestCheck | None) -> dict[str, Any]:
    """A verification as the API and the CLI answer it: `valid` only when the chain holds
    and the digest, if one was given, lies on it."""
    found = report.first_break
    return {
        "project_id": project_id,
        "valid": report.valid and (digest is None or digest.on_chain),
        "events": report.events,
        "head": {"version": report.head_version, "hash": report.head_hash},
        "first_break": None if found is None else {
            "version": found.version, "reason": found.reason, "detail": found.detail},
        "digest": None if digest is None else {
            "version": digest.version, "hash": digest.hash, "on_chain": digest.on_chain,
            "detail": digest.detail},
    }


def stored_project_ids(application: LedgerApplication) -> list[UUID]:
    """Every project with a stored event, in the order of its first stored event.

    Read from the global log rather than from the registrations, so that a project whose
    registration row was deleted is still found (and reported as broken)."""
    seen: dict[UUID, None] = {}
    for notification in _notifications(application):
        seen.setdefault(UUID(str(notification.originator_id)), None)
    return list(seen)


def _notifications(application: LedgerApplication) -> Iterator[Any]:
    after = 0
    while True:
        page = application.recorder.select_notifications(after, NOTIFICATION_PAGE,
                                                         inclusive_of_start=False)
        yield from page
        if len(page) < NOTIFICATION_PAGE:
            return
        after = page[-1].id


def _entry(application: LedgerApplication, position: int, stored: Any) -> StoredEntry:
    version = int(stored.originator_version)
    try:
        event = application.mapper.to_domain_event(stored)
        link = link_of(event)
        # Hash now, so content the canonical form cannot express fails here, per version.
        link.recomputed_hash  # noqa: B018
    except Exception as error:
        return StoredEntry(position, version, UnreadableLink(version, _describe(error)), None)
    return StoredEntry(position, version, link, event)


def link_of(event: Any) -> StoredLink:
    """What an event's hash covers, read from the decoded event; refuses an event whose
    envelope is missing or of the wrong type (a tampered row can decode to anything)."""
    recorded_by = getattr(event, "recorded_by", None)
    if not (isinstance(recorded_by, dict)
            and all(isinstance(v, str) for v in recorded_by.values())):
        raise ValueError("recorded_by is missing or not a principal")
    timestamp = getattr(event, "timestamp", None)
    if not isinstance(timestamp, datetime):
        raise ValueError("the recorded moment (timestamp) is missing or not a moment")
    previous_hash, digest = getattr(event, "previous_hash", None), getattr(event, "hash", None)
    if not isinstance(previous_hash, str) or not isinstance(digest, str):
        raise ValueError("previous_hash or hash is missing or not text")
    return StoredLink(
        version=int(event.originator_version), event_type=event_type(event),
        project=event.originator_id, recorded_at=timestamp, recorded_by=recorded_by,
        data=event_data(event), previous_hash=previous_hash, hash=digest,
    )


def _describe(error: Exception) -> str:
    cause = error.__cause__ or error
    return f"{type(cause).__name__}: {cause}"[:500]
