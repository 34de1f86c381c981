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


def test_a_commit_that_fails_after_deciding_answers_no_caller_with_its_decision() -> None:
    """The writer decides every order, then the COMMIT's answer is lost and the store cannot
    be read back: no caller may be told its command was recorded (nor refused on the grounds
    of another's unrecorded command)."""
    committer: GroupCommit[str] = GroupCommit()
    started, release = threading.Event(), threading.Event()

    def commit(group: list[Queued[str]]) -> None:
        if group[0].command == "first":
            started.set()
            release.wait(5)
            group[0].result = "recorded"
            return
        for queued in group:
            queued.result, queued.error = "recorded", None
        group[-1].result, group[-1].error = None, ValueError("refused beside the others")
        raise ConnectionError("COMMIT cut off; the store cannot be read")

    project = uuid4()
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(committer.run, project, "first", commit)
        started.wait(5)
        rest = [pool.submit(committer.run, project, name, commit) for name in ("a", "b", "c")]
        while len(committer._queued.get(project, [])) < 3:
            time.sleep(0.001)
        release.set()
        errors = [type(f.exception()).__name__ for f in rest]

    assert first.result() == "recorded"
    assert errors == ["ConnectionError"] * 3
