"""The role matrix of API.md: viewer reads only; accountant adds expenses; manager adds set-up,
activities, milestones, budget changes and claims; auditor adds the history, approvals, payouts
and financial corrections; admin may do everything."""

from __future__ import annotations

import pytest
from api_builders import (
    API,
    COMMAND_ENDPOINTS,
    READ_ENDPOINTS,
    ROLES,
    bearer,
    claim_body,
    claims_world,
    command,
    event_count,
    filled,
    problem,
)
from flask.testing import FlaskClient

ALLOWED_COMMANDS = [(name, role) for name, (_, roles, _, _) in COMMAND_ENDPOINTS.items()
                    for role in ROLES if role in roles]


@pytest.fixture
def world(client: FlaskClient) -> dict[str, str]:
    """A history on which each command can succeed (see `claims_world`)."""
    return claims_world(client)


@pytest.fixture
def small_world(client: FlaskClient, nek: str, travel_expense: str) -> dict[str, str]:
    """NEK with one paid expense in submitted claim 1: enough for every read, and for a
    refusal by role (which comes before anything is looked up)."""
    command(client, nek, "payment-claims", claim_body("1", [travel_expense]))
    return {"project": nek, "claimed": travel_expense, "free": travel_expense,
            "unpaid": travel_expense}


@pytest.mark.parametrize("endpoint", list(READ_ENDPOINTS))
def test_each_role_may_read_what_its_capability_allows_and_gets_403_otherwise(
        client: FlaskClient, small_world: dict[str, str], endpoint: str) -> None:
    path, roles = READ_ENDPOINTS[endpoint]

    answers = {role: client.get(API + filled(path, small_world), headers=bearer(role))
               for role in ROLES}

    assert {role: r.status_code for role, r in answers.items()} == {
        role: 200 if role in roles else 403 for role in ROLES}
    assert all(problem(r)["title"] == "Forbidden" for r in answers.values()
               if r.status_code == 403)


@pytest.mark.parametrize("endpoint", list(COMMAND_ENDPOINTS))
def test_each_role_without_the_capability_of_a_command_gets_403_and_records_nothing(
        client: FlaskClient, small_world: dict[str, str], endpoint: str) -> None:
    path, roles, _, body = COMMAND_ENDPOINTS[endpoint]
    refused = [role for role in ROLES if role not in roles]

    answers = {role: client.post(API + filled(path, small_world),
                                 json=filled(body, small_world), headers=bearer(role))
               for role in refused}

    assert ({role: (r.status_code, problem(r)["title"]) for role, r in answers.items()},
            event_count(client, small_world["project"])) == (
        dict.fromkeys(refused, (403, "Forbidden")), 3)


@pytest.mark.parametrize(("endpoint", "role"), ALLOWED_COMMANDS)
def test_a_command_within_the_roles_capability_succeeds(
        client: FlaskClient, world: dict[str, str], endpoint: str, role: str) -> None:
    path, _, status, body = COMMAND_ENDPOINTS[endpoint]

    response = client.post(API + filled(path, world), json=filled(body, world),
                           headers=bearer(role))

    assert response.status_code == status, response.get_data(as_text=True)


def test_the_403_names_the_role_and_the_roles_that_may(
        client: FlaskClient, small_world: dict[str, str]) -> None:
    path, _, _, body = COMMAND_ENDPOINTS["record_expense"]

    response = client.post(API + filled(path, small_world), json=filled(body, small_world),
                           headers=bearer("viewer"))

    assert problem(response)["detail"] == (
        "your roles on this project (viewer) may not do this; it needs one of accountant, "
        "admin")
