"""SQLite's write lock held beyond its timeout: the store is unavailable, 503, nothing lost.
A command that waits out its deadline behind its project's earlier commands: the project is
busy, 503, nothing recorded, and its retry is."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from uuid import UUID

from api_builders import event_count, expense_body, post, problem, project_path, register_nek
from support import make_settings

from service.bootstrap import open_ledger
from service.group_commit import Queued
from service.web.app import create_app
from service.web.store_patience import StorePatience


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


def test_a_command_queued_past_its_deadline_behind_its_projects_commands_is_503_busy(
        tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'ledger.db'}")
    application = open_ledger(settings)
    app = create_app(settings, application)
    app.wsgi_app = StorePatience(app.wsgi_app, 0.3)  # type: ignore[method-assign]
    client = app.test_client()
    project = register_nek(client)
    saving, release = threading.Event(), threading.Event()

    def slow_save(group: list[Queued[str]]) -> None:  # another command of the project
        saving.set()
        release.wait(10)
        for queued in group:
            queued.result = "done"

    body = expense_body()
    holder = threading.Thread(target=application.writer._group_commit.run,
                              args=(UUID(project), "earlier", slow_save))
    holder.start()
    try:
        saving.wait(5)
        busy = post(client, project_path(project, "expenses"), body, "accountant",
                    Idempotency_Key="busy-1")
    finally:
        release.set()
        holder.join(10)
    retried = post(client, project_path(project, "expenses"), body, "accountant",
                   Idempotency_Key="busy-1")

    assert (busy.status_code, busy.headers["Retry-After"], problem(busy)["type"],
            problem(busy)["title"], retried.status_code, event_count(client, project)) == (
        503, "1", "urn:grantledger:problem:project-busy", "Project busy", 201, 2)
    application.close()
