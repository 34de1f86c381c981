"""Fixtures shared by every test: a fresh store per test, an app, a client, tokens per role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import POSTGRES_ADMIN_URL, auth, make_settings  # noqa: F401 (auth: for tests)

from service.web.app import create_app


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject.toml) runs a worker more than the cores: many tests wait on a
    process or a socket. On 2 cores the suite took 834 s alone, 584 s in 2 workers, 465 s in 3.
    PYTEST_XDIST_AUTO_NUM_WORKERS sets another number; `-n 0` runs the tests in one process."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    return (os.cpu_count() or 1) + 1


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    app = create_app(make_settings(sqlite_url))
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[Flask]:
    """The app on the run's PostgreSQL database (emptied before each test)."""
    app = create_app(make_settings(postgres_url))
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def pg_client(pg_app: Flask) -> FlaskClient:
    return pg_app.test_client()


def _postgres_unavailable(reason: str) -> None:
    message = (f"PostgreSQL tests need a server at {POSTGRES_ADMIN_URL} where the user may "
               f"create databases ({reason}); set GRANTLEDGER_TEST_POSTGRES_URL to enable them")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh database for this test run, dropped at its end; yields its URL."""
    psycopg = pytest.importorskip("psycopg")
    name = f"grantledger_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        _postgres_unavailable(str(error).strip().splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        yield f"{base}/{name}"
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The run's database, emptied before each test."""
    import psycopg

    with psycopg.connect(postgres_server, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        if tables:
            conn.execute("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        types = [row[0] for row in conn.execute(
            "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND t.typtype = 'c' AND NOT EXISTS "
            "(SELECT 1 FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')")]
        if types:
            conn.execute("DROP TYPE " + ", ".join(f'"{t}"' for t in types) + " CASCADE")
    yield postgres_server
