"""Tampering with the stored events behind the service's back, on SQLite and PostgreSQL: each
kind is detected by the API, by `grantledger verify` and by the audit bundle's verify.py."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_builders import claim_body, command, get, project_path, record_expense, register_nek
from flask import Flask
from flask.testing import FlaskClient
from support import make_settings
from tamper_tools import RawStore

from service.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
ELIGIBLE_TRAVEL = b'"eligible_amount":{"_type_":"decimal_str","_data_":"100000.00"}'


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def tamper_app(database_url: str) -> Iterator[Flask]:
    app = create_app(make_settings(database_url))
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def ledger(tamper_app: Flask) -> tuple[FlaskClient, str, dict[str, Any]]:
    """NEK registered (v1); a TRAVEL invoice of 100,000 (v2), a PERSONNEL one of 50,000 (v3)
    and a TRAVEL one of 20,000 (v4); the first in payment claim 1 (v5). With the chain head
    an auditor saved then: {version 5, hash}."""
    client = tamper_app.test_client()
    project_id = register_nek(client)
    first = record_expense(client, project_id, "TRAVEL", "100000.00")
    record_expense(client, project_id, "PERSONNEL", "50000.00")
    record_expense(client, project_id, "TRAVEL", "20000.00")
    command(client, project_id, "payment-claims", claim_body("1", [first]))
    saved = get(client, project_path(project_id, "verification"), "auditor").json["head"]
    return client, project_id, saved


def verification(client: FlaskClient, project_id: str, digest: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    query = f"?version={digest['version']}&hash={digest['hash']}" if digest else ""
    response = get(client, project_path(project_id, f"verification{query}"), "auditor")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer: dict[str, Any] = response.json
    return answer


def first_break(client: FlaskClient, project_id: str) -> tuple[int, str] | None:
    found = verification(client, project_id)["first_break"]
    return None if found is None else (found["version"], found["reason"])


def grantledger_verify(database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "service.cli", "verify", *arguments],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
                          check=False)


def bundle_verify(client: FlaskClient, project_id: str, folder: Path,
                  *arguments: str) -> subprocess.CompletedProcess[str]:
    """Exports the bundle as the store now is, and runs its verify.py on it in isolated mode."""
    response = get(client, project_path(project_id, "export"), "auditor")
    assert response.status_code == 200, response.get_data(as_text=True)
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(folder)
    return subprocess.run([sys.executable, "-I", str(folder / "verify.py"), "--json",
                           *arguments], capture_output=True, text=True, timeout=60, check=False)


def digest_argument(saved: dict[str, Any]) -> str:
    return f"{saved['version']}:{saved['hash']}"


def test_one_changed_byte_of_an_amount_is_detected_everywhere(
        ledger: tuple[FlaskClient, str, dict[str, Any]], database_url: str,
        tmp_path: Path) -> None:
    client, project_id, _ = ledger
    RawStore(database_url).change_one_byte(project_id, 2, ELIGIBLE_TRAVEL,
                                           ELIGIBLE_TRAVEL.replace(b'"100000', b'"900000'))

    cli = grantledger_verify(database_url)
    bundle = bundle_verify(client, project_id, tmp_path)

    assert first_break(client, project_id) == (2, "content changed")
    assert (cli.returncode, "version 2: content changed" in cli.stdout) == (1, True)
    assert (bundle.returncode, json.loads(bundle.stdout)["failures"][0].split(":")[:2]) == (
        1, ["version 3", " link broken"])


def test_a_deleted_event_is_detected_everywhere(
        ledger: tuple[FlaskClient, str, dict[str, Any]], database_url: str,
        tmp_path: Path) -> None:
    client, project_id, _ = ledger
    RawStore(database_url).delete(project_id, 3)

    cli = grantledger_verify(database_url)
    bundle = bundle_verify(client, project_id, tmp_path)

    assert first_break(client, project_id) == (3, "version missing")
    assert (cli.returncode, "version 3: version missing" in cli.stdout) == (1, True)
    assert (bundle.returncode, json.loads(bundle.stdout)["failures"][0]) == (
        1, "version 3: version missing: the next line is version 4")


def test_two_swapped_events_are_detected_everywhere(
        ledger: tuple[FlaskClient, str, dict[str, Any]], database_url: str,
        tmp_path: Path) -> None:
    client, project_id, _ = ledger
    RawStore(database_url).swap(project_id, 3, 4)

    cli = grantledger_verify(database_url)
    bundle = bundle_verify(client, project_id, tmp_path)

    assert first_break(client, project_id) == (3, "link broken")
    assert (cli.returncode, "version 3: link broken" in cli.stdout) == (1, True)
    assert (bundle.returncode, json.loads(bundle.stdout)["failures"][0].split(":")[:2]) == (
        1, ["version 3", " link broken"])


def test_a_rehashed_history_holds_as_a_chain_but_misses_the_digest_saved_before(
        ledger: tuple[FlaskClient, str, dict[str, Any]], database_url: str,
        tmp_path: Path) -> None:
    client, project_id, saved = ledger
    RawStore(database_url).rewrite_and_rehash(project_id, 2, amount_net="10000.00",
                                              eligible_amount="10000.00")

    answer = verification(client, project_id, saved)
    cli = grantledger_verify(database_url, "--project", project_id,
                             "--digest", digest_argument(saved))
    bundle = bundle_verify(client, project_id, tmp_path, "--digest", digest_argument(saved))
    without_digest = (first_break(client, project_id), grantledger_verify(database_url).returncode)

    assert (answer["valid"], answer["first_break"], answer["digest"]["on_chain"]) == (
        False, None, False)
    assert without_digest == (None, 0)  # the forger was careful: only the digest tells
    assert (cli.returncode, "NOT on the chain" in cli.stdout) == (1, True)
    assert (bundle.returncode, json.loads(bundle.stdout)["digest"]["on_chain"]) == (1, False)


def test_a_row_that_no_longer_decodes_is_a_finding_never_a_server_error(
        ledger: tuple[FlaskClient, str, dict[str, Any]], database_url: str,
        tmp_path: Path) -> None:
    client, project_id, _ = ledger
    expense_id = get(client, project_path(project_id, "expenses")).json["expenses"][0]["expense_id"]
    RawStore(database_url).change_one_byte(project_id, 4, b"{", b"X")

    cli = grantledger_verify(database_url)
    bundle = bundle_verify(client, project_id, tmp_path)
    history = get(client, project_path(project_id, f"expenses/{expense_id}/history"), "auditor")

    assert first_break(client, project_id) == (4, "content unreadable")
    assert (cli.returncode, "version 4: content unreadable" in cli.stdout) == (1, True)
    assert bundle.returncode == 1
    assert json.loads(bundle.stdout)["failures"][0].startswith("version 4: content unreadable")
    assert (history.status_code, history.json["rule"]) == (409, "CHAIN_BROKEN")

