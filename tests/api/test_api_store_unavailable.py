"""SQLite's write lock held beyond its timeout: the store is unavailable, 503, nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from api_builders import event_count, expense_body, post, problem, project_path, register_nek
from support import make_settings

from service.bootstrap import open_ledger
from service.web.app import create_app


def test_a_write_that_waits_for_sqlites_lock_beyond_its_timeout_is_503_and_changes_nothing(
        tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'ledger.db'}")
    application = open_ledger(settings, env={"SQLITE_LOCK_TIMEOUT": "1"})
    client = create_app(settings, application).test_client()
    project = register_nek(client)
    other_writer = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")

        locked = post(client, project_path(project, "expenses"), expense_body(), "accountant")

        other_writer.execute("ROLLBACK")
        assert (locked.status_code, locked.headers["Retry-After"], problem(locked)["type"],
                event_count(client, project)) == (
            503, "1", "urn:grantledger:problem:store-unavailable", 1)
    finally:
        other_writer.close()
        application.close()
