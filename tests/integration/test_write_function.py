"""A project's write on PostgreSQL: one round trip to the server (`grantledger_write`), which
checks the version the writer decided on and the request keys in hand, stores the events, the
answers with their positions and the grants, and notifies; and the global log's order under
many writers at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

import psycopg
import pytest
from api_builders import expense_body, post, project_path, register_nek
from eventsourcing.persistence import StoredEvent
from flask.testing import FlaskClient
from support import make_settings
from tcp_proxy import PostgresProxy
from write_commands import ACCOUNTANT, expense, writes_counted

from domain.commands import GrantAccess, RegisterProject
from service import writer
from service.application import LedgerApplication
from service.bootstrap import open_ledger
from service.demo import NEK_REGISTRATION
from service.metrics import DECIDED_AGAIN
from service.principals import Actor
from service.store import writes
from service.store.access import AccessChange
from service.store.writes import IdempotencyRecord, Marks, Write
from service.writer import AnsweredBeforeError, IdempotentRequest, Outcome

pytestmark = pytest.mark.postgres
MANAGER = Actor.static("m", "manager")


@dataclass
class Proxied:
    ledger: LedgerApplication
    proxy: PostgresProxy


@pytest.fixture
def proxied(postgres_url: str) -> Iterator[Proxied]:
    proxy = PostgresProxy(5432)
    ledger = open_ledger(make_settings(proxy.url(postgres_url.rsplit("/", 1)[1])))
    yield Proxied(ledger, proxy)
    ledger.close()
    proxy.close()


@pytest.fixture
def ledger(postgres_url: str) -> Iterator[LedgerApplication]:
    application = open_ledger(make_settings(postgres_url))
    yield application
    application.close()


def register(ledger: LedgerApplication, n: int = 0) -> UUID:
    registration = {**NEK_REGISTRATION,
                    "registration_number": f"{NEK_REGISTRATION['registration_number']}-{n}"}
    return ledger.register(RegisterProject(registration), MANAGER).project.id


def keyed(key: str) -> IdempotentRequest[Outcome]:
    return IdempotentRequest("eva", key, "fingerprint", lambda outcome: (
        201, json.dumps({"position": outcome.position, "positions": list(outcome.positions)}),
        f"/expenses?at={outcome.position}"))


def test_a_command_to_a_project_the_process_holds_is_one_round_trip(proxied: Proxied) -> None:
    project_id = register(proxied.ledger)
    proxied.ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT)  # the pool and cache warm
    before = proxied.proxy.turns

    outcome = proxied.ledger.handle(expense(project_id, "FV-2"), ACCOUNTANT, keyed("k-2"))

    turns = proxied.proxy.turns - before
    stored = proxied.ledger.queries.idempotency_record("eva", "k-2")
    assert turns == 1
    assert stored == IdempotencyRecord(
        "eva", "k-2", "fingerprint", 201,
        json.dumps({"position": outcome.position, "positions": [outcome.position]}),
        f"/expenses?at={outcome.position}")


@pytest.mark.parametrize(("heard", "decided_again"), [(False, 1), (True, 0)])
def test_a_project_moved_on_by_another_process_costs_one_more_round_trip_and_no_retry_pause(
        proxied: Proxied, postgres_url: str, heard: bool, decided_again: int) -> None:
    """Not heard of, the write is answered the newer events and decided again; heard of (as
    the view feed hears appends), they are read before the one decision."""
    project_id = register(proxied.ledger)
    proxied.ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT)
    other = open_ledger(make_settings(postgres_url))
    try:
        moved = other.handle(expense(project_id, "FV-OTHER"), ACCOUNTANT)
    finally:
        other.close()
    if heard:
        proxied.ledger.writer.heard({project_id: moved.position})
    before, counted = proxied.proxy.turns, DECIDED_AGAIN._value.get()

    outcome = proxied.ledger.handle(expense(project_id, "FV-2"), ACCOUNTANT)

    turns = proxied.proxy.turns - before
    assert (turns, DECIDED_AGAIN._value.get() - counted) == (2, decided_again)
    assert (moved.project.version, outcome.project.version, outcome.position > moved.position,
            sorted(e.document_number for e in outcome.project.expenses.values())) == (
        3, 4, True, ["FV-1", "FV-2", "FV-OTHER"])


def test_after_a_lost_race_a_batch_goes_in_turn_and_is_decided_once(
        proxied: Proxied, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Having lost a race to another process, the writer takes the project's lock before its
    next large decision there, reads what the other process wrote meanwhile and decides once:
    five round trips (BEGIN, the lock, the read, the call, COMMIT). A single command still
    goes the one-trip way, and so does a batch once the contention is over."""
    project_id = register(proxied.ledger)
    proxied.ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT)
    other = open_ledger(make_settings(postgres_url))
    try:
        other.handle(expense(project_id, "FV-OTHER-1"), ACCOUNTANT)
        proxied.ledger.handle(expense(project_id, "FV-2"), ACCOUNTANT)  # loses, decides again
        moved = other.handle(expense(project_id, "FV-OTHER-2"), ACCOUNTANT)
        before, counted = proxied.proxy.turns, writes_counted()

        batch = proxied.ledger.handle_batch(
            [expense(project_id, f"FV-B{n}") for n in range(writer.IN_TURN_COMMANDS)],
            ACCOUNTANT)

        turns = proxied.proxy.turns - before
        counts = counted()
        other.handle(expense(project_id, "FV-OTHER-3"), ACCOUNTANT)
        before = proxied.proxy.turns
        single = proxied.ledger.handle(expense(project_id, "FV-3"), ACCOUNTANT)
        single_turns = proxied.proxy.turns - before
    finally:
        other.close()

    assert (turns, counts, single_turns) == (5, (0, 1), 2)
    assert (batch.project.version, batch.outcomes[0].position > moved.position,
            single.project.version) == (55, True, 57)
    assert sorted(e.document_number for e in single.project.expenses.values()) == sorted(
        ["FV-1", "FV-2", "FV-3", "FV-OTHER-1", "FV-OTHER-2", "FV-OTHER-3"]
        + [f"FV-B{n}" for n in range(writer.IN_TURN_COMMANDS)])

    monkeypatch.setattr(writer, "CONTENDED_SECONDS", 0.0)
    before = proxied.proxy.turns
    proxied.ledger.handle_batch(
        [expense(project_id, f"FV-C{n}") for n in range(writer.IN_TURN_COMMANDS)], ACCOUNTANT)
    assert proxied.proxy.turns - before == 1


