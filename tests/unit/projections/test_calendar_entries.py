"""The obligations calendar: every dated obligation, its status on the reference date, the
event that fulfilled it, and identifiers that stay put."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from projection_builders import ProjectBuilder

from projections.calendar import calendar_entries, entry_uid


def entries(builder: ProjectBuilder, on: date) -> list[dict[str, Any]]:
    return calendar_entries(builder.state(), on)


def brief(builder: ProjectBuilder, on: date) -> list[tuple[date, str, str, str]]:
    return [(e["date"], e["kind"], e["title"], e["status"]) for e in entries(builder, on)]


def by_kind(builder: ProjectBuilder, on: date, kind: str) -> list[dict[str, Any]]:
    return [e for e in entries(builder, on) if e["kind"] == kind]


def test_every_obligation_of_a_fresh_project_is_pending_in_date_order() -> None:
    builder = ProjectBuilder(sustainability_years=1)

    assert brief(builder, date(2016, 4, 1)) == [
        (date(2017, 5, 30), "claim_deadline", "Payment claim for stage 1 due", "pending"),
        (date(2017, 5, 30), "report_due",
         "Report ZOR-1 due (implementation report, 2016-04-01 – 2017-03-31)", "pending"),
        (date(2017, 9, 30), "activity_end",
         "Activity 3.4 to be completed: Obtaining the ECEI Bronze Label", "pending"),
        (date(2017, 9, 30), "milestone_due", "Milestone ECEI_BRONZE due: ECEI Bronze Label "
         "obtained", "pending"),
        (date(2018, 3, 31), "activity_end", "Activity 3 to be completed: Promoting NEK abroad",
         "pending"),
        (date(2018, 5, 30), "final_claim_deadline", "Final payment claim due", "pending"),
        (date(2018, 5, 30), "report_due",
         "Report ZZOR due (final implementation report, 2017-04-01 – 2018-03-31)", "pending"),
        (date(2019, 3, 31), "sustainability_end",
         "Sustainability period ends (1 year after the realisation)", "pending"),
        (date(2019, 4, 30), "report_due",
         "Report ZZOU due (final sustainability report, 2018-04-01 – 2019-03-31)", "pending"),
        (date(2033, 12, 31), "retention_end", "Project documents kept until this day",
         "pending"),
    ]


@pytest.mark.parametrize(("on", "status"), [(date(2017, 9, 30), "pending"),
                                            (date(2017, 10, 1), "overdue")])
def test_an_obligation_not_met_is_overdue_the_day_after_its_date(on: date, status: str) -> None:
    (milestone,) = by_kind(ProjectBuilder(), on, "milestone_due")

    assert (milestone["status"], milestone["refs"]) == (
        status, [{"type": "milestone", "id": "ECEI_BRONZE"}])


def test_a_met_obligation_is_done_from_its_day_and_names_the_event() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))
    builder.complete("3.4", date(2017, 10, 5))
    builder.achieve("ECEI_BRONZE", date(2017, 9, 20))

    rows = {on: {e["kind"]: (e["status"], e["refs"]) for e in entries(builder, on)
                 if e["refs"] and e["refs"][0]["id"] in ("3.4", "ECEI_BRONZE")}
            for on in (date(2017, 9, 19), date(2017, 9, 20), date(2017, 10, 5))}

    assert rows == {
        date(2017, 9, 19): {"activity_end": ("pending", [{"type": "activity", "id": "3.4"}]),
                            "milestone_due": ("pending",
                                              [{"type": "milestone", "id": "ECEI_BRONZE"}])},
        date(2017, 9, 20): {"activity_end": ("pending", [{"type": "activity", "id": "3.4"}]),
                            "milestone_due": ("done", [{"type": "milestone", "id": "ECEI_BRONZE"},
                                                       {"type": "event", "id": "4"}])},
        date(2017, 10, 5): {"activity_end": ("done", [{"type": "activity", "id": "3.4"},
                                                      {"type": "event", "id": "3"}]),
                            "milestone_due": ("done", [{"type": "milestone", "id": "ECEI_BRONZE"},
                                                       {"type": "event", "id": "4"}])},
    }


def test_claim_deadlines_are_done_by_the_stages_claim_and_the_final_claim() -> None:
    builder = ProjectBuilder()
    first = builder.expense("TRAVEL", "100.00")
    second = builder.expense("RENT", "50.00")
    builder.submit("1", first, stage="1", submitted_on=date(2017, 5, 30))
    builder.submit("2", second, stage="2", final=True, submitted_on=date(2018, 5, 31))

    claims = [(e["kind"], e["date"], e["status"], e["refs"])
              for e in entries(builder, date(2018, 6, 1))
              if e["kind"] in ("claim_deadline", "final_claim_deadline")]

    assert claims == [
        ("claim_deadline", date(2017, 5, 30), "done",
         [{"type": "claim", "id": "1"}, {"type": "event", "id": "4"}]),
        ("final_claim_deadline", date(2018, 5, 30), "done",
         [{"type": "claim", "id": "2"}, {"type": "event", "id": "5"}]),
    ]


def test_reports_are_done_once_submitted_and_pending_again_when_returned() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 2))
    builder.return_report("ZOR-1", date(2017, 5, 10))

    states = [(e["status"], e["refs"]) for on in (date(2017, 5, 9), date(2017, 5, 10),
                                                 date(2017, 5, 31))
              for e in by_kind(builder, on, "report_due")[:1]]

    assert states == [
        ("done", [{"type": "report", "id": "ZOR-1"}, {"type": "event", "id": "2"}]),
        ("pending", [{"type": "report", "id": "ZOR-1"}]),
        ("overdue", [{"type": "report", "id": "ZOR-1"}]),
    ]


def test_the_years_after_the_project_are_done_once_their_day_has_passed() -> None:
    builder = ProjectBuilder(sustainability_years=2)

    later = {on: [(e["kind"], e["status"]) for e in entries(builder, on)
                  if e["kind"] in ("sustainability_end", "retention_end")]
             for on in (date(2020, 3, 31), date(2020, 4, 1))}

    assert later == {
        date(2020, 3, 31): [("sustainability_end", "pending"), ("retention_end", "pending")],
        date(2020, 4, 1): [("sustainability_end", "done"), ("retention_end", "pending")],
    }


def test_a_later_end_moves_the_dates_but_not_the_identifiers() -> None:
    builder = ProjectBuilder()
    before = {e["uid"]: e["date"] for e in entries(builder, date(2018, 1, 1))}
    builder.change_end(date(2018, 6, 30))

    after = {e["uid"]: e["date"] for e in entries(builder, date(2018, 1, 1))}

    assert (sorted(after) == sorted(before),
            {uid: (before[uid], after[uid]) for uid in after if before[uid] != after[uid]}) == (
        True, {
            entry_uid(builder.project.id, "final_claim_deadline", "final"): (
                date(2018, 5, 30), date(2018, 8, 29)),
            entry_uid(builder.project.id, "report_due", "ZZOR"): (
                date(2018, 5, 30), date(2018, 8, 29)),
            **{entry_uid(builder.project.id, "report_due", code): (
                date(2018 + n, 4, 30), date(2018 + n, 7, 30))
               for n, code in enumerate(["ZOU-1", "ZOU-2", "ZOU-3", "ZOU-4", "ZZOU"], start=1)},
            entry_uid(builder.project.id, "sustainability_end", "sustainability"): (
                date(2023, 3, 31), date(2023, 6, 30)),
        })


def test_identifiers_are_unique_and_differ_between_projects() -> None:
    nek = ProjectBuilder()
    other = ProjectBuilder(registration_number="CZ.01.1.02/0.0/0.0/15_009/0009999")

    nek_uids = [e["uid"] for e in entries(nek, date(2018, 1, 1))]
    other_uids = [e["uid"] for e in entries(other, date(2018, 1, 1))]

    assert (len(set(nek_uids)), set(nek_uids) & set(other_uids),
            all(uid.endswith("@grantledger") for uid in nek_uids)) == (len(nek_uids), set(), True)
