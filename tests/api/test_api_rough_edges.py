"""The rough edges a newcomer met (issue 18): `/`, a 413 that names its limit, bodies that are
not quite JSON, the headers every answer carries, the calendar's `min_position`, ETags on the
reports and the calendar, and every `format=xlsx` that /openapi.json advertises served."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_builders import (
    API,
    PROJECTS,
    bearer,
    event_count,
    expense_body,
    get,
    nek_registration,
    problem,
    project_path,
    record_expense,
)
from flask.testing import FlaskClient
from support import make_settings

from service.sheets.workbook import MEDIA_TYPE as XLSX
from service.web.app import create_app

JSON = {"Content-Type": "application/json"}


def raw_post(client: FlaskClient, path: str, data: bytes, role: str = "accountant") -> Any:
    return client.post(path, data=data, headers={**bearer(role), **JSON})


# ---- / ----------------------------------------------------------------------------------------


def test_the_root_leads_to_the_pages(client: FlaskClient) -> None:
    response = client.get("/")

    assert (response.status_code, response.headers["Location"]) == (302, "/app/")


def test_the_root_behind_a_proxy_prefix_leads_to_the_prefixed_pages(
        sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, proxy_hops=1))
    try:
        response = app.test_client().get("/", headers={"X-Forwarded-Prefix": "/ledger"})
    finally:
        app.extensions["grantledger"].close()

    assert response.headers["Location"] == "/ledger/app/"


# ---- 413 --------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_naming_the_limit(client: FlaskClient, nek: str) -> None:
    body = b'{"description": "' + b"x" * (1024 * 1024) + b'"}'

    response = raw_post(client, project_path(nek, "expenses"), body)

    assert (response.status_code, problem(response)["detail"]) == (
        413, "The body is larger than this request takes: at most 1,048,576 bytes (1 MiB). "
             "Send less at once (a batch of expenses in several batches).")
    assert event_count(client, nek) == 1


def test_a_batch_over_its_limit_is_413_naming_its_own_limit(client: FlaskClient,
                                                            nek: str) -> None:
    body = b'{"expenses": ["' + b"x" * (16 * 1024 * 1024) + b'"]}'

    response = raw_post(client, project_path(nek, "expenses/batch"), body)

    assert (response.status_code, problem(response)["detail"][:78]) == (
        413, "The body is larger than this request takes: at most 16,777,216 bytes (16 MiB).")


# ---- bodies that are not quite JSON ----------------------------------------------------------


def test_a_body_that_is_not_utf8_is_400_saying_so(client: FlaskClient, nek: str) -> None:
    body = b'{"description": "Caf\xe9"}'

    response = raw_post(client, project_path(nek, "expenses"), body)

    assert (response.status_code, problem(response)["errors"]) == (400, {"body": [
        "The body is not UTF-8 text: the byte 0xe9 at offset 20 is not UTF-8 (JSON bodies are "
        "UTF-8, RFC 8259)."]})
    assert event_count(client, nek) == 1


@pytest.mark.parametrize(("body", "key"), [
    (b'{"acronym": "a", "acronym": "b"}', "acronym"),
    (b'{"beneficiary": {"ico": "1", "name": "x", "ico": "2"}}', "ico"),
])
def test_a_body_naming_a_key_twice_is_400_naming_the_key(client: FlaskClient, body: bytes,
                                                         key: str) -> None:
    response = raw_post(client, PROJECTS, body, "manager")

    assert (response.status_code, problem(response)["errors"]) == (400, {"body": [
        f"The JSON body names the key {key!r} twice in one object: give each key once."]})
    assert get(client, f"{PROJECTS}?registration_number=x").get_json()["projects"] == []


def test_a_batch_naming_a_key_twice_in_an_item_is_400_and_records_nothing(
        client: FlaskClient, nek: str) -> None:
    item = '{"document_number": "A-1", "document_number": "A-2"}'
    body = f'{{"expenses": [{item}]}}'.encode()

    response = raw_post(client, project_path(nek, "expenses/batch"), body)

    assert (response.status_code, problem(response)["errors"]) == (400, {"body": [
        "The JSON body names the key 'document_number' twice in one object: give each key "
        "once."]})
    assert event_count(client, nek) == 1


def test_a_well_formed_body_is_recorded_as_before(client: FlaskClient, nek: str) -> None:
    record_expense(client, nek)

    assert event_count(client, nek) == 2


# ---- headers on every answer -------------------------------------------------------------------


def test_every_answer_says_nosniff(client: FlaskClient, nek: str) -> None:
    answers = [client.get("/health/live"), client.get("/openapi.json"), client.get("/"),
               client.get(f"{API}/nothing"), get(client, project_path(nek, "views/budget")),
               client.get(project_path(nek, "views/budget"))]

    assert [a.headers.get("X-Content-Type-Options") for a in answers] == ["nosniff"] * 6


def test_authenticated_json_is_private_and_revalidated(client: FlaskClient, nek: str) -> None:
    first = get(client, project_path(nek, "views/budget"))
    again = get(client, project_path(nek, "views/budget"),
                **{"If-None-Match": first.headers["ETag"]})

    assert [(r.status_code, r.headers.get("Cache-Control")) for r in (first, again)] == [
        (200, "private, no-cache"), (304, "private, no-cache")]


def test_authenticated_files_are_not_stored(client: FlaskClient, nek: str) -> None:
    workbook = get(client, project_path(nek, "views/budget?format=xlsx"))
    csv = get(client, project_path(nek, "expenses?format=csv"))

    assert [(r.mimetype, r.headers.get("Cache-Control")) for r in (workbook, csv)] == [
        (XLSX, "no-store"), ("text/csv", "no-store")]


def test_unauthenticated_answers_carry_no_cache_control_of_ours(client: FlaskClient) -> None:
    assert client.get("/health/live").headers.get("Cache-Control") is None


# ---- the calendar: min_position and ETag; the reports: ETag ------------------------------------


def test_the_calendar_takes_min_position(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "calendar?min_position=1"))

    assert (response.status_code, response.get_json()["position"]) == (200, 1)


def test_the_calendar_beyond_the_log_waits_then_is_503(client: FlaskClient, nek: str) -> None:
    client.application.config["GRANTLEDGER_SETTINGS"] = _quick(client)

    response = get(client, project_path(nek, "calendar?min_position=99"))

    assert (response.status_code, problem(response)["detail"]) == (
        503, "the view did not reach position 99 within 0.05 s")


def _quick(client: FlaskClient) -> Any:
    from dataclasses import replace

    return replace(client.application.config["GRANTLEDGER_SETTINGS"], min_position_timeout=0.05)


@pytest.mark.parametrize("path", ["calendar?on=2017-06-01", "reports?on=2017-06-01",
                                  "reports/ZZOR", "reports"])
def test_the_calendar_and_reports_answer_if_none_match_with_304_until_the_project_changes(
        client: FlaskClient, nek: str, path: str) -> None:
    first = get(client, project_path(nek, path))
    etag = first.headers["ETag"]
    unchanged = get(client, project_path(nek, path), **{"If-None-Match": etag})
    record_expense(client, nek)
    changed = get(client, project_path(nek, path), **{"If-None-Match": etag})

    assert (first.status_code, unchanged.status_code, unchanged.data, changed.status_code) == (
        200, 304, b"", 200)
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and changed.headers["ETag"] != etag


def test_the_calendar_etag_depends_on_its_window(client: FlaskClient, nek: str) -> None:
    whole = get(client, project_path(nek, "calendar?on=2017-06-01"))
    part = get(client, project_path(nek, "calendar?on=2017-06-01&from=2018-01-01"),
               **{"If-None-Match": whole.headers["ETag"]})

    assert part.status_code == 200


# ---- format=xlsx wherever it is advertised ----------------------------------------------------


def advertised_formats(document: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each GET path of the document with the values its `format` parameter takes."""
    found = []
    for path, item in document["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if parameter["name"] == "format" and parameter["in"] == "query":
                found.append((path, parameter["schema"]["enum"]))
    return found


def test_every_advertised_format_is_served(client: FlaskClient, nek: str) -> None:
    expense = record_expense(client, nek)
    claim = {"claim_number": "1", "stage": "1", "submitted_on": "2017-05-01", "final": False,
             "expense_ids": [expense]}
    claimed = client.post(project_path(nek, "payment-claims"), json=claim,
                          headers=bearer("manager"))
    assert claimed.status_code == 200, claimed.get_data(as_text=True)
    fill = {"{project_id}": nek, "{claim_number}": "1", "{expense_id}": expense}
    media = {"json": "application/json", "csv": "text/csv", "xlsx": XLSX}
    served = {}
    for template, offered in advertised_formats(client.get("/openapi.json").get_json()):
        path = template
        for name, value in fill.items():
            path = path.replace(name, value)
        for file_format in offered:
            response = get(client, f"{path}?format={file_format}", "admin")
            served[(template, file_format)] = (response.status_code, response.mimetype)
    assert served == {key: (200, media[key[1]]) for key in served}
    assert (f"{API}/projects/{{project_id}}/views/budget", "xlsx") in served
    assert not any("/reports" in path for path, _ in served)


def test_the_reports_do_not_take_a_format(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "reports?format=xlsx"))

    assert (response.status_code, list(problem(response)["errors"])) == (400, ["format"])


def test_expense_body_is_unchanged_by_strict_reading(client: FlaskClient) -> None:
    project = client.post(PROJECTS, json=nek_registration(), headers=bearer("manager"))
    expense = client.post(project_path(project.get_json()["id"], "expenses"),
                          json=expense_body(), headers=bearer("accountant"))

    assert (project.status_code, expense.status_code) == (201, 201)