def test_the_function_records_nothing_for_a_version_behind_and_answers_the_newer_events(
        ledger: LedgerApplication) -> None:
    project_id = register(ledger)
    ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT)
    head = ledger.recorder.max_notification_id()

    written = ledger.queries.commit_write(Write(project_id, 1, events=[
        StoredEvent(project_id, 2, "some:Event", b"{}")]))

    newest = ledger.queries.select_events(project_id, gt=1)
    assert (written.positions, written.latest, written.newer, written.records) == (
        None, 2, list(newest), {})
    assert ledger.recorder.max_notification_id() == head


def test_a_connection_keeps_its_cursor_for_the_call_until_one_answers_newer_events(
        ledger: LedgerApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register(ledger)
    ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT)
    with ledger.recorder.datastore.get_connection() as conn:
        first, again = writes._kept_cursor(conn), writes._kept_cursor(conn)
    used: list[psycopg.Cursor[object]] = []
    keep = writes._kept_cursor
    monkeypatch.setattr(writes, "_kept_cursor", lambda conn: used.append(keep(conn)) or used[-1])

    written = ledger.queries.commit_write(Write(project_id, 1, events=[
        StoredEvent(project_id, 2, "some:Event", b"{}")]))  # behind: answers version 2

    assert first is again and not first.closed
    assert (len(written.newer), used[0].closed, used[0] in writes._CURSORS.values()) == (
        1, True, False)


def test_the_function_answers_a_stored_answer_for_a_key_in_hand_and_records_nothing(
        ledger: LedgerApplication) -> None:
    project_id = register(ledger)
    first = ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT, keyed("k-1"))
    stored = ledger.queries.idempotency_record("eva", "k-1")

    written = ledger.queries.commit_write(Write(
        project_id, first.project.version, keys=[("eva", "k-1")],
        events=[StoredEvent(project_id, 3, "some:Event", b"{}")]))

    assert (written.positions, written.newer, written.records, written.latest) == (
        None, [], {("eva", "k-1"): stored}, 2)
    assert ledger.recorder.max_notification_id() == first.position


def test_a_retry_answered_from_its_stored_answer_is_not_counted_as_decided_again(
        ledger: LedgerApplication) -> None:
    project_id = register(ledger)
    ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT, keyed("k-1"))
    counted = DECIDED_AGAIN._value.get()

    with pytest.raises(AnsweredBeforeError) as answered:
        ledger.handle(expense(project_id, "FV-1"), ACCOUNTANT, keyed("k-1"))

    assert (answered.value.record, DECIDED_AGAIN._value.get()) == (
        ledger.queries.idempotency_record("eva", "k-1"), counted)


