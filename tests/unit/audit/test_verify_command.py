"""`grantledger verify`, run in-process: one line per project, exit codes, usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_builders import NEK_NUMBER, get, project_path, register_nek
from flask.testing import FlaskClient
from support import auth

from domain.project import GrantProject
from schemas.audit import EVENT_TYPES
from service.cli.main import main


@pytest.fixture
def store(client: FlaskClient, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """NEK and a second project registered; `grantledger` pointed at their store."""
    register_nek(client)
    register_nek(client, registration_number="CZ.01.1.02/0.0/0.0/16_047/0009999",
                 acronym="NANO")
    monkeypatch.setenv("GRANTLEDGER_DATABASE_URL", sqlite_url)
    return sqlite_url


def test_every_project_is_verified_one_line_each(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify"])

    lines = capsys.readouterr().out.splitlines()
    assert (code, [line.split()[0] for line in lines[:2]], lines[-1]) == (
        0, ["OK", "OK"], "2 project(s) verified, 0 failed")


def test_a_project_is_named_by_its_registration_number_and_a_digest_checked(
        store: str, client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    project_id = client.get("/api/v1/projects", headers=auth("viewer")
                            ).json["projects"][0]["id"]
    head = get(client, project_path(project_id, "verification"), "auditor").json["head"]

    code = main(["verify", "--project", NEK_NUMBER, "--digest",
                 f"{head['version']}:{head['hash'].upper()}"])

    out = capsys.readouterr().out
    assert (code, f"digest 1:{head['hash']} on the chain" in out) == (0, True)


def test_a_digest_that_is_not_on_the_chain_exits_1(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "--project", NEK_NUMBER, "--digest", "1:" + "ab" * 32])

    assert (code, "NOT on the chain" in capsys.readouterr().out) == (1, True)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--digest", "1:" + "ab" * 32], "--digest belongs to one project: give --project too"),
    (["--project", NEK_NUMBER, "--digest", "one:abc"], "is not VERSION:HASH"),
    (["--project", "CZ.00/unknown"], "no project has the id"),
])
def test_a_command_that_cannot_run_exits_2(
        store: str, capsys: pytest.CaptureFixture[str], arguments: list[str],
        message: str) -> None:
    code = main(["verify", *arguments])

    assert (code, message in capsys.readouterr().err) == (2, True)


def test_a_store_that_does_not_exist_is_not_created_and_exits_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("GRANTLEDGER_DATABASE_URL", f"sqlite:///{missing}")

    code = main(["verify"])

    assert (code, missing.exists(), "there is no event store" in capsys.readouterr().err) == (
        2, False, True)


def test_the_filterable_event_types_are_exactly_the_domains_events() -> None:
    # The library adds a `Created` class of its own; the project's events define `evolve`.
    domain_events = {name for name, value in vars(GrantProject).items()
                     if isinstance(value, type) and issubclass(value, GrantProject.Event)
                     and value is not GrantProject.Event and "evolve" in vars(value)}

    assert set(EVENT_TYPES) == domain_events
