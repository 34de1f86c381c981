"""What needs no token: health probes and the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_builders import record_expense, register_nek
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from support import make_settings

from service.reads.projector import NAME as PROJECTION
from service.web.app import create_app

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_liveness_answers_ok_without_a_token(client: FlaskClient) -> None:
    response = client.get("/health/live")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "checks": {}})


def beat(app: Flask, seconds_ago: float) -> None:
    """The projector's heartbeat, as it records it, `seconds_ago` before the frozen now."""
    queries = app.extensions["grantledger"].queries
    queries.tracked_position(PROJECTION)
    queries.record_heartbeat(PROJECTION, NOW - timedelta(seconds=seconds_ago))


def test_readiness_reports_the_position_the_lag_and_the_projectors_heartbeat(
        app: Flask, client: FlaskClient, nek: str) -> None:
    record_expense(client, nek)
    beat(app, seconds_ago=12)

    with freeze_time(NOW):
        response = client.get("/health/ready")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "checks": {
        "event_store": "ok", "position": 2, "projection_lag": 2,
        "projection_lag_bound": 10_000, "projector_heartbeat_age_seconds": 12.0,
        "projector_heartbeat_bound_seconds": 30.0}})


def test_readiness_is_503_when_the_log_moved_and_no_projector_was_alive_within_the_bound(
        app: Flask, client: FlaskClient, nek: str) -> None:
    beat(app, seconds_ago=31)

    with freeze_time(NOW):
        response = client.get("/health/ready")

    assert (response.status_code, response.get_json()["status"],
            response.get_json()["checks"]["projector_heartbeat_age_seconds"]) == (
        503, "stalled", 31.0)


def test_readiness_is_503_when_no_projector_ever_ran_and_the_log_moved(
        client: FlaskClient, nek: str) -> None:
    response = client.get("/health/ready")

    assert (response.status_code, response.get_json()["status"],
            response.get_json()["checks"]["projector_heartbeat_age_seconds"]) == (
        503, "stalled", None)


def test_readiness_is_ok_without_a_heartbeat_while_the_views_reflect_the_whole_log(
        app: Flask, client: FlaskClient) -> None:
    response = client.get("/health/ready")

    assert (response.status_code, response.get_json()["checks"]["projection_lag"]) == (200, 0)


def test_readiness_is_503_while_the_projector_lags_beyond_its_bound(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'lagging.db'}", max_projection_lag=1))
    try:
        client = app.test_client()
        record_expense(client, register_nek(client))
        beat(app, seconds_ago=1)

        with freeze_time(NOW):
            response = client.get("/health/ready")

        assert (response.status_code, response.get_json()["status"],
                response.get_json()["checks"]["projection_lag"]) == (503, "lagging", 2)
    finally:
        app.extensions["grantledger"].close()


def test_the_openapi_document_describes_every_resource_of_the_contract(
        client: FlaskClient) -> None:
    response = client.get("/openapi.json")

    document = response.get_json()
    prefix = "/api/v1/projects/{project_id}"
    assert (response.status_code, document["openapi"], document["info"]["title"]) == (
        200, "3.0.3", "Grantledger")
    assert {
        "/api/v1/projects", prefix, f"{prefix}/expenses", f"{prefix}/expenses/{{expense_id}}",
        f"{prefix}/expenses/{{expense_id}}/payment",
        f"{prefix}/expenses/{{expense_id}}/corrections",
        f"{prefix}/expenses/{{expense_id}}/reversal", f"{prefix}/activities/{{code}}/start",
        f"{prefix}/activities/{{code}}/completion", f"{prefix}/milestones/{{code}}/achievement",
        f"{prefix}/budget-changes", f"{prefix}/realisation-end", f"{prefix}/payment-claims",
        f"{prefix}/payment-claims/{{claim_number}}",
        f"{prefix}/payment-claims/{{claim_number}}/approval",
        f"{prefix}/payment-claims/{{claim_number}}/payout", f"{prefix}/financial-corrections",
        f"{prefix}/views/budget", f"{prefix}/views/subsidy", f"{prefix}/views/schedule",
        "/api/v1/portfolio", f"{prefix}/events", "/api/v1/events", "/health/live",
        "/health/ready",
    } <= set(document["paths"])

