"""Where a request reads with a read replica (service.reads.replica): the replica once it has
replayed the fence (the last position the process wrote or heard of) and `min_position`, else
the store; a replica that fails is passed over for a second; one not open yet is never read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from service.reads import replica as replica_module
from service.reads.replica import ReadReplica, ReplicaStatus


class FakeRecorder:
    """The replica's events table: positions it reaches, one per read (the last repeats)."""

    def __init__(self, positions: list[int | Exception]) -> None:
        self.positions = positions
        self.reads = 0

    def max_notification_id(self) -> int:
        self.reads += 1
        position = self.positions[min(self.reads, len(self.positions)) - 1]
        if isinstance(position, Exception):
            raise position
        return position


def replica_reads(positions: list[int | Exception], *, heard: int = 0, written: int = 0,
                  live: bool = True, patience: float = 0.5) -> tuple[ReadReplica, Any, Any]:
    primary = SimpleNamespace(writer=SimpleNamespace(last_written=written))
    replica = SimpleNamespace(recorder=FakeRecorder(positions), close=lambda: None)
    feed: Any = SimpleNamespace(heard=heard, cache=SimpleNamespace(live=live))
    reads = ReadReplica(primary, lambda: replica, feed, patience)
    reads.replica = replica  # opened
    return reads, primary, replica


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(replica_module, "POLL_SECONDS", 0.001)
    yield


def test_the_replica_is_read_once_it_has_replayed_what_the_process_wrote_and_heard_of() -> None:
    reads, _, replica = replica_reads([5, 6, 7], heard=6, written=7)

    assert reads.source() is replica
    assert (replica.recorder.reads, reads.reached) == (3, 7)
    assert reads.source() is replica  # known to be there: no round trip
    assert replica.recorder.reads == 3


def test_min_position_beyond_the_fence_is_waited_for_too() -> None:
    reads, _, replica = replica_reads([7, 8, 9], heard=7)

    assert reads.source(min_position=9) is replica
    assert replica.recorder.reads == 3


def test_a_replica_that_does_not_replay_in_time_leaves_the_read_to_the_store() -> None:
    reads, primary, _ = replica_reads([4], written=5, patience=0.1)
    started = time.monotonic()

    assert reads.source() is primary
    assert 0.09 <= time.monotonic() - started < 0.5
    assert reads.source(min_position=3, patience=0.0) is primary  # a shorter patience rules


def test_without_a_live_feed_or_an_open_replica_every_read_goes_to_the_store() -> None:
    not_live, primary, replica = replica_reads([10], live=False)
    not_open, other_primary, _ = replica_reads([10])
    not_open.replica = None

    assert not_live.source() is primary
    assert not_open.source() is other_primary
    assert replica.recorder.reads == 0
    assert not_open.status(1.0) == ReplicaStatus(None)


def test_a_replica_that_fails_is_passed_over_for_a_while_then_tried_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads, primary, replica = replica_reads([psycopg.OperationalError("refused"), 3], heard=3)
    monkeypatch.setattr(replica_module, "RETRY_SECONDS", 0.2)

    assert reads.source() is primary
    assert reads.source() is primary  # not asked again meanwhile
    assert replica.recorder.reads == 1
    time.sleep(0.25)
    assert reads.source() is replica
    assert replica.recorder.reads == 2


def test_the_status_tells_the_replicas_lag_or_that_it_does_not_answer() -> None:
    assert ReplicaStatus(7).checks(10) == {"read_replica": "ok", "read_replica_lag": 3}
    assert ReplicaStatus(None).checks(10) == {"read_replica": "unavailable"}


def test_a_replica_that_cannot_be_opened_is_tried_again_until_it_can(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica_module, "RETRY_SECONDS", 0.01)
    attempts: list[int] = []
    opened = SimpleNamespace(close=lambda: None)

    def open_replica() -> Any:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError("connection refused")
        return opened

    feed: Any = SimpleNamespace(heard=0, cache=SimpleNamespace(live=True))
    reads = ReadReplica(SimpleNamespace(), open_replica, feed, 1.0).start()
    deadline = time.monotonic() + 5
    while reads.replica is None and time.monotonic() < deadline:
        time.sleep(0.01)
    reads.close()

    assert (reads.replica, len(attempts)) == (opened, 3)


def test_an_empty_ledgers_replica_is_checked_before_it_is_first_read() -> None:
    broken, primary, replica = replica_reads([psycopg.OperationalError("no such database")])
    answering, _, other = replica_reads([0])

    assert broken.source() is primary  # the fence is 0, but the replica has not answered yet
    assert answering.source() is other
    assert (replica.recorder.reads, other.recorder.reads) == (1, 1)
