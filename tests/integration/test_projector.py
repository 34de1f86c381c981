"""The projector: materialised views equal the replayed ones, exactly once, across crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import pytest
from support import make_settings

from domain.commands import (
    AchieveMilestone,
    ApproveClaim,
    ApproveReport,
    ChangeBudget,
    ChangeRealisationEnd,
    CompleteActivity,
    CorrectExpense,
    ImposeCorrection,
    PayExpense,
    PaySubsidy,
    ProjectCommand,
    RecordExpense,
    RegisterProject,
    ReturnReport,
    ReverseExpense,
    StartActivity,
    SubmitClaim,
    SubmitReport,
)
from projections import fold_as_of
from projections.materialise import REGISTRATION_EVENTS, VIEWS, ProjectFolds
from service import application as application_module
from service.application import LedgerApplication, Outcome
from service.bootstrap import open_ledger
from service.demo import NEK_REGISTRATION
from service.principals import Actor
from service.reads import projector as projector_module
from service.reads.projector import NAME, Projector
from service.reads.rendering import VIEWS_FORMAT, render

ON = date(2018, 3, 1)
ADMIN = Actor.static("tester", "admin")


def make_application(url: str) -> LedgerApplication:
    return open_ledger(make_settings(url))


def record_every_event_type(app: LedgerApplication, number: str = "CZ.TEST/1") -> UUID:
    """One project whose history of 21 events holds each of the sixteen event types."""
    project_id = app.register(RegisterProject({**NEK_REGISTRATION, "registration_number": number,
                                               "latest_end": date(2018, 12, 31)}), ADMIN).project.id

    def run(command: type[ProjectCommand], **fields: Any) -> None:
        app.handle(command(project_id=project_id, **fields), ADMIN)

    ids = [uuid5(project_id, str(n)) for n in range(3)]
    for n, expense_id in enumerate(ids):
        run(RecordExpense, expense_id=expense_id, document_number=f"FV-{n}",
            document_type="invoice", supplier={"name": "S", "ico": "12345678", "country": "CZ"},
            description="d", budget_line="TRAVEL", tax_point_date=date(2016, 6, 1 + n),
            amount_net=Decimal("1000.00"), vat=Decimal("210.00"), activity="2")
    run(PayExpense, expense_id=ids[0], paid_on=date(2016, 7, 1))
    run(PayExpense, expense_id=ids[1], paid_on=date(2016, 7, 1))
    run(CorrectExpense, expense_id=ids[1], changes={"amount_net": Decimal("900.00")},
        reason="credit")
    run(ReverseExpense, expense_id=ids[2], reason="duplicate")
    run(StartActivity, activity="2", started_on=date(2016, 6, 1))
    run(CompleteActivity, activity="2", completed_on=date(2018, 1, 10))
    run(AchieveMilestone, milestone="ECEI_BRONZE", achieved_on=date(2018, 2, 15))
    run(ChangeBudget, change_id="C1", kind="approved", reference="R", reason="why",
        transfers=[{"from_line": "RENT", "to_line": "TRAVEL", "amount": Decimal("1000.00")}])
    run(ChangeRealisationEnd, new_end=date(2018, 6, 30), reference="amendment 2")
    run(SubmitClaim, claim_number="1", stage="1", submitted_on=date(2017, 4, 20),
        final=False, expense_ids=ids[:2])
    run(ApproveClaim, claim_number="1", approved_on=date(2017, 6, 1), exclusions=[])
    run(PaySubsidy, claim_number="1", amount=Decimal("900.00"), paid_on=date(2017, 6, 20))
    run(ImposeCorrection, correction_id="K1", finding="F", expense_ids=[ids[0]],
        amount=Decimal("100.00"), decided_on=date(2018, 1, 5), reason="late tender")
    for submitted_on, partners in ((date(2017, 5, 2), "2"), (date(2017, 5, 20), "3")):
        run(SubmitReport, report="ZOR-1", submitted_on=submitted_on, narrative=None,
            indicator_values=[{"code": "PARTNERS", "value": Decimal(partners), "comment": "c"},
                              {"code": "PROPOSALS", "value": Decimal("0"), "comment": "c"}])
        if partners == "2":
            run(ReturnReport, report="ZOR-1", decided_on=date(2017, 5, 10), reason="thin")
    run(ApproveReport, report="ZOR-1", decided_on=date(2017, 6, 1))
    return project_id


def record_expenses(app: LedgerApplication, project_id: UUID, count: int,
                    start: int = 0) -> list[Outcome]:
    return [
        app.handle(RecordExpense(
            project_id=project_id, expense_id=uuid5(project_id, f"x{n}"),
            document_number=f"FX-{n}", document_type="invoice",
            supplier={"name": "S", "ico": "12345678", "country": "CZ"}, description="d",
            budget_line="TRAVEL", tax_point_date=date(2016, 6, 1), amount_net=Decimal("10.00"),
            vat=Decimal("0.00"), activity="2"), ADMIN)
        for n in range(start, start + count)]


def assert_views_equal_replayed(app: LedgerApplication, on: date) -> None:
    for project_id in app.project_ids():
        state = app.project_state(project_id)
        for name, view in VIEWS.items():
            stored = app.queries.stored_view(project_id, name)
            assert stored is not None, (project_id, name)
            assert (stored.position, stored.on) == (state.position, on)
            assert stored.body == render(name, view(state, on)), (project_id, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def application(store_url: str) -> Iterator[LedgerApplication]:
    app = make_application(store_url)
    yield app
    app.close()


def test_the_projector_renders_every_event_type_as_the_replay_does(
        application: LedgerApplication) -> None:
    record_every_event_type(application)

    applied = Projector(application, today=lambda: ON).catch_up()

    assert applied == application.recorder.max_notification_id() == 21
    assert_views_equal_replayed(application, ON)


def test_a_second_projector_at_the_same_time_is_harmless(
        application: LedgerApplication) -> None:
    for n in range(4):
        record_every_event_type(application, f"CZ.TEST/{n}")
    projectors = [Projector(application, batch=5, today=lambda: ON) for _ in range(2)]

    threads = [threading.Thread(target=p.catch_up) for p in projectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert application.queries.projection_position(NAME) == 4 * 21
    assert_views_equal_replayed(application, ON)


def test_a_new_day_renders_every_view_again(application: LedgerApplication) -> None:
    record_every_event_type(application)
    days = iter([ON, date(2018, 9, 1)])
    projector = Projector(application, today=lambda: next(days))
    projector.catch_up()

    projector.run_once()

    assert_views_equal_replayed(application, date(2018, 9, 1))


def test_a_new_day_renders_a_chunk_of_projects_at_a_time_keeping_few_states(
        application: LedgerApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projector_module, "RERENDER_CHUNK", 2)
    for n in range(5):
        record_every_event_type(application, f"CZ.TEST/{n}")
    days = iter([ON, date(2018, 9, 1)])
    projector = Projector(application, today=lambda: next(days))
    projector.folds = ProjectFolds(projector.folds._load, retained=21 + REGISTRATION_EVENTS)
    projector.catch_up()
    kept_after_catch_up = len(projector.folds)
    saved: list[int] = []
    save = application.queries.save_projection_batch
    monkeypatch.setattr(application.queries, "save_projection_batch",
                        lambda *args: saved.append(len(args[3])) or save(*args))

    projector.run_once()

    assert (kept_after_catch_up, len(projector.folds)) == (1, 1)
    assert saved == [2 * len(VIEWS), 2 * len(VIEWS), len(VIEWS)]
    assert_views_equal_replayed(application, date(2018, 9, 1))


def test_a_restarted_projector_renders_nothing_again_on_the_day_its_views_are_for(
        application: LedgerApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    record_every_event_type(application)
    Projector(application, today=lambda: ON).catch_up()
    restarted = Projector(application, today=lambda: ON)
    next_day = Projector(application, today=lambda: date(2018, 9, 1))
    saved: list[int] = []
    save = application.queries.save_projection_batch
    monkeypatch.setattr(application.queries, "save_projection_batch",
                        lambda *args: saved.append(len(args[3])) or save(*args))

    applied = restarted.run_once()
    next_day.run_once()

    assert (applied, restarted.rendered_on, saved) == (0, ON, [len(VIEWS)])
    assert_views_equal_replayed(application, date(2018, 9, 1))


def test_a_projector_finding_views_of_an_older_shape_renders_every_project_again(
        application: LedgerApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    record_every_event_type(application)
    Projector(application, today=lambda: ON).catch_up()
    application.queries.save_views_format(1)  # as if rendered before an upgrade
    restarted = Projector(application, today=lambda: ON)
    saved: list[int] = []
    save = application.queries.save_projection_batch
    monkeypatch.setattr(application.queries, "save_projection_batch",
                        lambda *args: saved.append(len(args[3])) or save(*args))

    applied = restarted.run_once()
    again = Projector(application, today=lambda: ON)

    assert (applied, saved, application.queries.views_format(), again.rendered_on) == (
        0, [len(VIEWS)], VIEWS_FORMAT, ON)
    assert_views_equal_replayed(application, ON)


def test_a_killed_projector_resumes_and_applies_each_event_exactly_once(
        store_url: str, application: LedgerApplication, tmp_path: Path) -> None:
    for n in range(40):
        record_every_event_type(application, f"CZ.TEST/{n}")
    head = application.recorder.max_notification_id()
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": store_url,
           "GRANTLEDGER_PROJECTOR_BATCH": "10"}

    first = subprocess.Popen([sys.executable, "-m", "service.cli", "projector"], env=env,
                             cwd=tmp_path, stderr=subprocess.DEVNULL)
    _wait_for(lambda: application.queries.projection_position(NAME) > 0, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = application.queries.projection_position(NAME)
    second = Projector(application)
    second.catch_up()

    assert 0 < killed_at < head
    assert application.queries.projection_position(NAME) == head
    assert_views_equal_replayed(application, second.rendered_on or ON)


def _wait_for(condition: object, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the projector exited early"
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.001)
    pytest.fail("the projector made no progress within 30 s")


def test_an_as_of_read_from_a_checkpoint_equals_the_full_replay(
        application: LedgerApplication) -> None:
    project_id = record_every_event_type(application)
    moments = [outcome.project.modified_on
               for outcome in record_expenses(application, project_id, 300)]
    Projector(application, batch=10, today=lambda: ON).catch_up()
    as_of = moments[-20]
    checkpoint = application.queries.latest_checkpoint(project_id, recorded_by=as_of)

    from_checkpoint = application.project_state(project_id, as_of=as_of)

    replayed = fold_as_of(application.positioned_events(project_id), as_of)
    assert checkpoint is not None and 250 <= checkpoint.version < 260
    assert from_checkpoint == replayed
    assert from_checkpoint.version == 21 + 281


def test_the_projector_takes_the_aggregate_snapshots_that_fall_due(
        application: LedgerApplication, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = record_every_event_type(application)
    taken = spy_on_snapshots(application, monkeypatch)
    projector = Projector(application, batch=5, today=lambda: ON, snapshot_every=8, spacing=0)
    now = [100.0]  # the next also waits twenty times what it is expected to cost
    projector.snapshots.clock = lambda: now[0]

    projector.catch_up()  # due at versions 8 and 16: both times the project stood at 21
    record_expenses(application, project_id, 9)  # versions 22 to 30: due again at 24
    now[0] = 200.0
    projector.catch_up()

    assert application.snapshots is not None
    stored = [s.originator_version for s in application.snapshots.get(project_id)]
    from_snapshot = loaded_cold(store_url, project_id)
    assert (taken, stored) == ([21, 30], [21, 30])
    assert vars(from_snapshot) == vars(application.repository.get(project_id))


def test_a_projects_next_snapshot_waits_for_the_spacing_after_its_last(
        application: LedgerApplication, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = record_every_event_type(application)
    taken = spy_on_snapshots(application, monkeypatch)
    projector = Projector(application, batch=5, today=lambda: ON, snapshot_every=8, spacing=10)
    now = [100.0]
    projector.snapshots.clock = lambda: now[0]

    projector.catch_up()  # due at 8 and 16: taken at 21, at 100 s
    record_expenses(application, project_id, 9)  # crosses 24 at 105 s: not yet
    now[0] = 105.0
    projector.catch_up()
    record_expenses(application, project_id, 1, start=9)  # 31 at 110 s: the one that waited
    now[0] = 110.0
    projector.catch_up()

    from_snapshot = loaded_cold(store_url, project_id)
    assert taken == [21, 31]
    assert vars(from_snapshot) == vars(application.repository.get(project_id))


def loaded_cold(store_url: str, project_id: UUID) -> Any:
    """The project as a process with an empty aggregate cache loads it: from its snapshot."""
    cold = make_application(store_url)
    try:
        return cold.repository.get(project_id)
    finally:
        cold.close()


def spy_on_snapshots(application: LedgerApplication,
                     monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The versions the projector snapshots, in order."""
    taken: list[int] = []
    take = application.snapshot

    def snapshot(project_id: UUID, since: Any = None) -> Any:
        project = take(project_id, since)
        taken.append(project.version)
        return project

    monkeypatch.setattr(application, "snapshot", snapshot)
    return taken


def test_a_state_read_a_page_of_events_at_a_time_equals_the_whole_fold(
        application: LedgerApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application_module, "EVENTS_PAGE", 4)
    project_id = record_every_event_type(application)
    pairs = application.positioned_events(project_id)
    middle_position, middle = pairs[8]

    assert application.project_state(project_id) == fold_as_of(pairs, None)
    assert application.project_state(project_id, as_of=middle.timestamp) == fold_as_of(
        pairs, middle.timestamp)
    assert application.project_state(project_id, up_to_position=middle_position) == \
        fold_as_of(pairs[:9], None)
