"""Nothing disclosed across beneficiaries, swept over every operation of /openapi.json: a
principal granted a role on project A only gets, for every operation under project B, the
same 404 as for an id no project has; no list shows B; no write lands on B."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from api_builders import (
    API,
    COMMAND_ENDPOINTS,
    OTHER_NUMBER,
    claims_world,
    filled,
    get,
    post,
    problem,
    project_path,
    register_nek,
)
from flask.testing import FlaskClient
from support import auth

JANA = "jana"  # no global role (tests/support.py)
PARAMETER = re.compile(r"\{[^}]+\}")
# What a path parameter other than the project's stands for on project B (claims_world).
SEGMENT_VALUES = {"activities": "3", "milestones": "ECEI_BRONZE", "reports": "ZOR-1",
                  "payment-claims": "1", "expenses": "{claimed}"}


def shape(path: str) -> str:
    return PARAMETER.sub("{}", path)


BODIES = {shape(API + path): body for path, _, _, body in COMMAND_ENDPOINTS.values()}


def operations(client: FlaskClient) -> list[tuple[str, str]]:
    """Every (method, path template) of /openapi.json with a project in its path."""
    paths = client.get("/openapi.json").get_json()["paths"]
    return [(method, path) for path, item in paths.items() if "{project_id}" in path
            for method in item if method in ("get", "post")]


def concrete(template: str, project: str, world: dict[str, str]) -> str:
    """The template with B's (or a random) project id and B's own expense, claim, codes."""
    parts = template.split("/")
    for n, part in enumerate(parts):
        if part == "{project_id}":
            parts[n] = project
        elif PARAMETER.fullmatch(part):
            parts[n] = filled(SEGMENT_VALUES[parts[n - 1]], world)
    return "/".join(parts)


@pytest.fixture
def world(client: FlaskClient) -> dict[str, str]:
    """Project B: NEK with a full history; project A: another beneficiary's, on which JANA
    holds a grant."""
    b = claims_world(client)
    a = register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")
    return {**b, "a": a}


def store_contents(client: FlaskClient) -> list[Any]:
    """Every event of every project, read by an admin."""
    return get(client, f"{API}/events?limit=1000", "admin").get_json()["events"]


def grant(client: FlaskClient, project: str, role: str) -> None:
    response = post(client, project_path(project, "access"),
                    {"subject": JANA, "role": role}, "admin")
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "accountant", "manager", "auditor"])
def test_every_operation_under_another_project_is_answered_as_for_an_unknown_one(
        client: FlaskClient, world: dict[str, str], role: str) -> None:
    grant(client, world["a"], role)
    before = store_contents(client)
    random_id = str(uuid.uuid4())
    answers = {}
    for method, template in operations(client):
        path_b = concrete(template, world["project"], world)
        path_random = concrete(template, random_id, world)
        body = filled(BODIES.get(shape(template), {}), world)
        b = client.open(path_b, method=method.upper(), headers=auth(JANA),
                        json=body if method == "post" else None)
        unknown = client.open(path_random, method=method.upper(), headers=auth(JANA),
                              json=body if method == "post" else None)
        answers[f"{method} {template}"] = (
            b.status_code, _without(problem(b), world["project"]),
            unknown.status_code, _without(problem(unknown), random_id))

    assert {op: (s1, d1) for op, (s1, d1, _, _) in answers.items()} == {
        op: (s2, d2) for op, (_, _, s2, d2) in answers.items()}
    assert {s for s, _, _, _ in answers.values()} == {404}
    assert store_contents(client) == before


def _without(document: dict[str, Any], project: str) -> dict[str, Any]:
    """The problem document with the project's id (in `instance`, `detail`) and the request
    id taken out: what must be equal between B and an unknown id."""
    document.pop("request_id", None)
    return {key: value.replace(project, "<id>") if isinstance(value, str) else value
            for key, value in document.items()}


def test_no_list_shows_another_beneficiarys_project(
        client: FlaskClient, world: dict[str, str]) -> None:
    grant(client, world["a"], "auditor")

    projects = get(client, f"{API}/projects", JANA).get_json()["projects"]
    by_number = get(client, f"{API}/projects?registration_number="
                            "CZ.01.1.02/0.0/0.0/15_009/0002300", JANA).get_json()["projects"]
    portfolio = get(client, f"{API}/portfolio", JANA).get_json()["projects"]
    events = get(client, f"{API}/events?limit=1000", JANA).get_json()["events"]
    feed = get(client, f"{API}/calendar.ics", JANA).get_data(as_text=True)

    assert ([p["id"] for p in projects], by_number, [p["project_id"] for p in portfolio],
            {e["project_id"] for e in events}) == ([world["a"]], [], [world["a"]], {world["a"]})
    assert ("OTHER" in feed, "OPEIC" in feed) == (True, False)
