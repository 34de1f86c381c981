"""The access log (a JSON line per request), the request id on every answer and in problem
documents, and forwarded headers believed only from the proxies configured."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from api_builders import PROJECTS, bearer, nek_registration
from flask import Flask
from flask.testing import FlaskClient
from support import make_settings

from service.web.app import create_app
from service.web.request_log import AccessLog, Entry

UNKNOWN = "00000000-0000-4000-8000-000000000000"
FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "grants.example.cz", "X-Forwarded-Prefix": "/ledger"}


@pytest.fixture
def access_log(tmp_path: Path) -> Path:
    return tmp_path / "access.log"


def logged_app(sqlite_url: str, access_log: Path, **settings: Any) -> Iterator[Flask]:
    app = create_app(make_settings(sqlite_url, access_log=str(access_log), **settings))
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def logged(sqlite_url: str, access_log: Path) -> Iterator[FlaskClient]:
    for app in logged_app(sqlite_url, access_log):
        yield app.test_client()


def lines(access_log: Path) -> list[dict[str, Any]]:
    """The log's lines, once those of the requests so far are written (a thread writes them)."""
    AccessLog.flush_all()
    return [json.loads(line) for line in access_log.read_text().splitlines()]


def test_each_request_is_one_json_line_with_its_principal_status_and_generated_id(
        logged: FlaskClient, access_log: Path) -> None:
    response = logged.get(f"{PROJECTS}?limit=5", headers=bearer("viewer"))

    [line] = lines(access_log)
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert {key: line[key] for key in ("method", "path", "status", "principal", "request_id",
                                       "client")} == {
        "method": "GET", "path": f"{PROJECTS}?limit=5", "status": 200, "principal": "viewer",
        "request_id": request_id, "client": "127.0.0.1"}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


@pytest.mark.parametrize(("given", "kept"), [
    ("req-7f3a9c", True),
    ("Root=1-67891233-abcdef012345678912345678", True),
    ("3f2c9d1e-8b7a-4c6d-9e0f-112233445566", True),
    ("x" * 128, True),
    ("x" * 129, False),
    ("bad id with spaces", False),
    ('"><script>', False),
    ("line\u2028break", False),
])
def test_a_callers_request_id_is_kept_when_short_and_safe_else_replaced(
        logged: FlaskClient, access_log: Path, given: str, kept: bool) -> None:
    response = logged.get("/health/live", headers={"X-Request-ID": given})

    returned = response.headers["X-Request-ID"]
    assert (returned == given, lines(access_log)[0]["request_id"]) == (kept, returned)


def test_a_problem_document_carries_the_request_id_of_its_answer(logged: FlaskClient) -> None:
    response = logged.get(f"{PROJECTS}/{UNKNOWN}", headers=bearer("viewer", X_Request_ID="r-42"))

    assert (response.status_code, response.get_json()["request_id"],
            response.headers["X-Request-ID"]) == (404, "r-42", "r-42")


def test_values_of_secret_looking_query_parameters_are_masked_in_the_log(
        logged: FlaskClient, access_log: Path) -> None:
    logged.get(f"{PROJECTS}?key=s3cr3t&access_token=abc&limit=2&registration_number=CZ.1/2",
               headers=bearer("viewer"))

    assert lines(access_log)[0]["path"] == (
        f"{PROJECTS}?key=***&access_token=***&limit=2&registration_number=CZ.1/2")


def test_a_refusal_logs_the_principal_it_knows_and_none_without_a_token(
        logged: FlaskClient, access_log: Path) -> None:
    logged.post(PROJECTS, json=nek_registration(), headers=bearer("viewer"))
    logged.post(PROJECTS, json=nek_registration())

    assert [(line["status"], line["principal"]) for line in lines(access_log)] == [
        (403, "viewer"), (401, None)]


