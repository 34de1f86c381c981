"""The audit bundle: one zip with everything an auditor needs to check a project offline.

    events.jsonl   every stored event, one a line, exactly the bytes that were hashed
    expenses.csv   one row per expense as it stands, with the versions that touched it
    head.json      the chain head as stored: the last version and the hash stored with it
    verify.py      a verifier needing only Python's standard library
    views.json     the budget, subsidy, schedule, indicators and access views at the head

The bundle is a function of the stored events (and the views' reference date) alone: the
entries are written in a fixed order, with a fixed date (that of the head event) and fixed
permissions, and every JSON document with sorted keys, so exporting the same ledger twice
gives the same bytes. It is written from what the store holds, even when the chain is
broken, so that the auditor's verifier is the one to say what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.hashing import canonical_json
from domain.verification import StoredLink
from projections import (
    LedgerState,
    access_view,
    budget_view,
    expense_list,
    fold,
    indicators_view,
    schedule_view,
    subsidy_view,
)
from projections.expense_history import touching_versions
from schemas import (
    AccessViewSchema,
    BudgetViewSchema,
    IndicatorsViewSchema,
    ScheduleViewSchema,
    SubsidyViewSchema,
)
from schemas.fields import Moment
from service.application import prague_today
from service.audit.chain import StoredEntry, event_pairs

VERIFIER = Path(__file__).resolve().parent / "bundle" / "verify.py"
EARLIEST_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
EXPENSE_COLUMNS = (
    "expense_id", "status", "budget_line", "activity", "document_number", "document_type",
    "supplier_name", "supplier_ico", "supplier_country", "description", "tax_point_date",
    "amount_net", "vat", "eligible_amount", "time_eligible", "paid_on", "claim_number",
    "claim_approved", "recorded_version", "recorded_at", "recorded_by", "recorded_by_role",
    "changed_versions", "corrections", "reversal_reason",
)


@dataclass(frozen=True)
class AuditBundle:
    content: bytes
    file_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def audit_bundle(project_id: UUID, entries: list[StoredEntry],
                 on: date | None = None) -> AuditBundle:
    """The bundle of a project's stored rows (`chain.read_chain`); `on` is the reference date
    of the views (default: the day in Prague of the last readable event)."""
    state, folding_problem = _folded(entries)
    head_moment = _head_moment(entries)
    on = on or (prague_today(head_moment) if head_moment else None)
    files = {
        "events.jsonl": events_jsonl(entries),
        "expenses.csv": expenses_csv(state, entries) if state else _csv([]),
        "head.json": _json(head_document(project_id, entries)),
        "verify.py": VERIFIER.read_bytes(),
        "views.json": _json(views_document(state, on) if state and on
                            else {"unavailable": folding_problem}),
    }
    version = entries[-1].version if entries else 0
    stamp = _zip_date(head_moment)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the platform, for the same bytes
            mode = 0o755 if name.endswith(".py") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            bundle.writestr(info, files[name])
    return AuditBundle(buffer.getvalue(), f"grantledger-audit-{project_id}-v{version}.zip")


def events_jsonl(entries: list[StoredEntry]) -> bytes:
    """One line per stored row. A readable row is the canonical JSON its hash covers; a row
    that cannot be decoded is a line saying so, which the verifier reports."""
    lines = []
    for entry in entries:
        if isinstance(entry.link, StoredLink):
            line = entry.link.hashed_bytes
            if hashlib.sha256(line).hexdigest() != entry.link.recomputed_hash:
                raise AssertionError(f"version {entry.version}: the bundle line is not what "
                                     "domain.hashing hashes")
        else:
            line = canonical_json({"version": entry.version, "unreadable": entry.link.detail})
        lines.append(line + b"\n")
    return b"".join(lines)


def head_document(project_id: UUID, entries: list[StoredEntry]) -> dict[str, Any]:
    """The head as the store holds it: the stored hash of the last row, not a recomputed
    one, so that a changed last event does not match it."""
    last = entries[-1] if entries else None
    stored_hash = last.link.hash if last and isinstance(last.link, StoredLink) else None
    return {"project_id": str(project_id), "events": len(entries),
            "version": last.version if last else 0, "hash": stored_hash}


def views_document(state: LedgerState, on: date) -> dict[str, Any]:
    return {
        "budget": BudgetViewSchema().dump({**budget_view(state, on), "as_of": None}),
        "subsidy": SubsidyViewSchema().dump({**subsidy_view(state, on), "as_of": None}),
        "schedule": ScheduleViewSchema().dump({**schedule_view(state, on), "as_of": None}),
        "indicators": IndicatorsViewSchema().dump({**indicators_view(state, on), "as_of": None}),
        "access": AccessViewSchema().dump({**access_view(state), "as_of": None}),
    }


def expenses_csv(state: LedgerState, entries: list[StoredEntry]) -> bytes:
    touched = touching_versions(event_pairs(entries))
    moment = Moment()
    rows = []
    for e in expense_list(state):
        later = [v for v in touched.get(str(e["expense_id"]), []) if v != e["recorded_version"]]
        rows.append({
            "expense_id": e["expense_id"], "status": e["status"],
            "budget_line": e["budget_line"], "activity": e["activity"],
            "document_number": e["document_number"], "document_type": e["document_type"],
            "supplier_name": e["supplier"]["name"], "supplier_ico": e["supplier"].get("ico"),
            "supplier_country": e["supplier"].get("country"), "description": e["description"],
            "tax_point_date": e["tax_point_date"], "amount_net": e["amount_net"],
            "vat": e["vat"], "eligible_amount": e["eligible_amount"],
            "time_eligible": e["time_eligible"], "paid_on": e["paid_on"],
            "claim_number": e["claim_number"], "claim_approved": e["approved"],
            "recorded_version": e["recorded_version"],
            "recorded_at": moment.serialize("at", {"at": e["recorded_at"]}),
            "recorded_by": e["recorded_by"]["name"], "recorded_by_role": e["recorded_by"]["role"],
            "changed_versions": " ".join(map(str, later)), "corrections": e["corrections"],
            "reversal_reason": e["reversal_reason"],
        })
    return _csv(rows)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=EXPENSE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return text.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _folded(entries: list[StoredEntry]) -> tuple[LedgerState | None, str]:
    """The read model of the stored events, or why there is none (a row that cannot be
    decoded, or events that cannot be one project's history)."""
    unreadable = [e.version for e in entries if e.event is None]
    if unreadable:
        return None, f"the stored events of versions {unreadable} cannot be decoded"
    try:
        state = fold(event_pairs(entries))
    except Exception as error:  # a tampered history may break any rule of the fold
        return None, f"the stored events cannot be folded: {type(error).__name__}: {error}"
    if not state.is_registered:
        return None, "the project's registration is not stored"
    return state, ""


def _head_moment(entries: list[StoredEntry]) -> datetime | None:
    readable = [e.link for e in entries if isinstance(e.link, StoredLink)]
    return readable[-1].recorded_at if readable else None


def _zip_date(moment: datetime | None) -> tuple[int, int, int, int, int, int]:
    if moment is None:
        return EARLIEST_ZIP_DATE
    utc = moment.astimezone(UTC)
    stamp = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    return max(stamp, EARLIEST_ZIP_DATE)


def _json(document: Any) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
