"""Builders for the HTTP API tests: JSON bodies shaped like API.md's examples, and the NEK
project of DOMAIN.md (with its illustrative budget lines) driven through the real endpoints.

Every function that talks to the service takes a Flask test client, so the same builders serve
the SQLite tests here and the PostgreSQL integration tests. Builders assert the status of their
own set-up requests, so a broken set-up fails where it happens, not in the test's assertion.
"""

from __future__ import annotations

import itertools
from typing import Any

from flask.testing import FlaskClient
from support import token_of
from werkzeug.test import TestResponse

from schemas import ProblemSchema

API = "/api/v1"
PROJECTS = f"{API}/projects"
NEK_NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0002300"
ROLES = ("viewer", "accountant", "manager", "auditor", "admin")

# DOMAIN.md: the real split of NEK's budget is not published; these lines are illustrative.
NEK_LINES = [
    ("PERSONNEL", "Personnel costs", "2400000.00"),
    ("EXTERNAL_SERVICES", "Services of advisers, experts, studies", "2276200.00"),
    ("TRAVEL", "Travel", "900000.00"),
    ("MARKETING_PROMOTION", "Marketing and promotion", "800000.00"),
    ("SEMINARS_CONFERENCES", "Seminars and conferences", "1200000.00"),
    ("RENT", "Rent", "200000.00"),
]
# DOMAIN.md's worked example: one active expense per line, and one invoice before the start.
WORKED_EXAMPLE_EXPENSES = [
    ("PERSONNEL", "2380000.00", "2016-09-30"),
    ("EXTERNAL_SERVICES", "2276200.00", "2016-10-15"),
    ("TRAVEL", "950000.00", "2017-03-10"),
    ("MARKETING_PROMOTION", "790000.00", "2017-05-20"),
    ("SEMINARS_CONFERENCES", "1200000.00", "2017-06-12"),
    ("RENT", "150000.00", "2017-12-31"),
    ("EXTERNAL_SERVICES", "30000.00", "2016-03-15"),  # before the realisation start
]

_documents = itertools.count(1)


# The members a problem document may carry: those the OpenAPI document declares.
PROBLEM_MEMBERS = frozenset(ProblemSchema().fields)

def bearer(role: str, **headers: str) -> dict[str, str]:
    """The Authorization header of the test token of a role (see tests/conftest.py), plus any
    other headers given as keywords (`Idempotency-Key` as `Idempotency_Key`)."""
    return {"Authorization": f"Bearer {token_of(role)}",
            **{name.replace("_", "-"): value for name, value in headers.items()}}


def project_path(project_id: str, *parts: str) -> str:
    return "/".join([f"{PROJECTS}/{project_id}", *parts])


# ---- bodies -----------------------------------------------------------------------------


def nek_registration(**overrides: Any) -> dict[str, Any]:
    """The body of `POST /api/v1/projects` for NEK – OPEIC, as in API.md, with DOMAIN.md's
    six illustrative lines (7,776,200.00 CZK in all)."""
    body: dict[str, Any] = {
        "registration_number": NEK_NUMBER,
        "acronym": "OPEIC",
        "title": "Development and strengthening of international cooperation of NEK in the "
                 "field of intelligent technologies and energy systems",
        "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                        "vat_payer": True},
        "programme": "OP PIK",
        "call": "Spolupráce – Klastry, výzva I",
        "provider": "MPO",
        "realisation_start": "2016-04-01",
        "realisation_end": "2018-03-31",
        "eligible_from": "2016-04-01",
        "currency": "CZK",
        "support_rate": "0.50",
        "max_subsidy": "3888100.00",
        "line_transfer_tolerance": "0.00",
        "claim_deadline_days": 60,
        "budget_lines": [{"code": c, "name": n, "amount": a} for c, n, a in NEK_LINES],
        "activities": [
            {"code": "3", "title": "Promoting NEK abroad",
             "planned_start": "2016-04-01", "planned_end": "2018-03-31"},
            {"code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
             "planned_start": "2017-01-01", "planned_end": "2017-09-30"},
        ],
        "milestones": [
            {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained", "due": "2017-09-30",
             "activity": "3.4"},
        ],
        "stages": [
            {"code": "1", "start": "2016-04-01", "end": "2017-03-31"},
            {"code": "2", "start": "2017-04-01", "end": "2018-03-31"},
        ],
    }
    body.update(overrides)
    return body