def test_a_write_stores_its_answers_with_their_positions_and_its_grants_and_notifies(
        ledger: LedgerApplication, postgres_url: str) -> None:
    project_id = register(ledger)
    marks = Marks.new()
    stand_ins = marks.positions(2)
    listener = psycopg.connect(postgres_url, autocommit=True)
    listener.execute("LISTEN ledgerapplication_events")
    listener.execute("LISTEN grantledger_access")
    record = IdempotencyRecord("eva", "k", "f", 201, json.dumps(
        {"first": stand_ins[0], "last": stand_ins[1], "text": marks.mark[1:]}),
        f"/x/{stand_ins[1]}")

    written = ledger.queries.commit_write(Write(
        project_id, 1, keys=[("eva", "k")],
        events=[StoredEvent(project_id, 2, "some:Event", b"{}"),
                StoredEvent(project_id, 3, "some:Event", b"{}")],
        records=[record],
        access=[AccessChange(project_id, "sub-1", "viewer", "Ann", "R-1", 1),
                AccessChange(project_id, "sub-2", None, "", "R-1", 0)],
        registration_number="R-1", marks=marks))

    assert written.positions is not None
    first, last = written.positions
    notified = sorted((n.channel, n.payload) for n in listener.notifies(timeout=5, stop_after=3))
    listener.close()
    assert (last - first, ledger.queries.idempotency_record("eva", "k")) == (1, IdempotencyRecord(
        "eva", "k", "f", 201, json.dumps({"first": first, "last": last,
                                          "text": marks.mark[1:]}), f"/x/{last}"))
    assert [(g.subject, g.role, g.name, g.registration_number, g.position)
            for g in ledger.queries.grants_of("sub-1")] == [("sub-1", "viewer", "Ann", "R-1",
                                                              last)]
    assert notified == [("grantledger_access", "sub-1"), ("grantledger_access", "sub-2"),
                        ("ledgerapplication_events", f"{project_id} {last}")]


def test_a_grant_written_through_the_writer_is_in_force_with_its_position(
        ledger: LedgerApplication) -> None:
    project_id = register(ledger)

    outcome = ledger.handle(GrantAccess(project_id=project_id, subject="sub-9", role="viewer",
                                        name="Ann"), MANAGER)

    assert [(g.project_id, g.role, g.position) for g in ledger.queries.grants_of("sub-9")] == [
        (project_id, "viewer", outcome.position)]


PROJECTS, THREADS, EXPENSES_EACH = 100, 16, 3


def test_many_writers_to_many_projects_never_let_a_reader_of_the_log_pass_over_an_event(
        ledger: LedgerApplication, postgres_url: str) -> None:
    """16 threads write to 100 projects while two readers follow the log as the projector
    (`select_notifications`) and `GET /events` (`global_events`) do: each reads after the last
    position it saw, so an event committed below a position already passed would be missed."""
    projects = [register(ledger, n) for n in range(PROJECTS)]
    writing = threading.Event()
    writing.set()
    seen: dict[str, list[int]] = {"notifications": [], "events": []}

    def follow(name: str, read: Callable[[int], list[int]]) -> None:
        after = ledger.recorder.max_notification_id() or 0
        while True:
            done = not writing.is_set()
            ids = read(after)
            seen[name].extend(ids)
            after = ids[-1] if ids else after
            if done and not ids:
                return

    readers = [threading.Thread(target=follow, args=("notifications", lambda after: [
        n.id for n in ledger.recorder.select_notifications(after, 500,
                                                           inclusive_of_start=False)])),
               threading.Thread(target=follow, args=("events", lambda after: [
                   position for position, _ in ledger.global_events(after, 500,
                                                                    only=set(projects))]))]
    start = ledger.recorder.max_notification_id() or 0
    for reader in readers:
        reader.start()

    def write(thread: int) -> int:
        count = 0
        for n in range(thread, PROJECTS * EXPENSES_EACH, THREADS):
            ledger.handle(expense(projects[n % PROJECTS], f"T{thread}-{n}"), ACCOUNTANT)
            count += 1
        return count

    with ThreadPoolExecutor(THREADS) as pool:
        written = sum(pool.map(write, range(THREADS)))
    writing.clear()
    for reader in readers:
        reader.join(timeout=60)

    logged = [n.id for n in ledger.recorder.select_notifications(start, 10_000,
                                                                 inclusive_of_start=False)]
    assert (written, len(logged)) == (PROJECTS * EXPENSES_EACH, PROJECTS * EXPENSES_EACH)
    assert seen == {"notifications": logged, "events": logged}


def test_a_batch_of_1000_stores_its_answer_with_each_of_its_1000_positions(
        pg_client: FlaskClient) -> None:
    project = register_nek(pg_client)
    items = [expense_body(document_number=f"B-{n}", amount_net="10.00") for n in range(1000)]
    path = project_path(project, "expenses/batch")

    first = post(pg_client, path, {"expenses": items}, "accountant", Idempotency_Key="b-1000")
    replay = post(pg_client, path, {"expenses": items}, "accountant", Idempotency_Key="b-1000")

    positions = [row["position"] for row in first.json["expenses"]]
    assert (first.status_code, replay.status_code, replay.headers["Idempotent-Replayed"]) == (
        201, 201, "true")
    assert replay.get_data() == first.get_data()
    assert positions == list(range(positions[0], positions[0] + 1000))
    assert first.json["position"] == positions[-1]
