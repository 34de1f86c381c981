"""No 5xx: odd bodies posted to every command endpoint are each refused with a 4xx problem.

Each endpoint gets one fresh store and every odd body in turn (a store per body would cost a
second an endpoint for nothing: none of them may record anything). The bodies are sent as raw
JSON text, so that what Python's `json` would not write (1e999, NaN) is sent too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_builders import (
    API,
    COMMAND_ENDPOINTS,
    bearer,
    event_count,
    filled,
    nek_registration,
    problem,
    record_expense,
)
from flask.testing import FlaskClient

LONG = "x" * 100_000

# Odd whole bodies, as the JSON text sent.
ODD_BODIES: dict[str, str | bytes] = {
    "null": "null",
    "empty array": "[]",
    "empty string": '""',
    "empty body": "",
    "number": "0",
    "true": "true",
    "string 1e999": '"1e999"',
    "array of bodies": '[{"paid_on": "2016-07-01"}]',
    "nested garbage": '{"a": {"b": [{"c": [null, {}, [[]]]}]}, "": null}',
    "number 1e999": '{"amount": 1e999, "amount_net": 1e999, "paid_on": 1e999}',
    "NaN and Infinity": '{"amount": NaN, "amount_net": Infinity, "vat": -Infinity}',
    "string NaN": '{"amount": "NaN", "amount_net": "NaN", "reason": "NaN"}',
    "huge integer": '{"amount": ' + "9" * 5000 + "}",
    "nested 50,000 deep": "[" * 50_000 + "]" * 50_000,
    "lone surrogate": '{"reason": "\\ud800"}',
    "not UTF-8": b'{"reason": "\xff\xfe"}',
    "duplicate keys": '{"reason": "a", "reason": null}',
}

# Every value of the endpoint's valid body replaced by one odd value.
ODD_VALUES: dict[str, Any] = {
    "null": None,
    "empty array": [],
    "nested garbage": {"nested": [None, {"deeper": [[]]}]},
    "huge integer": 10 ** 400,
    "negative": -1,
    "boolean": True,
    "long string": LONG,
}


def _odd_bodies(valid: dict[str, Any]) -> dict[str, str | bytes]:
    bodies = dict(ODD_BODIES)
    for label, value in ODD_VALUES.items():
        bodies[f"every field {label}"] = json.dumps(dict.fromkeys(valid, value))
    bodies["valid with an extra huge field"] = json.dumps({**valid, "zzz": LONG})
    return bodies


def _not_a_4xx_problem(response: Any) -> str | None:
    """Why the response is not a well-formed 4xx problem, or None."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}"
    if response.mimetype != "application/problem+json":
        return f"{response.status_code} as {response.mimetype}"
    body = response.get_json(force=True)
    if not all(isinstance(body.get(m), str) for m in ("type", "title", "detail")) or (
            body.get("status") != response.status_code):
        return f"{response.status_code} with a malformed problem {body}"
    return None


@pytest.mark.parametrize("endpoint", list(COMMAND_ENDPOINTS))
def test_odd_bodies_are_refused_with_a_4xx_problem_and_record_nothing(
        client: FlaskClient, nek: str, endpoint: str) -> None:
    expense = record_expense(client, nek, "RENT", "10000.00", paid_on=None)
    ids = {"project": nek, "unpaid": expense, "free": expense, "claimed": expense}
    path, _, _, valid = COMMAND_ENDPOINTS[endpoint]
    headers = bearer("admin", Content_Type="application/json")

    answers = {label: client.post(API + filled(path, ids), data=text, headers=headers)
               for label, text in _odd_bodies(filled(valid, ids)).items()}

    faults = {label: fault for label, response in answers.items()
              if (fault := _not_a_4xx_problem(response)) is not None}
    assert (faults, event_count(client, nek)) == ({}, 2)


# ---- the edges of the calendar ----------------------------------------------------------------

def test_a_registration_ending_on_the_last_day_of_the_calendar_is_refused_with_422(
        client: FlaskClient) -> None:
    body = nek_registration(realisation_end="9999-12-31", activities=[], milestones=[])
    del body["stages"]

    response = client.post(f"{API}/projects", json=body, headers=bearer("manager"))

    assert (response.status_code, "realisation_end" in problem(response).get("errors", {})) == (
        422, True)


def test_a_registration_whose_claim_deadline_lies_beyond_the_calendar_is_refused_with_422(
        client: FlaskClient) -> None:
    body = nek_registration(realisation_end="9999-12-30", activities=[], milestones=[])
    del body["stages"]

    response = client.post(f"{API}/projects", json=body, headers=bearer("manager"))

    assert response.status_code == 422