def expense_body(budget_line: str = "TRAVEL", amount_net: str = "100000.00", *,
                 tax_point_date: str = "2016-06-15", document_number: str | None = None,
                 **overrides: Any) -> dict[str, Any]:
    """The body of `POST …/expenses` as in API.md: an invoice of a German supplier (no IČO),
    paid, with a fresh document number unless one is given."""
    body: dict[str, Any] = {
        "document_number": document_number or f"FV-2016-{next(_documents):04d}",
        "document_type": "invoice",
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
        "description": "Joint workshop, Stuttgart",
        "budget_line": budget_line,
        "activity": "3.4",
        "tax_point_date": tax_point_date,
        "amount_net": amount_net,
        "vat": "0.00",
        "paid_on": "2016-06-30",
        "attachments": [{"kind": "invoice", "file_name": "invoice.pdf", "sha256": "ab" * 32}],
    }
    body.update(overrides)
    return body


def claim_body(claim_number: str, expense_ids: list[str], *, stage: str = "1",
               final: bool = False, submitted_on: str = "2017-04-20") -> dict[str, Any]:
    return {"claim_number": claim_number, "stage": stage, "submitted_on": submitted_on,
            "final": final, "expense_ids": expense_ids}


def report_body(submitted_on: str, *values: tuple[str, str],
                narrative: str | None = None) -> dict[str, Any]:
    """The body of `POST …/reports/{code}/submission`: (indicator, value) pairs, each with a
    comment."""
    return {"submitted_on": submitted_on, "narrative": narrative,
            "indicator_values": [{"code": code, "value": value, "comment": f"{code}: as counted"}
                                 for code, value in values]}


def budget_change_body(from_line: str, to_line: str, amount: str, *, kind: str = "approved",
                       change_id: str = "BC-1") -> dict[str, Any]:
    return {"change_id": change_id, "kind": kind,
            "transfers": [{"from_line": from_line, "to_line": to_line, "amount": amount}],
            "reference": "MPO approval 2018/0042", "reason": "travel costs exceeded the plan"}


# ---- requests ---------------------------------------------------------------------------


def post(client: FlaskClient, path: str, body: Any, role: str, **headers: str) -> TestResponse:
    """A command: POST a JSON body with a role's token."""
    return client.post(path, json=body, headers=bearer(role, **headers))


def get(client: FlaskClient, path: str, role: str = "viewer", **headers: str) -> TestResponse:
    return client.get(path, headers=bearer(role, **headers))


