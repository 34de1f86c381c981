"""The obligations calendar (DOMAIN.md, "Obligations calendar"): every dated obligation of a
project with its status on the reference date and the event that fulfilled it.

Obligations: each activity's planned end, each milestone's due date, each stage's claim
deadline (the last stage's is the final claim deadline), each report's due date, the end of
sustainability and the date documents are kept to. An entry's `uid` depends only on the
project and what the entry is (never on its date or status), so a calendar app updates the
entry when the date moves or the status changes instead of adding another.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.reporting import sustainability_end
from projections.flags import Ref, event_refs, ref
from projections.ledger import ClaimState, LedgerState
from projections.reports import KIND_NAMES, reports_on
from projections.schedule import claim_deadline, documents_kept_until, happened_by

Entry = dict[str, Any]
DONE, PENDING, OVERDUE = "done", "pending", "overdue"
REPORT_STATES = {"submitted": DONE, "approved": DONE, "pending": PENDING, "returned": PENDING,
                 "overdue": OVERDUE}
UID_NAMESPACE = uuid5(NAMESPACE_URL, "https://grantledger/calendar")


def entry_uid(project_id: UUID | None, kind: str, key: str) -> str:
    """A stable identifier: of the project, the kind of obligation and what it is about."""
    return f"{uuid5(UID_NAMESPACE, f'{project_id}/{kind}/{key}')}@grantledger"


def calendar_entries(state: LedgerState, on: date) -> list[Entry]:
    """Every obligation with its status on `on`, by date (then kind and title)."""
    entries = [*_activities(state, on), *_milestones(state, on), *_claims(state, on),
               *_reports(state, on), *_after_the_project(state, on)]
    return sorted(entries, key=lambda e: (e["date"], e["kind"], e["title"]))


def _entry(state: LedgerState, kind: str, key: str, day: date, title: str, status: str,
           refs: list[Ref]) -> Entry:
    return {"uid": entry_uid(state.project_id, kind, key), "date": day, "kind": kind,
            "title": title, "status": status, "refs": refs}


def _status(done: bool, day: date, on: date) -> str:
    if done:
        return DONE
    return OVERDUE if on > day else PENDING


def _activities(state: LedgerState, on: date) -> Iterator[Entry]:
    for a in state.activities.values():
        done = happened_by(a.completed_on, on) is not None
        yield _entry(state, "activity_end", a.code, a.planned_end,
                     f"Activity {a.code} to be completed: {a.title}",
                     _status(done, a.planned_end, on),
                     [ref("activity", a.code),
                      *event_refs(a.completed_position if done else None)])


def _milestones(state: LedgerState, on: date) -> Iterator[Entry]:
    for m in state.milestones.values():
        done = happened_by(m.achieved_on, on) is not None
        yield _entry(state, "milestone_due", m.code, m.due,
                     f"Milestone {m.code} due: {m.title}", _status(done, m.due, on),
                     [ref("milestone", m.code),
                      *event_refs(m.achieved_position if done else None)])


def _claims(state: LedgerState, on: date) -> Iterator[Entry]:
    """A claim deadline for each stage that has begun by the current end but the last, whose
    claim is the final claim."""
    project = state.project
    stages = [s for s in project.stages if s.start <= project.realisation_end]
    days = timedelta(days=project.claim_deadline_days)
    for stage in stages[:-1]:
        claim = _first_claim(state, on, stage.code)
        deadline = stage.end + days
        yield _entry(state, "claim_deadline", stage.code, deadline,
                     f"Payment claim for stage {stage.code} due",
                     _status(claim is not None, deadline, on), _claim_refs(claim))
    final = _first_claim(state, on, None)
    deadline = claim_deadline(project)
    yield _entry(state, "final_claim_deadline", "final", deadline, "Final payment claim due",
                 _status(final is not None, deadline, on), _claim_refs(final))


def _first_claim(state: LedgerState, on: date, stage: str | None) -> ClaimState | None:
    """The first claim submitted by `on` for the stage (None: the final claim)."""
    return next((c for c in state.claims.values() if c.submitted_on <= on
                 and (c.final if stage is None else c.stage == stage)), None)


def _claim_refs(claim: ClaimState | None) -> list[Ref]:
    if claim is None:
        return []
    return [ref("claim", claim.claim_number), *event_refs(claim.submitted_position)]


def _reports(state: LedgerState, on: date) -> Iterator[Entry]:
    for r in reports_on(state, on):
        status = REPORT_STATES[r.status]
        fulfilled = r.submission.position if status == DONE and r.submission else None
        yield _entry(state, "report_due", r.report.code, r.report.due,
                     f"Report {r.report.code} due ({KIND_NAMES.get(r.report.kind, 'report')}, "
                     f"{r.report.period_start} – {r.report.period_end})", status,
                     [ref("report", r.report.code), *event_refs(fulfilled)])


def _after_the_project(state: LedgerState, on: date) -> Iterator[Entry]:
    """The end of sustainability and of document retention: done once the day has passed."""
    project = state.project
    ends = sustainability_end(project.realisation_end, project.sustainability_years)
    years = project.sustainability_years
    yield _entry(state, "sustainability_end", "sustainability", ends,
                 f"Sustainability period ends ({years} year{'' if years == 1 else 's'} after "
                 "the realisation)", DONE if on > ends else PENDING, [])
    kept = documents_kept_until(state, on)
    yield _entry(state, "retention_end", "retention", kept,
                 "Project documents kept until this day", DONE if on > kept else PENDING, [])
