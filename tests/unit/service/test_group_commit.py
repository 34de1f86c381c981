"""Group commit: commands queued while a save runs are committed together, each caller
getting its own result or refusal."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest

from service.group_commit import GroupCommit, ProjectBusyError, Queued
from service.store.connections import answering_within


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


def test_a_caller_whose_deadline_ends_while_queued_is_withdrawn_and_never_committed() -> None:
    committer: GroupCommit[str] = GroupCommit()
    project = uuid4()
    first_started, release = threading.Event(), threading.Event()
    groups: list[list[str]] = []

    def commit(group: list[Queued[str]]) -> None:
        groups.append([q.command for q in group])
        if group[0].command == "first":
            first_started.set()
            release.wait(5)
        for queued in group:
            queued.result = "done"

    def impatient() -> str:
        with answering_within(0.2):
            return committer.run(project, "impatient", commit)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(committer.run, project, "first", commit)
        first_started.wait(5)
        waiting = pool.submit(impatient)
        with pytest.raises(ProjectBusyError, match="wait for the store ended"):
            waiting.result(timeout=3)
        release.set()
        assert first.result() == "done"

    assert (groups, committer._queued) == ([["first"]], {})


def test_a_caller_already_taken_into_a_group_waits_for_its_outcome_past_its_deadline() -> None:
    committer: GroupCommit[str] = GroupCommit()
    project = uuid4()
    saving = threading.Event()

    def slow_commit(group: list[Queued[str]]) -> None:
        saving.set()
        time.sleep(1.0)  # the group's save outlasts the follower's 0.5 s
        for queued in group:
            queued.result = f"saved {queued.command}"

    def follower() -> str:
        with answering_within(0.5):
            return committer.run(project, "follower", slow_commit)

    stripe = committer._locks[hash(project) % len(committer._locks)]
    with ThreadPoolExecutor(2) as pool:
        stripe.acquire()  # held until both are queued, so that one group takes both
        leader = pool.submit(committer.run, project, "leader", slow_commit)
        following = pool.submit(follower)
        while len(committer._queued.get(project, [])) < 2:
            time.sleep(0.001)
        stripe.release()
        assert saving.wait(5)
        assert (leader.result(), following.result()) == ("saved leader", "saved follower")
