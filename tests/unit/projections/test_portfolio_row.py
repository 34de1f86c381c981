"""A portfolio row: a project's key figures from the four views and its flag counts."""

from __future__ import annotations

from datetime import date

from projection_builders import NEK_NUMBER, D, at, nek_worked_example

from projections import budget_view, indicators_view, portfolio_row, schedule_view, subsidy_view


def test_the_row_carries_the_key_figures_of_the_views() -> None:
    builder, ids = nek_worked_example()
    travel = builder.expense("TRAVEL", "1.00", paid_on=None, when=at(date(2017, 1, 2)))
    builder.pay(travel, date(2017, 1, 3))
    personnel = ids["PERSONNEL"]
    builder.submit("1", personnel)
    builder.approve("1")
    builder.pay_subsidy("1", "1000000.00")
    builder.impose_correction("1000.00", personnel)
    builder.achieve("ECEI_BRONZE", date(2018, 2, 15))
    on = date(2018, 3, 1)
    state = builder.state()

    row = portfolio_row(state, on=on)

    assert row == {
        "project_id": builder.project.id,
        "registration_number": NEK_NUMBER,
        "acronym": "OPEIC",
        "title": "Development and strengthening of international cooperation of NEK",
        "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                        "vat_payer": True},
        "position": 15,
        "version": 15,
        "realisation_start": date(2016, 4, 1),
        "realisation_end": date(2018, 3, 31),
        "planned": D("7776200.00"),
        "eligible_capped": D("7696200.00"),
        "utilisation": D("0.9897"),
        "entitlement": D("3848100.00"),
        "max_subsidy": D("3888100.00"),
        "subsidy_paid": D("1000000.00"),
        "net_subsidy": D("999000.00"),
        "cap_reached": False,
        "time_elapsed": D("0.9588"),
        "budget_drawn": D("0.9897"),
        "activities_overdue": 1,
        "milestones_late_or_missed": 1,
        "reports_overdue": 1,
        "indicators_shortfall": 0,
        "flag_count": 6,
        "errors": 2,
        "warnings": 4,
        "flags_by_rule": {"ACTIVITY_OVERDUE": 1, "CLAIM_WITHOUT_REPORT": 1,
                          "EXPENSE_OUTSIDE_PERIOD": 1, "LINE_OVERRUN": 1, "MILESTONE_LATE": 1,
                          "REPORT_OVERDUE": 1},
    }
    flags = [
        f["rule"]
        for view in (budget_view(state, on), subsidy_view(state, on), schedule_view(state, on),
                     indicators_view(state, on))
        for f in view["flags"]
    ]
    assert flags == ["EXPENSE_OUTSIDE_PERIOD", "LINE_OVERRUN", "ACTIVITY_OVERDUE",
                     "MILESTONE_LATE", "REPORT_OVERDUE", "CLAIM_WITHOUT_REPORT"]


def test_errors_and_warnings_are_counted_over_the_views() -> None:
    builder, _ = nek_worked_example()
    builder.expense("TRAVEL", "1.00", paid_on=None, when=at(date(2018, 5, 1)))
    builder.expense("PERSONNEL", "20000.00")
    builder.expense("MARKETING_PROMOTION", "10000.00")
    builder.expense("RENT", "50000.00")
    on = date(2018, 8, 1)

    row = portfolio_row(builder.state(), on=on)

    # EXPENSE_OUTSIDE_PERIOD, LINE_OVERRUN, EXPENSE_UNPAID, SUBSIDY_CAP_REACHED,
    # ACTIVITY_OVERDUE ×2 (warnings); MILESTONE_MISSED, FINAL_CLAIM_OVERDUE, REPORT_OVERDUE
    # ×2 (ZOR-1, ZZOR) (errors)
    assert (
        row["flag_count"],
        row["errors"],
        row["warnings"],
        row["cap_reached"],
        row["activities_overdue"],
        row["milestones_late_or_missed"],
        row["reports_overdue"],
        row["time_elapsed"],
    ) == (10, 4, 6, True, 2, 1, 2, D("1.0000"))