def _expect(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def register_nek(client: FlaskClient, **overrides: Any) -> str:
    """Registers NEK (or a variant of it) and returns the project's id."""
    body = _expect(post(client, PROJECTS, nek_registration(**overrides), "manager"), 201)
    return str(body["id"])


def record_expense(client: FlaskClient, project_id: str, budget_line: str = "TRAVEL",
                   amount_net: str = "100000.00", **fields: Any) -> str:
    """Records an expense (see `expense_body`) and returns its id."""
    body = _expect(post(client, project_path(project_id, "expenses"),
                        expense_body(budget_line, amount_net, **fields), "accountant"), 201)
    return str(body["expense_id"])


def command(client: FlaskClient, project_id: str, path: str, body: dict[str, Any],
            role: str = "manager") -> int:
    """Runs a command under the project that must succeed; returns its position."""
    position: int = _expect(post(client, project_path(project_id, path), body, role),
                            200)["position"]
    return position


def event_count(client: FlaskClient, project_id: str) -> int:
    """How many events the project has recorded (read by an auditor, page by page)."""
    count, cursor = 0, ""
    while True:
        page = _expect(get(client, project_path(project_id, f"events?limit=1000{cursor}"),
                           "auditor"), 200)
        count += len(page["events"])
        if page["next_cursor"] is None:
            return count
        cursor = f"&cursor={page['next_cursor']}"


def record_nek_worked_example(client: FlaskClient) -> str:
    """DOMAIN.md's worked example: NEK registered with its illustrative lines and the seven
    expenses (PERSONNEL 2,380,000; EXTERNAL_SERVICES 2,276,200; TRAVEL 950,000;
    MARKETING_PROMOTION 790,000; SEMINARS_CONFERENCES 1,200,000; RENT 150,000; and an
    EXTERNAL_SERVICES invoice of 30,000 dated 2016-03-15, before the start). Returns the id."""
    project_id = register_nek(client)
    for line, amount, tax_point_date in WORKED_EXAMPLE_EXPENSES:
        record_expense(client, project_id, line, amount, tax_point_date=tax_point_date,
                       paid_on=tax_point_date, activity=None)
    return project_id


def approve_rent_to_travel_transfer(client: FlaskClient, project_id: str) -> int:
    """The worked example's approved budget change: 50,000 from RENT to TRAVEL."""
    return command(client, project_id, "budget-changes",
                   budget_change_body("RENT", "TRAVEL", "50000.00"))


def achieve_ecei_bronze(client: FlaskClient, project_id: str,
                        achieved_on: str = "2018-02-15") -> int:
    """The worked example's milestone: the ECEI Bronze Label, achieved after its due date."""
    return command(client, project_id, "milestones/ECEI_BRONZE/achievement",
                   {"achieved_on": achieved_on, "evidence": "ESCA certificate"})


# ---- every command, for the role matrix and the fuzzing -----------------------------------

EXPENSES = frozenset({"accountant", "admin"})
MANAGE = frozenset({"manager", "admin"})
AUDIT = frozenset({"auditor", "admin"})
READ = frozenset(ROLES)

OTHER_NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0009999"


def claims_world(client: FlaskClient) -> dict[str, str]:
    """NEK with a history on which every command of the API can succeed once: paid expenses
    in an approved and partly paid claim 1 (`claimed`), in a submitted claim 2, and in no claim
    (`free`); an unpaid expense (`unpaid`); activity 3 started; report ZOR-1 submitted.
    Returns the ids by name."""
    project = register_nek(client)
    claimed = record_expense(client, project, "TRAVEL", "100000.00")
    in_claim_2 = record_expense(client, project, "TRAVEL", "200000.00")
    free = record_expense(client, project, "PERSONNEL", "300000.00")
    unpaid = record_expense(client, project, "RENT", "10000.00", paid_on=None)
    command(client, project, "payment-claims", claim_body("1", [claimed]))
    command(client, project, "payment-claims/1/approval",
            {"approved_on": "2017-06-01", "exclusions": []}, "auditor")
    command(client, project, "payment-claims/1/payout",
            {"amount": "10000.00", "paid_on": "2017-06-30"}, "auditor")
    command(client, project, "payment-claims", claim_body("2", [in_claim_2]))
    command(client, project, "activities/3/start", {"started_on": "2016-04-01"})
    command(client, project, "reports/ZOR-1/submission", report_body("2017-04-10"))
    return {"project": project, "claimed": claimed, "free": free, "unpaid": unpaid}


# name: (path under /api/v1 with {project} {unpaid} {free} {claimed}, roles, success status,
#        a body that succeeds on `claims_world`)
COMMAND_ENDPOINTS: dict[str, tuple[str, frozenset[str], int, dict[str, Any]]] = {
    "register_project": ("/projects", MANAGE, 201,
                         nek_registration(registration_number=OTHER_NUMBER, acronym="OTHER")),
    "record_expense": ("/projects/{project}/expenses", EXPENSES, 201,
                       expense_body(document_number="FV-2017-0100")),
    "pay_expense": ("/projects/{project}/expenses/{unpaid}/payment", EXPENSES, 200,
                    {"paid_on": "2016-07-01"}),
    "correct_expense": ("/projects/{project}/expenses/{unpaid}/corrections", EXPENSES, 200,
                        {"description": "Office rent, June 2016", "reason": "unclear text"}),
    "reverse_expense": ("/projects/{project}/expenses/{unpaid}/reversal", EXPENSES, 200,
                        {"reason": "booked twice"}),
    "start_activity": ("/projects/{project}/activities/3.4/start", MANAGE, 200,
                       {"started_on": "2017-01-02", "note": "kick-off with ESCA"}),
    "complete_activity": ("/projects/{project}/activities/3/completion", MANAGE, 200,
                          {"completed_on": "2018-03-31"}),
    "achieve_milestone": ("/projects/{project}/milestones/ECEI_BRONZE/achievement", MANAGE,
                          200, {"achieved_on": "2018-02-15", "evidence": "ESCA certificate",
                                "evidence_sha256": "cd" * 32}),
    "change_budget": ("/projects/{project}/budget-changes", MANAGE, 200,
                      budget_change_body("RENT", "TRAVEL", "50000.00")),
    "change_realisation_end": ("/projects/{project}/realisation-end", MANAGE, 200,
                               {"new_end": "2018-06-30", "reference": "change decision 7"}),
    "submit_claim": ("/projects/{project}/payment-claims", MANAGE, 200,
                     claim_body("3", ["{free}"])),
    "approve_claim": ("/projects/{project}/payment-claims/2/approval", AUDIT, 200,
                      {"approved_on": "2017-07-01", "exclusions": []}),
    "pay_subsidy": ("/projects/{project}/payment-claims/1/payout", AUDIT, 200,
                    {"amount": "40000.00", "paid_on": "2017-08-01"}),
    "impose_correction": ("/projects/{project}/financial-corrections", AUDIT, 200,
                          {"correction_id": "FC-1", "finding": "public procurement breach",
                           "expense_ids": ["{claimed}"], "amount": "5000.00",
                           "decided_on": "2018-01-15", "reason": "tender split in two"}),
    "submit_report": ("/projects/{project}/reports/ZZOR/submission", MANAGE, 200,
                      {"submitted_on": "2018-04-20", "indicator_values": [],
                       "narrative": "Every activity completed."}),
    "approve_report": ("/projects/{project}/reports/ZOR-1/approval", AUDIT, 200,
                       {"decided_on": "2017-05-02"}),
    "return_report": ("/projects/{project}/reports/ZOR-1/return", AUDIT, 200,
                      {"decided_on": "2017-05-02", "reason": "the narrative is missing"}),
}

# name: (path, roles); every one answers 200 on `claims_world`.
READ_ENDPOINTS: dict[str, tuple[str, frozenset[str]]] = {
    "list_projects": ("/projects", READ),
    "get_project": ("/projects/{project}", READ),
    "list_expenses": ("/projects/{project}/expenses", READ),
    "get_expense": ("/projects/{project}/expenses/{free}", READ),
    "list_claims": ("/projects/{project}/payment-claims", READ),
    "get_claim": ("/projects/{project}/payment-claims/1", READ),
    "budget_view": ("/projects/{project}/views/budget", READ),
    "subsidy_view": ("/projects/{project}/views/subsidy", READ),
    "schedule_view": ("/projects/{project}/views/schedule", READ),
    "indicators_view": ("/projects/{project}/views/indicators", READ),
    "list_reports": ("/projects/{project}/reports", READ),
    "get_report": ("/projects/{project}/reports/ZOR-1", READ),
    "portfolio": ("/portfolio", READ),
    "project_events": ("/projects/{project}/events", AUDIT),
    "global_events": ("/events", AUDIT),
}


def filled(template: Any, ids: dict[str, str]) -> Any:
    """A path or body with `{project}`, `{free}` … replaced by the ids of a world."""
    if isinstance(template, str):
        return template.format(**ids) if "{" in template else template
    if isinstance(template, list):
        return [filled(item, ids) for item in template]
    if isinstance(template, dict):
        return {key: filled(value, ids) for key, value in template.items()}
    return template


# ---- problems -----------------------------------------------------------------------------

PROBLEM_JSON = "application/problem+json"


def problem(response: TestResponse) -> dict[str, Any]:
    """The RFC 9457 problem document of an error response, its shape checked: sent as
    application/problem+json, with a string type, title and detail and the response's status."""
    assert response.mimetype == PROBLEM_JSON, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json(force=True)
    assert [type(body.get(member)).__name__ for member in ("type", "title", "status", "detail")
            ] == ["str", "str", "int", "str"], body
    assert body["status"] == response.status_code, body
    assert body.keys() <= PROBLEM_MEMBERS, f"undeclared in OpenAPI: {body.keys() - PROBLEM_MEMBERS}"
    return body
