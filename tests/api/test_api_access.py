"""Roles per project: grants and revocations as events, enforced on every path under a
project, lists filtered, `/me` and the caller's feed key (API.md 1.2)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from api_builders import (
    API,
    OTHER_NUMBER,
    expense_body,
    get,
    post,
    problem,
    project_path,
    register_nek,
)
from flask.testing import FlaskClient

Frozen = Callable[[str], AbstractContextManager[None]]
JANA = "jana"  # a static token's holder with no global role (tests/support.py)


@pytest.fixture
def two_projects(client: FlaskClient) -> tuple[str, str]:
    """NEK (A) and another beneficiary's project (B)."""
    return register_nek(client), register_nek(client, registration_number=OTHER_NUMBER,
                                               acronym="OTHER")


def grant(client: FlaskClient, project: str, subject: str, role: str, by: str = "admin",
          **fields: Any) -> Any:
    return post(client, project_path(project, "access"),
                {"subject": subject, "role": role, **fields}, by)


def revoke(client: FlaskClient, project: str, subject: str, by: str = "admin",
           reason: str = "left the project") -> Any:
    return post(client, project_path(project, "access/revocation"),
                {"subject": subject, "reason": reason}, by)


def test_a_grant_is_an_event_of_the_project_and_shows_in_its_access_view(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2026-01-05 08:00:00"):
        nek = register_nek(client)
        response = grant(client, nek, JANA, "accountant", name="Jana Nováková")

    access = get(client, project_path(nek, "access"), "auditor").get_json()
    assert (response.status_code, response.get_json()) == (201, {"position": 2})
    assert access == {"project_id": nek, "position": 2, "as_of": None, "grants": [{
        "subject": "jana", "name": "Jana Nováková", "role": "accountant",
        "granted_by": {"name": "admin", "subject": "admin"},
        "granted_at": "2026-01-05T08:00:00Z"}]}


def test_a_granted_accountant_records_on_its_project_and_the_event_names_its_subject(
        client: FlaskClient, nek: str) -> None:
    grant(client, nek, JANA, "accountant")

    response = post(client, project_path(nek, "expenses"), expense_body(), JANA)

    events = get(client, project_path(nek, "events"), "auditor").get_json()["events"]
    assert response.status_code == 201
    assert events[-1]["recorded_by"] == {"name": "jana", "role": "accountant",
                                         "subject": "jana"}


def test_another_beneficiarys_project_is_answered_as_an_unknown_one(
        client: FlaskClient, two_projects: tuple[str, str]) -> None:
    mine, theirs = two_projects
    grant(client, mine, JANA, "accountant")
    unknown = "00000000-0000-4000-8000-000000000000"

    def refusal(project: str) -> dict[str, Any]:
        response = get(client, project_path(project, "views/budget"), JANA)
        body = problem(response)
        body.pop("request_id")
        return {"status": response.status_code, **body,
                "detail": body["detail"].replace(project, "<id>"),
                "instance": body["instance"].replace(project, "<id>")}

    assert refusal(theirs) == refusal(unknown)
    assert refusal(theirs)["status"] == 404


def test_a_role_too_low_on_the_project_is_403(client: FlaskClient, nek: str) -> None:
    grant(client, nek, JANA, "viewer")

    response = post(client, project_path(nek, "expenses"), expense_body(), JANA)

    assert (response.status_code, problem(response)["detail"]) == (
        403, "your roles on this project (viewer) may not do this; it needs one of "
             "accountant, admin")


def test_lists_show_only_the_projects_the_principal_may_read(
        client: FlaskClient, two_projects: tuple[str, str]) -> None:
    mine, _ = two_projects
    grant(client, mine, JANA, "viewer")

    projects = get(client, f"{API}/projects", JANA).get_json()["projects"]
    portfolio = get(client, f"{API}/portfolio", JANA).get_json()["projects"]
    everyone = get(client, f"{API}/portfolio", "viewer").get_json()["projects"]

    assert ([p["id"] for p in projects], [p["project_id"] for p in portfolio],
            len(everyone)) == ([mine], [mine], 2)


def test_a_principal_without_any_role_may_list_nothing(client: FlaskClient, nek: str) -> None:
    response = get(client, f"{API}/projects", JANA)

    assert response.status_code == 403


def test_the_global_event_log_holds_only_the_projects_the_principal_audits(
        client: FlaskClient, two_projects: tuple[str, str]) -> None:
    mine, _ = two_projects
    refused = get(client, f"{API}/events", JANA).status_code
    grant(client, mine, JANA, "auditor")

    events = get(client, f"{API}/events", JANA).get_json()["events"]

    assert refused == 403
    assert [(e["project_id"], e["type"]) for e in events] == [
        (mine, "ProjectRegistered"), (mine, "AccessGranted")]


def test_only_an_admin_grants_auditor(client: FlaskClient, nek: str) -> None:
    by_manager = grant(client, nek, JANA, "auditor", by="manager")
    by_admin = grant(client, nek, JANA, "auditor", by="admin")

    assert (by_manager.status_code, problem(by_manager)["rule"]) == (403, "ROLE_NOT_ALLOWED")
    assert by_admin.status_code == 201


def test_a_projects_own_manager_grants_its_people_but_not_their_controllers(
        client: FlaskClient, nek: str) -> None:
    grant(client, nek, "petr", "manager")

    accountant = grant(client, nek, JANA, "accountant", by="petr")
    auditor = grant(client, nek, "olga", "auditor", by="petr")

    assert (accountant.status_code, auditor.status_code) == (201, 403)


def test_admin_is_no_role_a_project_grants(client: FlaskClient, nek: str) -> None:
    response = grant(client, nek, JANA, "admin")

    assert (response.status_code, problem(response)["errors"]) == (422, {"role": [
        "Must be one of: viewer, accountant, manager, auditor (admin is a global role only)."]})


def test_a_revoked_grant_refuses_the_next_request(client: FlaskClient, nek: str) -> None:
    grant(client, nek, JANA, "accountant")
    before = get(client, project_path(nek, "views/budget"), JANA).status_code

    revoked = revoke(client, nek, JANA)

    after = get(client, project_path(nek, "views/budget"), JANA).status_code
    assert (before, revoked.status_code, after) == (200, 201, 404)


def test_a_revocation_needs_a_grant_and_a_reason(client: FlaskClient, nek: str) -> None:
    none_held = revoke(client, nek, JANA)
    grant(client, nek, JANA, "viewer")
    no_reason = revoke(client, nek, JANA, reason=" ")

    assert (none_held.status_code, problem(none_held)["rule"]) == (409, "NO_GRANT")
    assert (no_reason.status_code, problem(no_reason)["errors"]) == (
        422, {"reason": ["Must not be blank."]})


def test_the_access_view_as_of_a_past_moment_shows_who_could_act_then(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2026-01-05 08:00:00"):
        nek = register_nek(client)
        grant(client, nek, JANA, "accountant")
    with frozen("2026-03-01 08:00:00"):
        revoke(client, nek, JANA)

    then = get(client, project_path(nek, "access?as_of=2026-02-01T00:00:00Z"), "auditor")
    now = get(client, project_path(nek, "access"), "auditor")

    assert [(g["subject"], g["role"]) for g in then.get_json()["grants"]] == [
        ("jana", "accountant")]
    assert (then.get_json()["as_of"], now.get_json()["grants"]) == ("2026-02-01T00:00:00Z", [])


def test_the_chain_verifies_with_grant_events_in_it(client: FlaskClient, nek: str) -> None:
    grant(client, nek, JANA, "accountant")
    revoke(client, nek, JANA)

    verification = get(client, project_path(nek, "verification"), "auditor").get_json()

    assert (verification["valid"], verification["events"]) == (True, 3)


def test_me_names_the_caller_its_global_roles_and_its_grants(
        client: FlaskClient, two_projects: tuple[str, str]) -> None:
    mine, _ = two_projects
    grant(client, mine, JANA, "accountant")

    me = get(client, f"{API}/me", JANA).get_json()
    auditor = get(client, f"{API}/me", "auditor").get_json()

    assert me == {"subject": "jana", "name": "jana", "global_roles": [], "projects": [
        {"project_id": mine, "registration_number": "CZ.01.1.02/0.0/0.0/15_009/0002300",
         "role": "accountant"}]}
    assert auditor == {"subject": "auditor", "name": "auditor", "global_roles": ["auditor"],
                       "projects": []}


def test_me_without_a_token_is_401(client: FlaskClient) -> None:
    assert client.get(f"{API}/me").status_code == 401
