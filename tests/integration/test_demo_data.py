"""`grantledger demo`: the two reference projects, with figures a controller can check."""

from __future__ import annotations

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
