"""GET …/export: the audit bundle, byte-for-byte reproducible, and its standalone verifier."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from api_builders import (
    approve_rent_to_travel_transfer,
    claim_body,
    command,
    get,
    post,
    project_path,
    record_expense,
    record_nek_worked_example,
    register_nek,
    report_body,
)
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.audit.bundle.verify import verify

ENTRIES = ["events.jsonl", "expenses.csv", "head.json", "verify.py", "views.json"]
FIGURES = ("planned", "recorded", "ineligible", "eligible", "overrun", "eligible_capped", "paid",
           "claimed", "approved")


def export(client: FlaskClient, project_id: str, query: str = "",
           role: str = "auditor") -> TestResponse:
    return get(client, project_path(project_id, f"export{query}"), role)


def bundle_of(response: TestResponse) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)
    return zipfile.ZipFile(io.BytesIO(response.data))


def events(client: FlaskClient, project_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(client, project_path(project_id, "events?limit=1000"),
                                      "auditor").json["events"]
    return found


def a_ledger_with_every_kind_of_change(client: FlaskClient) -> tuple[str, dict[str, str]]:
    """DOMAIN.md's worked example (v1–v8), the approved RENT → TRAVEL transfer (v9), three
    MARKETING_PROMOTION invoices (v10–v12): the first corrected (v13), the second reversed
    (v14), the third claimed (v15) and approved (v16); an invoice dated after the realisation
    end (v17), moved to TRAVEL (v18) and made eligible by a later end (v19); a TRAVEL invoice
    (v20) in payment claim 2 (v21), reversed while the claim is submitted (v22)."""
    project_id = record_nek_worked_example(client)
    approve_rent_to_travel_transfer(client, project_id)
    ids = {name: record_expense(client, project_id, "MARKETING_PROMOTION", "5000.00")
           for name in ("corrected", "reversed", "claimed")}
    command(client, project_id, f"expenses/{ids['corrected']}/corrections",
            {"amount_net": "4000.00", "reason": "credit note"}, role="accountant")
    command(client, project_id, f"expenses/{ids['reversed']}/reversal",
            {"reason": "booked twice"}, role="accountant")
    command(client, project_id, "payment-claims", claim_body("1", [ids["claimed"]]))
    command(client, project_id, "payment-claims/1/approval",
            {"approved_on": "2017-06-01", "exclusions": []}, role="auditor")
    ids["late"] = record_expense(client, project_id, "MARKETING_PROMOTION", "3000.00",
                                 tax_point_date="2018-05-15")
    command(client, project_id, f"expenses/{ids['late']}/corrections",
            {"budget_line": "TRAVEL", "reason": "booked on the wrong line"}, role="accountant")
    command(client, project_id, "realisation-end",
            {"new_end": "2018-06-30", "reference": "MPO change 2018/7"})
    ids["withdrawn"] = record_expense(client, project_id, "TRAVEL", "2000.00")
    command(client, project_id, "payment-claims", claim_body("2", [ids["withdrawn"]], stage="2"))
    command(client, project_id, f"expenses/{ids['withdrawn']}/reversal",
            {"reason": "invoice cancelled by the supplier"}, role="accountant")
    return project_id, ids


def run_verifier(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """verify.py run by a fresh virtual environment with nothing installed in it, in isolated
    mode (no user site, no PYTHON* variables, not even the script's folder on the path)."""
    venv = folder.parent / "fresh-venv"
    if not venv.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    return subprocess.run([str(python), "-I", str(folder / "verify.py"), *arguments],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_bundle_holds_five_entries_in_a_fixed_order_dated_at_the_last_event(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    last = events(client, nek)[-1]["recorded_at"]

    bundle = bundle_of(export(client, nek))

    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}".format(*bundle.infolist()[0].date_time[:5])
    assert bundle.namelist() == ENTRIES
    assert {info.date_time for info in bundle.infolist()} == {bundle.infolist()[0].date_time}
    assert last.startswith(stamp)


def test_two_exports_of_the_same_ledger_are_byte_identical(client: FlaskClient) -> None:
    project_id, _ = a_ledger_with_every_kind_of_change(client)

    first, second = export(client, project_id), export(client, project_id)

    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"] == (
        f'"{hashlib.sha256(first.data).hexdigest()}"')


def test_the_bundle_is_named_after_the_project_and_its_head(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    response = export(client, nek)

    assert (response.mimetype, response.headers["Content-Disposition"]) == (
        "application/zip", f'attachment; filename="grantledger-audit-{nek}-v2.zip"')


def test_each_line_of_events_jsonl_is_the_exact_bytes_of_its_events_hash(
        client: FlaskClient) -> None:
    project_id, _ = a_ledger_with_every_kind_of_change(client)
    shown = events(client, project_id)

    lines = bundle_of(export(client, project_id)).read("events.jsonl").splitlines()

    assert [hashlib.sha256(line).hexdigest() for line in lines] == [e["hash"] for e in shown]
    assert [json.loads(line)["data"] for line in lines] == [e["data"] for e in shown]


def test_head_json_is_the_chain_head_as_stored(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    last = events(client, nek)[-1]

    head = json.loads(bundle_of(export(client, nek)).read("head.json"))

    assert head == {"project_id": nek, "events": 2, "version": 2, "hash": last["hash"]}


def test_expenses_csv_has_each_expense_as_it_stands_with_the_versions_that_changed_it(
        client: FlaskClient) -> None:
    project_id, ids = a_ledger_with_every_kind_of_change(client)

    text = bundle_of(export(client, project_id)).read("expenses.csv").decode("utf-8")

    rows = {row["expense_id"]: row for row in csv.DictReader(io.StringIO(text))}
    picked = [(rows[ids[name]]["status"], rows[ids[name]]["eligible_amount"],
               rows[ids[name]]["recorded_version"], rows[ids[name]]["changed_versions"],
               rows[ids[name]]["claim_number"], rows[ids[name]]["claim_approved"],
               rows[ids[name]]["reversal_reason"])
              for name in ("corrected", "reversed", "claimed")]
    assert len(rows) == 12
    assert picked == [("active", "4000.00", "10", "13", "", "false", ""),
                      ("reversed", "5000.00", "11", "14", "", "false", "booked twice"),
                      ("active", "5000.00", "12", "15 16", "1", "true", "")]


def test_an_expense_outside_the_window_is_marked_not_time_eligible_in_the_csv(
        client: FlaskClient) -> None:
    project_id = record_nek_worked_example(client)

    text = bundle_of(export(client, project_id)).read("expenses.csv").decode("utf-8")

    eligible = [(r["tax_point_date"], r["time_eligible"])
                for r in csv.DictReader(io.StringIO(text))]
    assert eligible[-1] == ("2016-03-15", "false")
    assert {flag for _, flag in eligible[:-1]} == {"true"}


def test_views_json_holds_the_views_as_the_api_shows_them_on_the_day_of_the_head(
        client: FlaskClient) -> None:
    project_id, _ = a_ledger_with_every_kind_of_change(client)
    moment = datetime.fromisoformat(events(client, project_id)[-1]["recorded_at"])
    day = moment.astimezone(ZoneInfo("Europe/Prague")).date().isoformat()
    shown = {name: get(client, project_path(project_id, f"views/{name}?on={day}")).json
             for name in ("budget", "subsidy", "schedule", "indicators")}
    shown["access"] = get(client, project_path(project_id, "access"), "auditor").json

    views = json.loads(bundle_of(export(client, project_id)).read("views.json"))

    assert views == shown


INDICATORS = [
    {"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
     "baseline": "0", "target": "5", "kind": "to_achieve"},
    {"code": "ENERGY", "name": "Energy used", "unit": "MWh", "baseline": "120.50",
     "target": "80.25", "kind": "to_select"},
]


def a_ledger_with_reports(client: FlaskClient) -> str:
    """NEK with two indicators (one falling): ZOR-1 submitted, returned and submitted again,
    ZZOR submitted and returned."""
    project_id = register_nek(client, indicators=INDICATORS)
    for code, day, partners, energy in (("ZOR-1", "2017-05-02", "2", "110.00"),
                                        ("ZOR-1", "2017-05-20", "3", "100.00"),
                                        ("ZZOR", "2018-04-20", "6", "70.00")):
        command(client, project_id, f"reports/{code}/submission",
                report_body(day, ("PARTNERS", partners), ("ENERGY", energy)))
        if day != "2017-05-20":
            command(client, project_id, f"reports/{code}/return",
                    {"decided_on": day, "reason": "incomplete"}, role="auditor")
    return project_id


def test_the_verifier_recomputes_the_indicators_from_the_report_events(
        client: FlaskClient, tmp_path: Path) -> None:
    project_id = a_ledger_with_reports(client)
    bundle_of(export(client, project_id, "?on=2018-05-01")).extractall(tmp_path / "bundle")

    report = verify(tmp_path / "bundle", None)

    assert (report["ok"], report["failures"], report["indicators"]) == (True, [], [
        {"code": "PARTNERS", "value": "3", "reported_in": "ZOR-1", "achievement": "0.6000",
         "status": "shortfall"},
        {"code": "ENERGY", "value": "100.00", "reported_in": "ZOR-1", "achievement": "0.5093",
         "status": "in_progress"}])


def test_an_indicators_view_that_does_not_reconcile_with_the_events_fails(
        client: FlaskClient, tmp_path: Path) -> None:
    project_id = a_ledger_with_reports(client)
    folder = tmp_path / "bundle"
    bundle_of(export(client, project_id, "?on=2018-05-01")).extractall(folder)
    views = json.loads((folder / "views.json").read_text())
    views["indicators"]["indicators"][0]["value"] = "6"
    (folder / "views.json").write_text(json.dumps(views))

    report = verify(folder, None)

    assert (report["ok"], report["failures"]) == (False, [
        "indicator PARTNERS value: recomputed 3, the view says 6"])


def test_on_sets_the_reference_date_of_the_views_in_the_bundle(
        client: FlaskClient, nek: str) -> None:
    views = json.loads(bundle_of(export(client, nek, "?on=2017-10-01")).read("views.json"))

    assert (views["schedule"]["on"], views["schedule"]["activities"][1]["status"]) == (
        "2017-10-01", "overdue")


def test_the_bundles_verifier_reproduces_the_budget_view_in_a_fresh_virtualenv(
        client: FlaskClient, tmp_path: Path) -> None:
    project_id, _ = a_ledger_with_every_kind_of_change(client)
    budget = get(client, project_path(project_id, "views/budget")).json
    folder = tmp_path / "bundle"
    bundle_of(export(client, project_id)).extractall(folder)

    result = run_verifier(folder, "--json")

    report = json.loads(result.stdout)
    assert (result.returncode, report["ok"], report["failures"]) == (0, True, [])
    assert report["budget"]["totals"] == {name: budget["totals"][name] for name in FIGURES}
    assert report["budget"]["lines"] == [
        {"code": line["code"], "name": line["name"], **{n: line[n] for n in FIGURES}}
        for line in budget["lines"]]


def test_the_verifier_reads_the_zip_itself_and_prints_the_totals(
        client: FlaskClient, tmp_path: Path) -> None:
    project_id = record_nek_worked_example(client)
    (tmp_path / "bundle").mkdir()
    zip_path = tmp_path / "bundle" / "audit.zip"
    zip_path.write_bytes(export(client, project_id).data)
    bundle_of(export(client, project_id)).extract("verify.py", tmp_path / "bundle")

    result = run_verifier(tmp_path / "bundle", str(zip_path))

    assert result.returncode == 0, result.stdout
    assert "TOTAL                        7776200.00       7776200.00         30000.00" \
           "       7746200.00         50000.00       7696200.00" in result.stdout


@pytest.mark.parametrize(("digest_of", "code", "on_chain"), [("earlier head", 0, True),
                                                            ("wrong hash", 1, False)])
def test_the_verifier_checks_a_digest_saved_earlier(
        client: FlaskClient, nek: str, tmp_path: Path, digest_of: str, code: int,
        on_chain: bool) -> None:
    saved = get(client, project_path(nek, "verification"), "auditor").json["head"]
    record_expense(client, nek, "TRAVEL", "1000.00")
    digest = saved["hash"] if digest_of == "earlier head" else "ab" * 32
    bundle_of(export(client, nek)).extractall(tmp_path / "bundle")

    result = run_verifier(tmp_path / "bundle", "--json", "--digest", f"1:{digest}")

    assert (result.returncode, json.loads(result.stdout)["digest"]["on_chain"]) == (
        code, on_chain)


def test_only_auditors_and_admins_export(client: FlaskClient, nek: str) -> None:
    statuses = [export(client, nek, role=role).status_code
                for role in ("viewer", "accountant", "manager", "auditor", "admin")]

    assert statuses == [403, 403, 403, 200, 200]


def test_exporting_an_unknown_project_is_404(client: FlaskClient) -> None:
    assert export(client, "5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01").status_code == 404


def _granted_and_revoked(client: FlaskClient, project_id: str) -> None:
    for subject, role in (("jana", "accountant"), ("olga", "auditor")):
        post(client, project_path(project_id, "access"), {"subject": subject, "role": role,
                                                          "name": subject.title()}, "admin")
    post(client, project_path(project_id, "access/revocation"),
         {"subject": "olga", "reason": "moved to another project"}, "admin")


def test_the_verifier_recomputes_who_may_act_from_the_grant_events(
        client: FlaskClient, nek: str, tmp_path: Path) -> None:
    _granted_and_revoked(client, nek)
    bundle_of(export(client, nek)).extractall(tmp_path / "bundle")

    report = verify(tmp_path / "bundle", None)

    assert (report["ok"], report["failures"]) == (True, [])
    assert [(g["subject"], g["name"], g["role"], g["granted_by"]) for g in report["access"]] == [
        ("jana", "Jana", "accountant", {"name": "admin", "subject": "admin"})]


def test_an_access_view_that_does_not_reconcile_with_the_grant_events_fails(
        client: FlaskClient, nek: str, tmp_path: Path) -> None:
    _granted_and_revoked(client, nek)
    folder = tmp_path / "bundle"
    bundle_of(export(client, nek)).extractall(folder)
    views = json.loads((folder / "views.json").read_text())
    views["access"]["grants"][0]["role"] = "manager"
    (folder / "views.json").write_text(json.dumps(views))

    report = verify(folder, None)

    assert (report["ok"], len(report["failures"]), report["failures"][0][:28]) == (
        False, 1, "access: recomputed [{'subjec")
