"""Helpers for tests of every kind: tokens per role and settings for a store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from service.config import Settings, parse_tokens

ROLES = ("viewer", "accountant", "manager", "auditor", "admin")


def token_of(role: str) -> str:
    """The test token of a role: as long as the service demands (24 characters or more)."""
    return f"{role}-test-token-0123456789abcdef"


PEOPLE = ("jana", "petr", "olga")
"""Static tokens with no global role: they act only where a project grants them a role."""
TOKENS = ",".join([f"{role}:{role}:{token_of(role)}" for role in ROLES]
                  + [f"{person}:none:{token_of(person)}" for person in PEOPLE])
POSTGRES_ADMIN_URL = os.environ.get("GRANTLEDGER_TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/test")


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(role)}"}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test; its access log is off unless a test asks for one (its
    lines, flushed by a thread, would land in whatever output a test captures)."""
    overrides.setdefault("access_log", "off")
    return Settings(database_url=database_url, tokens=parse_tokens(TOKENS),
                    min_position_timeout=overrides.pop("min_position_timeout", 0.3), **overrides)


def tool_missing(message: str) -> None:
    """A tool a test needs is not installed: skipped on a developer's machine with `message`
    (which says how to install it), a failure in CI (CI=true), where .ci/run installs it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def projector_pid(serve_pid: int) -> int | None:
    """The projector `grantledger serve` runs beside gunicorn."""
    found = [p for p in child_pids(serve_pid) if "service.cli projector" in command_line(p)]
    return found[0] if found else None
