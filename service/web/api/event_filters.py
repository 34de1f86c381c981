"""The history filters of `GET …/events`: by type, author, recording window and expense.

Without a filter a page is one select of `limit + 1` events. With one, the project's events
are scanned in batches until a page is full; an expense filter scans from the first event,
because an approval names only its claim, and the claim's expenses are known from its
submission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.events import event_type
from projections.expense_history import ExpenseTouches
from service.application import LedgerApplication

FILTERS = ("type", "recorded_by", "recorded_after", "recorded_before", "expense_id")
SCAN_BATCH = 500

Pair = tuple[int, Any]


def project_event_page(application: LedgerApplication, project_id: UUID,
                       query: dict[str, Any], after_version: int, limit: int) -> list[Pair]:
    """Up to `limit + 1` of the project's events after `after_version` that pass the query's
    filters (one more than a page, to tell whether another page follows)."""
    if not any(query.get(name) for name in FILTERS):
        return application.positioned_events(project_id, after_version=after_version,
                                             limit=limit + 1)
    matches = _matcher(query)
    touches = ExpenseTouches()
    expense = str(query["expense_id"]) if query.get("expense_id") else None
    start = 0 if expense else after_version
    page: list[Pair] = []
    for position, event in _scan(application, project_id, start):
        touched = touches.of(event)
        if event.originator_version <= after_version:
            continue
        if _recorded_too_late(event, query.get("recorded_before")):
            break
        if matches(event) and (expense is None or expense in touched):
            page.append((position, event))
            if len(page) > limit:
                break
    return page


def _matcher(query: dict[str, Any]) -> Callable[[Any], bool]:
    types = set(query.get("type") or ())
    author = query.get("recorded_by")
    after: datetime | None = query.get("recorded_after")

    def matches(event: Any) -> bool:
        return ((not types or event_type(event) in types)
                and (author is None or event.recorded_by.get("name") == author)
                and (after is None or event.timestamp >= after))

    return matches


def _recorded_too_late(event: Any, before: datetime | None) -> bool:
    # Moments never run backwards along a project's history (the application sees to it),
    # so the first event at or after `recorded_before` ends the scan.
    return before is not None and event.timestamp >= before


def _scan(application: LedgerApplication, project_id: UUID, after_version: int) -> Iterator[Pair]:
    while True:
        batch = application.positioned_events(project_id, after_version=after_version,
                                              limit=SCAN_BATCH)
        yield from batch
        if len(batch) < SCAN_BATCH:
            return
        after_version = batch[-1][1].originator_version
