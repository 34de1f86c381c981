"""`Idempotency-Key`: a retry gets the first answer back and records nothing."""

from __future__ import annotations

import json

from api_builders import (
    PROJECTS,
    bearer,
    event_count,
    expense_body,
    nek_registration,
    post,
    problem,
    project_path,
)
from flask import Flask
from flask.testing import FlaskClient

from service.web.app import create_app

KEY = "0b8e4d1c-expense-FV-2016-0042"


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_and_records_nothing(
        client: FlaskClient, nek: str) -> None:
    body = expense_body()
    first = post(client, project_path(nek, "expenses"), body, "accountant", Idempotency_Key=KEY)

    retry = post(client, project_path(nek, "expenses"), body, "accountant", Idempotency_Key=KEY)

    assert (retry.status_code, retry.get_data(), retry.headers["Idempotent-Replayed"],
            retry.headers["Location"], event_count(client, nek)) == (
        201, first.get_data(), "true", first.headers["Location"], 2)


def test_the_first_answer_under_a_key_is_not_marked_as_replayed(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "expenses"), expense_body(), "accountant",
                    Idempotency_Key=KEY)

    assert (response.status_code, "Idempotent-Replayed" in response.headers) == (201, False)


def test_a_retry_whose_json_differs_only_in_spacing_and_key_order_is_the_same_request(
        client: FlaskClient, nek: str) -> None:
    body = expense_body()
    first = post(client, project_path(nek, "expenses"), body, "accountant", Idempotency_Key=KEY)
    reordered = dict(reversed(list(body.items())))

    retry = client.post(project_path(nek, "expenses"),
                        data=json.dumps(reordered, indent=4),
                        headers=bearer("accountant", Content_Type="application/json",
                                       Idempotency_Key=KEY))

    assert (retry.status_code, retry.get_data(), event_count(client, nek)) == (
        201, first.get_data(), 2)


def test_the_same_key_with_a_different_body_is_422_and_records_nothing(
        client: FlaskClient, nek: str) -> None:
    post(client, project_path(nek, "expenses"), expense_body("TRAVEL", "100.00"), "accountant",
         Idempotency_Key=KEY)

    response = post(client, project_path(nek, "expenses"), expense_body("TRAVEL", "200.00"),
                    "accountant", Idempotency_Key=KEY)

    assert (response.status_code, problem(response)["type"], event_count(client, nek)) == (
        422, "urn:grantledger:problem:idempotency-key-reused", 2)


def test_a_retry_after_a_restart_is_still_recognised(
        app: Flask, client: FlaskClient, nek: str, sqlite_url: str) -> None:
    body = expense_body()
    first = post(client, project_path(nek, "expenses"), body, "accountant", Idempotency_Key=KEY)
    app.extensions["grantledger"].close()
    restarted = create_app(app.config["GRANTLEDGER_SETTINGS"])
    try:
        retry = post(restarted.test_client(), project_path(nek, "expenses"), body,
                     "accountant", Idempotency_Key=KEY)

        assert (retry.status_code, retry.get_data(), retry.headers["Idempotent-Replayed"],
                event_count(restarted.test_client(), nek)) == (201, first.get_data(), "true", 2)
    finally:
        restarted.extensions["grantledger"].close()


def test_a_refusal_is_replayed_as_the_same_409(client: FlaskClient, nek: str) -> None:
    first = post(client, PROJECTS, nek_registration(), "manager", Idempotency_Key=KEY)

    retry = post(client, PROJECTS, nek_registration(), "manager", Idempotency_Key=KEY)

    assert (retry.status_code, problem(retry)["rule"], retry.get_data(),
            retry.headers["Idempotent-Replayed"], event_count(client, nek)) == (
        409, "PROJECT_ALREADY_REGISTERED", first.get_data(), "true", 1)


def test_keys_are_kept_apart_per_principal(client: FlaskClient, nek: str) -> None:
    post(client, project_path(nek, "expenses"), expense_body(), "accountant",
         Idempotency_Key=KEY)

    response = post(client, project_path(nek, "expenses"), expense_body(), "admin",
                    Idempotency_Key=KEY)

    assert ("Idempotent-Replayed" in response.headers, response.status_code,
            event_count(client, nek)) == (False, 201, 3)
