"""What every event of a project carries besides its own data, and how its data is read back.

An event's `timestamp` is the moment it was recorded (UTC, passed in by the service),
`recorded_by` names the principal, and `previous_hash`/`hash` chain it to the project's
history (see domain.hashing).
"""

from __future__ import annotations

from typing import Any

ENVELOPE_FIELDS = frozenset({
    "originator_id", "originator_version", "originator_topic", "timestamp",
    "recorded_by", "previous_hash", "hash",
})


def event_type(event: Any) -> str:
    """The business name of an event: its class name (`ExpenseRecorded`, …)."""
    return type(event).__name__


def event_data(event: Any) -> dict[str, Any]:
    """The event's own data: every field but the envelope."""
    return {k: v for k, v in vars(event).items() if k not in ENVELOPE_FIELDS}
