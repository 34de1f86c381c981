"""Group commit: commands queued while a save runs are committed together, each caller
getting its own result or refusal."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest

from service.group_commit import GroupCommit, Queued


def test_commands_queued_during_a_commit_are_committed_together_in_order() -> None:
    committer: GroupCommit[str] = GroupCommit()
    project = uuid4()
    first_started, release = threading.Event(), threading.Event()
    groups: list[list[str]] = []

    def commit(group: list[Queued[str]]) -> None:
        groups.append([q.command for q in group])
        if group[0].command == "c0":
            first_started.set()
            release.wait(5)
        for queued in group:
            queued.result = f"done {queued.command}"

    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(committer.run, project, "c0", commit)
        first_started.wait(5)
        rest = [pool.submit(committer.run, project, f"c{n}", commit) for n in range(1, 6)]
        while len(committer._queued.get(project, [])) < 5:
            time.sleep(0.001)
        release.set()
        results = [first.result(), *(f.result() for f in rest)]

    assert groups == [["c0"], ["c1", "c2", "c3", "c4", "c5"]]
    assert results == [f"done c{n}" for n in range(6)]


def test_a_refusal_reaches_only_its_own_caller() -> None:
    committer: GroupCommit[str] = GroupCommit()

    def commit(group: list[Queued[str]]) -> None:
        for queued in group:
            if queued.command == "bad":
                queued.error = ValueError("refused")
            else:
                queued.result = "ok"

    assert committer.run(uuid4(), "good", commit) == "ok"
    with pytest.raises(ValueError, match="refused"):
        committer.run(uuid4(), "bad", commit)


def test_a_failed_commit_fails_every_command_of_its_group() -> None:
    committer: GroupCommit[str] = GroupCommit()

    def commit(group: list[Queued[str]]) -> None:
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError, match="database gone"):
        committer.run(uuid4(), "any", commit)


def test_a_commit_that_fails_after_deciding_answers_the_failure_not_the_decision() -> None:
    committer: GroupCommit[str] = GroupCommit()

    def commit(group: list[Queued[str]]) -> None:
        for queued in group:
            queued.result = "decided"  # the outcome, before the transaction failed
        raise ConnectionError("COMMIT failed")

    with pytest.raises(ConnectionError, match="COMMIT failed"):
        committer.run(uuid4(), "any", commit)
