"""The whole PostgreSQL URL reaches the connections, and a store that cannot be used stops a
command at once with one line naming it (password masked) and exit status 2 — never 1, which
`verify` keeps for a broken chain."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support import make_settings

from service.bootstrap import ledger_env, open_ledger
from service.store.database import StoreUnavailableError

pytestmark = pytest.mark.postgres


def grantledger(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": url,
           "GRANTLEDGER_TOKENS": "tester:admin:connection-test-token-0123456789"}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def with_password(url: str, password: str) -> str:
    """The URL with a password (the test server trusts every local connection anyway)."""
    return url.replace("postgres@", f"postgres:{password}@", 1)


def application_names(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {row[0] for row in conn.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()")}


@pytest.fixture
def closed_port() -> int:
    """A local port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local port that accepts connections and never answers (a server hung or a firewall
    swallowing packets, as libpq sees it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_options_of_the_url_reach_the_pools_connections(postgres_url: str) -> None:
    name = f"grantledger-{uuid.uuid4().hex[:8]}"
    application = open_ledger(make_settings(f"{postgres_url}?application_name={name}"))
    try:
        application.project_ids()  # a query on a connection of the pool
        seen = application_names(postgres_url)
    finally:
        application.close()

    assert name in seen


def test_libpq_environment_variables_apply_to_what_the_url_leaves_out(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"from-pgappname-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", name)
    application = open_ledger(make_settings(postgres_url))
    try:
        application.project_ids()
        monkeypatch.delenv("PGAPPNAME")
        seen = application_names(postgres_url)
    finally:
        application.close()

    assert name in seen


def test_sslmode_require_against_a_server_without_tls_is_refused(postgres_url: str) -> None:
    from eventsourcing.persistence import OperationalError

    from service.application import LedgerApplication

    url = f"{postgres_url}?sslmode=require&connect_timeout=2"
    open_ledger(make_settings(postgres_url)).close()  # migrated: reachable in clear text

    with pytest.raises(StoreUnavailableError) as refused:
        open_ledger(make_settings(url))
    with pytest.raises(OperationalError):  # the library's own pool, past our first check
        LedgerApplication(env=ledger_env(make_settings(url)))

    assert str(refused.value) == (
        f"cannot reach the store {url}: connection to server at \"127.0.0.1\", port 5432 "
        "failed: server does not support SSL, but SSL was required")


@pytest.mark.parametrize("command", [
    ["verify"], ["projections", "status"], ["projections", "rebuild"], ["migrate"], ["demo"],
    ["projector"], ["serve", "--port", "1"], ["copy", "--from", "{url}", "--to", "sqlite:///x.db"],
])
def test_a_command_with_the_database_down_says_so_in_one_line_and_exits_2(
        closed_port: int, command: list[str], tmp_path: Path) -> None:
    url = f"postgresql://ledger:s3cret@127.0.0.1:{closed_port}/grants"
    started = time.monotonic()

    result = grantledger(url, *[part.format(url=url) for part in command], cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        f"grantledger: cannot reach the store postgresql://ledger:***@127.0.0.1:{closed_port}"
        f"/grants: connection to server at \"127.0.0.1\", port {closed_port} failed: "
        "Connection refused; Is the server running on that host and accepting TCP/IP "
        "connections?\n"))
    assert time.monotonic() - started < 10


def test_a_server_that_does_not_answer_is_given_up_after_the_connect_timeout(
        silent_port: int) -> None:
    url = f"postgresql://ledger@127.0.0.1:{silent_port}/grants?connect_timeout=2"
    started = time.monotonic()

    result = grantledger(url, "verify")

    assert (result.returncode, result.stderr) == (
        2, f"grantledger: cannot reach the store {url}: connection timeout expired\n")
    assert 2 <= time.monotonic() - started < 8


def test_a_missing_database_is_named_and_exits_2(postgres_url: str) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_grantledger_db"

    result = grantledger(url, "verify")

    assert (result.returncode, result.stderr.count("\n"), result.stderr.startswith(
        f"grantledger: cannot reach the store {url}: ")) == (2, 1, True)
    assert 'database "no_such_grantledger_db" does not exist' in result.stderr


def test_verify_on_a_store_that_fails_while_read_exits_2_not_1(postgres_url: str) -> None:
    """A store that answers but cannot be read (here: the database user may not read the
    events) is a store failure, not a broken chain."""
    reader = f"reader_{uuid.uuid4().hex[:8]}"
    open_ledger(make_settings(postgres_url)).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{reader}" LOGIN')
    try:
        result = grantledger(postgres_url.replace("postgres@", f"{reader}@", 1), "verify")
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{reader}"')
            conn.execute(f'DROP ROLE "{reader}"')

    assert (result.returncode, result.stderr.count("\n"), "Traceback" in result.stderr) == (
        2, 1, False)
    assert "permission denied for table ledgerapplication_events" in result.stderr


def test_demo_shows_the_store_with_its_password_masked(postgres_url: str, tmp_path: Path) -> None:
    url = with_password(postgres_url, "s3cret")

    result = grantledger(url, "demo", cwd=tmp_path)

    assert (result.returncode, result.stdout.splitlines()[0], "s3cret" in result.stdout) == (
        0, f"Loading the demo projects into {with_password(postgres_url, '***')}", False)
