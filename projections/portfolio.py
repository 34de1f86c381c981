"""One row of the portfolio: a project's key figures from the four views, for dashboards."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.money import ZERO
from projections.budget import budget_flags
from projections.figures import (
    LineFigures,
    budget_drawn,
    eligible_total,
    line_figures,
    total,
    uncapped_subsidy,
)
from projections.flags import Flag, count_by_rule, count_by_severity
from projections.indicators import indicators_on, shortfall_flag
from projections.ledger import LedgerState
from projections.reports import reports_on
from projections.schedule import activity_status, milestone_status, schedule_flags, time_elapsed
from projections.subsidy import subsidy_flags

LATE_MILESTONE_STATUSES = frozenset({"achieved_late", "overdue", "missed"})


def portfolio_row(
    state: LedgerState,
    on: date,
    *,
    lines: list[LineFigures] | None = None,
    budget_flag_list: list[Flag] | None = None,
) -> dict[str, Any]:
    """Figures as in the budget, subsidy, schedule and indicators views on `on`; the flag
    counts are over the four views' flags. `lines` and `budget_flag_list` are the state's line
    figures and budget flags on `on`, when the caller has them already."""
    project = state.project
    lines = line_figures(state) if lines is None else lines
    planned = total(lines, "planned")
    eligible = eligible_total(lines)
    uncapped = uncapped_subsidy(state, eligible)
    paid = sum((p.amount for p in state.payouts()), ZERO)
    corrections = sum((c.amount for c in state.corrections), ZERO)
    indicators = indicators_on(state, on)
    flags = [
        *(budget_flags(state, on, lines) if budget_flag_list is None else budget_flag_list),
        *subsidy_flags(state, eligible),
        *schedule_flags(state, on),
        *(shortfall_flag(state, i) for i in indicators if i.status == "shortfall"),
    ]
    errors, warnings = count_by_severity(flags)
    return {
        "project_id": state.project_id,
        "registration_number": project.registration_number,
        "acronym": project.acronym,
        "title": project.title,
        "beneficiary": project.beneficiary,
        "position": state.position,
        "version": state.version,
        "realisation_start": project.realisation_start,
        "realisation_end": project.realisation_end,
        "planned": planned,
        "eligible_capped": eligible,
        "utilisation": budget_drawn(lines),
        "entitlement": min(uncapped, project.max_subsidy),
        "max_subsidy": project.max_subsidy,
        "subsidy_paid": paid,
        "net_subsidy": paid - corrections,
        "cap_reached": uncapped >= project.max_subsidy,
        "time_elapsed": time_elapsed(project, on),
        "budget_drawn": budget_drawn(lines),
        "activities_overdue": sum(
            1 for a in state.activities.values() if activity_status(a, on)[0] == "overdue"
        ),
        "milestones_late_or_missed": sum(
            1
            for m in state.milestones.values()
            if milestone_status(m, on, project.realisation_end)[0] in LATE_MILESTONE_STATUSES
        ),
        "reports_overdue": sum(1 for r in reports_on(state, on) if r.status == "overdue"),
        "indicators_shortfall": sum(1 for i in indicators if i.status == "shortfall"),
        "flag_count": len(flags),
        "errors": errors,
        "warnings": warnings,
        "flags_by_rule": count_by_rule(flags),
    }
