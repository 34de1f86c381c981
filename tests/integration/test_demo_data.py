"""`grantledger demo`: the two reference projects, with figures a controller can check."""

from __future__ import annotations

from typing import Any

from flask import Flask
from support import auth

from service.demo import NANOPROGRESS_NUMBER, NEK_NUMBER, load_demo


def test_the_demo_loads_nek_with_its_illustrative_figures(app: Flask) -> None:
    application = app.extensions["grantledger"]
    said: list[str] = []

    nek, nanoprogress = load_demo(application, say=said.append)

    client = app.test_client()
    budget = client.get(f"/api/v1/projects/{nek}/views/budget", headers=auth("viewer")).json
    subsidy = client.get(f"/api/v1/projects/{nek}/views/subsidy", headers=auth("viewer")).json
    schedule = client.get(f"/api/v1/projects/{nek}/views/schedule",
                          headers=auth("viewer")).json
    totals = budget["totals"]
    bronze = schedule["milestones"][0]
    assert (totals["planned"], totals["recorded"], totals["ineligible"], totals["eligible"]) == (
        "7776200.00", "5220000.00", "30000.00", "5190000.00")
    assert (subsidy["entitlement"], subsidy["approved"], subsidy["paid"]) == (
        "2595000.00", "1110000.00", "1110000.00")
    assert [c["claim_number"] for c in subsidy["claims"]] == ["1", "2"]
    assert (bronze["code"], bronze["status"], bronze["days_late"]) == (
        "ECEI_BRONZE", "achieved_late", 138)
    assert [f["rule"] for f in budget["flags"]] == ["EXPENSE_OUTSIDE_PERIOD"]
    assert application.id_for(NANOPROGRESS_NUMBER) == nanoprogress
    assert any("illustrative" in line for line in said)


def test_loading_the_demo_twice_leaves_the_store_as_it_was(app: Flask) -> None:
    application = app.extensions["grantledger"]
    load_demo(application, say=lambda _: None)
    position = application.recorder.max_notification_id()
    said: list[str] = []

    load_demo(application, say=said.append)

    assert application.recorder.max_notification_id() == position
    assert said[0] == f"{NEK_NUMBER}: already in the store ({application.id_for(NEK_NUMBER)})"


def test_the_demo_shows_a_returned_report_an_overdue_one_and_the_calendar(app: Flask) -> None:
    application = app.extensions["grantledger"]
    said: list[str] = []
    nek, nanoprogress = load_demo(application, say=said.append)
    client = app.test_client()

    def read(path: str) -> dict[str, Any]:
        response = client.get(f"/api/v1/projects/{path}", headers=auth("viewer"))
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.json
        return body

    zor_1 = read(f"{nek}/reports/ZOR-1?on=2024-01-01")
    schedule = read(f"{nek}/views/schedule?on=2024-01-01")
    indicators = read(f"{nek}/views/indicators?on=2024-01-01")
    calendar = read(f"{nek}/calendar?on=2024-01-01")
    nano = read(f"{nanoprogress}/views/schedule?on=2024-01-01")

    assert ([(s["submitted_on"], s["decision"]["decision"]) for s in zor_1["submissions"]],
            zor_1["status"]) == ([("2017-05-02", "returned"), ("2017-05-24", "approved")],
                                 "approved")
    assert [(r["code"], r["status"], r["days_late"]) for r in schedule["reports"]] == [
        ("ZOR-1", "approved", 0), ("ZZOR", "approved", 0), ("ZOU-1", "approved", 0),
        ("ZOU-2", "approved", 0), ("ZOU-3", "approved", 0), ("ZOU-4", "approved", 0),
        ("ZZOU", "overdue", 246)]
    assert [f["rule"] for f in schedule["flags"]
            if f["rule"] in ("REPORT_OVERDUE", "CLAIM_WITHOUT_REPORT")] == ["REPORT_OVERDUE"]
    assert [(i["code"], i["value"], i["achievement"], i["status"])
            for i in indicators["indicators"]] == [
        ("PARTNERS", "7", "1.4000", "achieved"), ("PROPOSALS", "3", "1.0000", "achieved")]
    assert [(e["kind"], e["status"]) for e in calendar["entries"]
            if e["kind"] == "report_due"][-1] == ("report_due", "overdue")
    assert {r["status"] for r in nano["reports"]} == {"approved"}
    assert any("indicator targets" in line and "illustrative" in line for line in said)
