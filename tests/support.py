"""Helpers for tests of every kind: tokens per role and settings for a store."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@contextlib.contextmanager
def serving(folder: Path, workers: int,
            **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`grantledger serve` with `workers` workers on a free port, run in `folder` (its log
    there) with `env` added to the environment: its base URL and process once it is ready and
    every worker has started; stopped with SIGTERM after."""
    port = free_port()
    environment = {**os.environ, **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with (folder / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--workers", str(workers), "--host",
             "127.0.0.1", "--port", str(port)], env=environment, cwd=folder, stdout=log,
            stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, workers)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def web_workers(serve: subprocess.Popen[bytes]) -> list[int]:
    """The gunicorn workers of a `grantledger serve`."""
    masters = [pid for pid in child_pids(serve.pid) if "gunicorn" in command_line(pid)]
    return [worker for master in masters for worker in child_pids(master)]


def _wait_ready(url: str, process: subprocess.Popen[bytes], workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/health/ready", timeout=2):
                if len(web_workers(process)) == workers:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not become ready (exit {process.poll()})")
