"""Compliance flags: a rule, its severity, a short message and the objects and events behind it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

Flag = dict[str, Any]
Ref = dict[str, str]
Severity = Literal["error", "warning"]

ERROR: Severity = "error"
WARNING: Severity = "warning"


def ref(kind: str, ident: str | int) -> Ref:
    """A reference to an `event` (by position), `expense`, `line`, `activity`, `milestone`,
    `claim`, `report` or `indicator`."""
    return {"type": kind, "id": str(ident)}


def event_refs(*positions: int | None) -> list[Ref]:
    """References to the events at these positions, once each, in order; `None` is skipped."""
    seen: list[int] = []
    for position in positions:
        if position is not None and position not in seen:
            seen.append(position)
    return [ref("event", p) for p in sorted(seen)]


def flag(rule: str, severity: Severity, message: str, refs: Iterable[Ref]) -> Flag:
    return {"rule": rule, "severity": severity, "message": message, "refs": list(refs)}


def count_by_severity(flags: Iterable[Flag]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = warnings = 0
    for item in flags:
        if item["severity"] == ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def count_by_rule(flags: Iterable[Flag]) -> dict[str, int]:
    """{rule: how many of the flags name it}, rules in alphabetical order."""
    counts: dict[str, int] = {}
    for item in flags:
        counts[item["rule"]] = counts.get(item["rule"], 0) + 1
    return dict(sorted(counts.items()))


def days(count: int) -> str:
    """`1 day`, `5 days`."""
    return f"{count} day" if count == 1 else f"{count} days"
