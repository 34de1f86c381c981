"""`grantledger --help` names every environment variable the code reads, as the README's
configuration table does; every command and option says what it does; nothing points outside
the repository."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from service.cli.main import _parser, main

REPO = Path(__file__).resolve().parents[3]
READ_BY_CODE = re.compile(r"\b(GRANTLEDGER_[A-Z_]+|PROMETHEUS_MULTIPROC_DIR)\b")
# Names of the same shape that are no environment variables: a Flask config key, and the key
# under which the store finds its URL in the event store library's own settings.
NOT_VARIABLES = frozenset({"GRANTLEDGER_SETTINGS", "GRANTLEDGER_POSTGRES_CONNINFO"})


def variables_in_the_code() -> set[str]:
    found: set[str] = set()
    for folder in ("service", "domain", "projections", "schemas"):
        for source in (REPO / folder).rglob("*.py"):
            found |= set(READ_BY_CODE.findall(source.read_text()))
    return found - NOT_VARIABLES


def help_text(*command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_the_code_reads_the_variables_the_help_is_checked_against() -> None:
    assert {"GRANTLEDGER_BIND", "GRANTLEDGER_DATABASE_URL", "GRANTLEDGER_METRICS_PROJECTS",
            "PROMETHEUS_MULTIPROC_DIR"} <= variables_in_the_code()


def test_the_help_names_every_variable_the_code_reads(
        capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(capsys=capsys)

    assert sorted(v for v in variables_in_the_code() if v not in text) == []


def test_the_readme_configuration_table_names_every_variable_the_code_reads() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]

    assert sorted(v for v in variables_in_the_code() if f"`{v}`" not in table) == []


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, Any, Any]]:
    """(name, its entry in the list of commands, its parser), nested commands included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            entries = {entry.dest: entry for entry in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((name, entries[name], sub))
                found += [(f"{name} {n}", e, p) for n, e, p in subcommands(sub)]
    return found


def test_every_command_and_option_has_a_help_text() -> None:
    commands = subcommands(_parser())
    silent = [name for name, entry, _ in commands if not entry.help]
    silent += [f"{name} {action.option_strings or action.dest}"
               for name, _, sub in commands for action in sub._actions
               if not action.help and not isinstance(action, argparse._SubParsersAction)]

    assert ([name for name, _, _ in commands][:5], silent) == (
        ["serve", "migrate", "demo", "projector", "projections"], [])


def test_serve_help_says_how_host_and_port_meet_the_bind(
        capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(help_text("serve", capsys=capsys).split())

    assert "--host and --port replace its host or port when given" in text
    assert "the port to listen on (default: GRANTLEDGER_BIND's, else 8000)" in text


def test_no_help_text_points_outside_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    texts = [help_text(*command, capsys=capsys) for command in (
        (), ("serve",), ("demo",), ("migrate",), ("projector",), ("projections",),
        ("import", "expenses"))]

    assert [t for t in texts if "shared" in t] == []
    assert "docs/DOMAIN.md" in texts[2]
