"""A programme of five projects for the portfolio's tests, on either backend (API.md 1.2, "A
programme's worth of projects"): two beneficiaries, an expense outside the period on two of
them, one project whose only report is due in 2099 (so it has none overdue)."""

from __future__ import annotations

from typing import Any

from api_builders import PROJECTS, expense_body, get, post, register_nek
from flask import Flask
from flask.testing import FlaskClient

from service.reads.projector import Projector

ICO_A, ICO_B = "11111111", "22222222"
# P1..P5: (beneficiary's IČO, an expense before the realisation start, reports on time).
PROJECTS_OF_THE_PROGRAMME = {
    "P1": (ICO_A, False, False),
    "P2": (ICO_B, True, False),
    "P3": (ICO_A, False, True),
    "P4": (ICO_B, True, False),
    "P5": (ICO_A, False, False),
}
# Every project: NEK's six lines, 7,776,200.00 CZK; one TRAVEL expense of 100,000.00 (eligible
# on all but P2 and P4, where it is dated before the realisation start: 0 eligible).
PLANNED = "7776200.00"
LATE_REPORT = [{"code": "ZZOR", "kind": "final_implementation", "period_start": "2016-04-01",
                "period_end": "2018-03-31", "due": "2099-12-31"}]


def number(acronym: str) -> str:
    return f"CZ.01.1.02/0.0/0.0/15_009/000{acronym[1:]}000"


def register_programme(client: FlaskClient) -> dict[str, str]:
    """Registers P1..P5 in that order, each with one TRAVEL expense; their ids by acronym."""
    ids = {}
    for acronym, (ico, outside, on_time) in PROJECTS_OF_THE_PROGRAMME.items():
        extra: dict[str, Any] = {"reports": LATE_REPORT} if on_time else {}
        ids[acronym] = register_nek(
            client, registration_number=number(acronym), acronym=acronym,
            beneficiary={"name": f"Beneficiary {ico}", "ico": ico, "vat_payer": True}, **extra)
        date = "2016-03-15" if outside else "2016-06-15"
        response = post(client, f"{PROJECTS}/{ids[acronym]}/expenses",
                        expense_body("TRAVEL", "100000.00", tax_point_date=date), "accountant")
        assert response.status_code == 201, response.get_json()
    return ids


def project(app: Flask) -> None:
    """The projector catches up with the log: the portfolio's index is filled."""
    Projector(app.extensions["grantledger"]).catch_up()


def portfolio(client: FlaskClient, query: str = "", role: str = "viewer",
              **headers: str) -> Any:
    return get(client, f"/api/v1/portfolio{'?' if query else ''}{query}", role, **headers)


def acronyms(body: dict[str, Any]) -> list[str]:
    return [row["acronym"] for row in body["projects"]]


def all_pages(client: FlaskClient, query: str, role: str = "viewer") -> list[dict[str, Any]]:
    """Every page of the portfolio, following next_cursor."""
    pages = [portfolio(client, query, role).get_json()]
    while pages[-1]["next_cursor"] is not None:
        pages.append(portfolio(client, f"{query}&cursor={pages[-1]['next_cursor']}",
                               role).get_json())
    return pages


def totals(projects: int, eligible: str, entitlement: str, open_flags: int) -> dict[str, object]:
    """The portfolio's `totals` over `projects` of the programme (each budgeted PLANNED)."""
    return {"projects": projects, "budget": f"{int(PLANNED[:-3]) * projects}.00",
            "eligible": eligible, "entitlement": entitlement, "open_flags": open_flags}
