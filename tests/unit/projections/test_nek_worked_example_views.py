"""DOMAIN.md's worked example (NEK, illustrative lines), to the haléř."""

from __future__ import annotations

from datetime import date

from projection_builders import D, ProjectBuilder, line, nek_worked_example, rules

from projections import budget_view, schedule_view, subsidy_view

ON = date(2018, 3, 1)


def test_worked_example_budget_counts_the_early_invoice_as_ineligible_and_caps_travel() -> None:
    builder, _ = nek_worked_example()

    view = budget_view(builder.state(), on=ON)

    totals = view["totals"]
    assert (
        totals["planned"],
        totals["recorded"],
        totals["ineligible"],
        totals["eligible"],
        totals["overrun"],
        totals["eligible_capped"],
    ) == (
        D("7776200.00"),
        D("7776200.00"),
        D("30000.00"),
        D("7746200.00"),
        D("50000.00"),
        D("7696200.00"),
    )
    travel = line(view, "TRAVEL")
    assert (
        travel["planned"],
        travel["eligible"],
        travel["overrun"],
        travel["eligible_capped"],
        travel["remaining"],
        travel["utilisation"],
    ) == (D("900000.00"), D("950000.00"), D("50000.00"), D("900000.00"), D("0.00"), D("1.0000"))
    external = line(view, "EXTERNAL_SERVICES")
    assert (external["recorded"], external["ineligible"], external["eligible"]) == (
        D("2306200.00"),
        D("30000.00"),
        D("2276200.00"),
    )
    assert rules(view) == ["EXPENSE_OUTSIDE_PERIOD", "LINE_OVERRUN"]


def test_worked_example_subsidy_is_half_of_the_capped_eligible_total() -> None:
    builder, _ = nek_worked_example()

    view = subsidy_view(builder.state(), on=ON)

    assert (
        view["eligible_total"],
        view["entitlement"],
        view["own_financing"],
        view["subsidy_share"],
        view["cap_reached"],
    ) == (D("7696200.00"), D("3848100.00"), D("3848100.00"), D("0.5000"), False)
    assert view["flags"] == []


def test_worked_example_approved_transfer_from_rent_to_travel_removes_the_overrun() -> None:
    builder, _ = nek_worked_example()
    builder.change_budget(("RENT", "TRAVEL", "50000.00"), kind="approved")
    state = builder.state()

    budget, subsidy = budget_view(state, on=ON), subsidy_view(state, on=ON)

    assert (
        line(budget, "TRAVEL")["planned"],
        line(budget, "TRAVEL")["overrun"],
        line(budget, "RENT")["planned"],
    ) == (D("950000.00"), D("0.00"), D("150000.00"))
    assert budget["totals"]["eligible_capped"] == D("7746200.00")
    assert budget["totals"]["planned"] == D("7776200.00")
    assert subsidy["entitlement"] == D("3873100.00")
    assert "LINE_OVERRUN" not in rules(budget)


def test_worked_example_bronze_label_achieved_after_its_due_date_is_138_days_late() -> None:
    builder = ProjectBuilder()
    builder.achieve("ECEI_BRONZE", date(2018, 2, 15))

    row = schedule_view(builder.state(), on=ON)["milestones"][0]

    assert (row["code"], row["status"], row["days_late"]) == ("ECEI_BRONZE", "achieved_late", 138)


def test_worked_example_bronze_label_achieved_after_the_realisation_end_is_missed() -> None:
    builder = ProjectBuilder()
    builder.achieve("ECEI_BRONZE", date(2018, 4, 20))

    row = schedule_view(builder.state(), on=date(2018, 5, 1))["milestones"][0]

    assert (row["status"], row["days_late"]) == ("missed", 202)


def test_worked_example_final_claim_is_due_60_days_after_the_realisation_end() -> None:
    view = schedule_view(ProjectBuilder().state(), on=ON)

    assert view["project"]["claim_deadline"] == date(2018, 5, 30)