def standard_output_of_one_request(sqlite_url: str, access_log: str,
                                   capsys: pytest.CaptureFixture[str]) -> str:
    app = create_app(make_settings(sqlite_url, access_log=access_log))
    try:
        capsys.readouterr()
        app.test_client().get("/health/live")
    finally:
        app.extensions["grantledger"].close()
    return capsys.readouterr().out


def test_the_access_log_goes_to_standard_output_by_default_and_can_be_turned_off(
        sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    default = standard_output_of_one_request(sqlite_url, "-", capsys)
    off = standard_output_of_one_request(sqlite_url, "off", capsys)

    assert ([json.loads(line)["path"] for line in default.splitlines()], off) == (
        ["/health/live"], "")


def registered_through_a_proxy(sqlite_url: str, access_log: Path,
                               hops: int) -> tuple[str, str, str]:
    """Registers NEK and reads /docs as a client behind a TLS-terminating proxy mounted at
    /ledger would: the Location, the docs' spec URL resolved, the client address logged."""
    for app in logged_app(sqlite_url, access_log, proxy_hops=hops):
        client = app.test_client()
        created = client.post(PROJECTS, json=nek_registration(),
                              headers={**bearer("manager"), **FORWARDED})
        docs = client.get("/docs", headers=FORWARDED).get_data(as_text=True)
    spec = re.search(r"""["']([^"']*openapi\.json)["']""", docs)
    assert spec is not None
    public_docs = "https://grants.example.cz/ledger/docs"
    return (created.headers["Location"], urljoin(public_docs, spec[1]),
            lines(access_log)[0]["client"])


def test_behind_one_trusted_proxy_locations_docs_and_log_use_what_it_forwarded(
        sqlite_url: str, access_log: Path) -> None:
    location, spec, client = registered_through_a_proxy(sqlite_url, access_log, hops=1)

    assert location.startswith("/ledger/api/v1/projects/")
    assert (spec, client) == ("https://grants.example.cz/ledger/openapi.json", "203.0.113.9")


def test_without_configured_proxies_forwarded_headers_are_ignored(
        sqlite_url: str, access_log: Path) -> None:
    location, _, client = registered_through_a_proxy(sqlite_url, access_log, hops=0)

    assert (location.startswith("/api/v1/projects/"), client) == (True, "127.0.0.1")


def test_a_problem_behind_a_trusted_proxy_names_its_instance_under_the_proxys_prefix(
        sqlite_url: str, access_log: Path) -> None:
    for app in logged_app(sqlite_url, access_log, proxy_hops=1):
        response = app.test_client().get(f"{PROJECTS}/{UNKNOWN}",
                                         headers={**bearer("viewer"), **FORWARDED})

    assert (response.status_code, response.get_json()["instance"]) == (
        404, f"/ledger{PROJECTS}/{UNKNOWN}")


def test_a_log_file_moved_away_by_logrotate_is_written_anew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AccessLog, "WRITE_SECONDS", 0.01)
    path = tmp_path / "access.log"
    log = AccessLog(str(path))
    log.write('{"n": 1}')
    log.flush()
    path.rename(tmp_path / "access.log.1")
    time.sleep(0.1)  # the writer looks at the file while it has nothing to write

    log.write('{"n": 2}')
    log.close()

    assert ((tmp_path / "access.log.1").read_text(), path.read_text()) == (
        '{"n": 1}\n', '{"n": 2}\n')


def test_a_line_is_json_whatever_the_path_holds() -> None:
    entry = Entry(1764417625.9996, "GET", '/api/v1/"x"\\y\u0001é', "token=s3cret&limit=5",
                  "404 NOT FOUND", 0.0123456, None, "req-1", None)

    assert json.loads(entry.line()) == {
        "time": "2025-11-29T12:00:26.000+00:00", "method": "GET",
        "path": '/api/v1/"x"\\y\u0001é?token=***&limit=5', "status": 404,
        "duration_ms": 12.346, "principal": None, "request_id": "req-1", "client": None}
