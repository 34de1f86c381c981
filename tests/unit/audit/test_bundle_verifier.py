"""The bundle's standalone verifier (service/bundle/verify.py) on bundles written by hand."""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from audit_builders import history, link

import service.audit.bundle.verify as verify_module
from service.audit.bundle.verify import budget_totals, verify


def write_bundle(folder: Path, lines: list[bytes] | None = None,
                 head: dict[str, Any] | None = None, views: dict[str, Any] | None = None) -> Path:
    events = history()
    lines = lines if lines is not None else [link(e).hashed_bytes for e in events]
    folder.mkdir(exist_ok=True)
    (folder / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    (folder / "head.json").write_text(json.dumps(head or {
        "project_id": str(events[0].originator_id), "events": len(events),
        "version": events[-1].originator_version, "hash": events[-1].hash}))
    if views is not None:
        (folder / "views.json").write_text(json.dumps(views))
    return folder


def test_a_bundle_of_an_untouched_history_holds(tmp_path: Path) -> None:
    report = verify(write_bundle(tmp_path / "b"), None)

    assert (report["ok"], report["failures"], report["events"]) == (True, [], 7)


def test_the_budget_is_recomputed_from_the_events_alone() -> None:
    documents = [json.loads(link(e).hashed_bytes) for e in history()]

    totals = budget_totals(documents)

    assert [(row["code"], str(row["recorded"]), str(row["paid"])) for row in totals["lines"]] == [
        ("PERSONNEL", "80000.00", "0.00"), ("TRAVEL", "140000.00", "140000.00")]


def test_a_line_that_is_not_in_canonical_form_cannot_be_what_was_hashed(tmp_path: Path) -> None:
    lines = [link(e).hashed_bytes for e in history()]
    lines[2] = json.dumps(json.loads(lines[2]), sort_keys=True).encode()  # with spaces

    report = verify(write_bundle(tmp_path / "b", lines=lines), None)

    assert report["failures"][:2] == [
        "version 3: the line is not in canonical form: it cannot be what was hashed",
        f"version 4: link broken: previous_hash is {history()[2].hash}, but the line before "
        f"hashes to {hashlib.sha256(lines[2]).hexdigest()}"]


def test_a_head_json_that_names_another_head_fails(tmp_path: Path) -> None:
    events = history()
    head = {"project_id": str(events[0].originator_id), "version": 7, "hash": "ab" * 32}

    report = verify(write_bundle(tmp_path / "b", head=head), None)

    assert report["failures"] == [
        f"head.json: the stored head is 7:{'ab' * 32}, the events end at 7:{events[-1].hash}"]


def test_a_budget_view_that_does_not_reconcile_with_the_events_fails(tmp_path: Path) -> None:
    documents = [json.loads(link(e).hashed_bytes) for e in history()]
    lines = [{"code": r["code"], **{k: str(v) for k, v in r.items() if k not in ("code", "name")}}
             for r in budget_totals(documents)["lines"]]
    totals = {k: str(v) for k, v in budget_totals(documents)["totals"].items()}
    views = {"budget": {"lines": lines, "totals": {**totals, "recorded": "220001.00"}}}

    report = verify(write_bundle(tmp_path / "b", views=views), None)

    assert report["failures"] == [
        "budget total recorded: recomputed 220000.00, the view says 220001.00"]


def test_the_verifier_is_python_3_8_and_imports_only_the_standard_library() -> None:
    source = Path(verify_module.__file__ or "").read_text(encoding="utf-8")

    tree = ast.parse(source, feature_version=(3, 8))

    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported - {"__future__"} <= sys.stdlib_module_names


def test_claimed_and_approved_are_recomputed_from_the_claims_events() -> None:
    documents = [json.loads(link(e).hashed_bytes) for e in history()]

    totals = budget_totals(documents)

    assert [(row["code"], str(row["claimed"]), str(row["approved"]))
            for row in totals["lines"]] == [
        ("PERSONNEL", "0.00", "0.00"), ("TRAVEL", "140000.00", "139000.00")]
    assert (str(totals["totals"]["claimed"]), str(totals["totals"]["approved"])) == (
        "140000.00", "139000.00")


def test_an_expense_reversed_in_a_submitted_claim_is_not_claimed_by_the_verifier() -> None:
    documents = [json.loads(link(e).hashed_bytes) for e in history()]
    approval = documents.pop(5)
    assert approval["type"] == "PaymentClaimApproved"
    second = documents[2]["data"]["expense_id"]
    documents.insert(5, {"type": "ExpenseReversed", "data": {"expense_id": second,
                                                             "reason": "booked twice"}})

    travel = budget_totals(documents)["lines"][1]

    assert (travel["code"], str(travel["recorded"]), str(travel["claimed"]),
            str(travel["approved"])) == ("TRAVEL", "90000.00", "90000.00", "0.00")
