"""Budget view: per-line figures, totals and the budget's flags."""

from __future__ import annotations

from datetime import date

from projection_builders import D, ProjectBuilder, at, line, rules

from projections import budget_view

ON = date(2018, 3, 1)
SMALL_LINES = [("A", "Line A", "1000.01"), ("B", "Line B", "2000.00")]


def test_lines_come_in_registration_order_and_the_view_names_its_position() -> None:
    builder = ProjectBuilder()
    builder.expense("PERSONNEL", "1000000.00")
    pairs = builder.pairs()

    view = budget_view(builder.state(), on=ON)

    assert [row["code"] for row in view["lines"]] == [
        "PERSONNEL",
        "EXTERNAL_SERVICES",
        "TRAVEL",
        "MARKETING_PROMOTION",
        "SEMINARS_CONFERENCES",
        "RENT",
    ]
    assert line(view, "PERSONNEL") == {
        "code": "PERSONNEL",
        "name": "Personnel costs",
        "planned": D("2400000.00"),
        "recorded": D("1000000.00"),
        "ineligible": D("0.00"),
        "eligible": D("1000000.00"),
        "overrun": D("0.00"),
        "eligible_capped": D("1000000.00"),
        "paid": D("1000000.00"),
        "claimed": D("0.00"),
        "approved": D("0.00"),
        "remaining": D("1400000.00"),
        "utilisation": D("0.4167"),
    }
    assert (view["project_id"], view["position"], view["on"], view["currency"]) == (
        builder.project.id,
        len(pairs),
        ON,
        "CZK",
    )


def test_totals_are_the_sums_of_the_lines_and_total_utilisation_is_capped_over_planned() -> None:
    builder = ProjectBuilder()
    builder.expense("PERSONNEL", "1200000.00")
    builder.expense("RENT", "50000.00", paid_on=None)

    totals = budget_view(builder.state(), on=ON)["totals"]

    assert totals == {
        "planned": D("7776200.00"),
        "recorded": D("1250000.00"),
        "ineligible": D("0.00"),
        "eligible": D("1250000.00"),
        "overrun": D("0.00"),
        "eligible_capped": D("1250000.00"),
        "paid": D("1200000.00"),
        "claimed": D("0.00"),
        "approved": D("0.00"),
        "remaining": D("6526200.00"),
        "utilisation": D("0.1607"),
    }


def test_expense_on_the_eligible_from_date_counts_and_the_day_before_does_not() -> None:
    builder = ProjectBuilder()
    builder.expense("TRAVEL", "100.00", tax_point=date(2016, 4, 1))
    builder.expense("TRAVEL", "7.00", tax_point=date(2016, 3, 31))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["recorded"], travel["ineligible"], travel["eligible"]) == (
        D("107.00"),
        D("7.00"),
        D("100.00"),
    )


def test_expense_on_the_realisation_end_counts_and_the_day_after_does_not() -> None:
    builder = ProjectBuilder()
    builder.expense("TRAVEL", "100.00", tax_point=date(2018, 3, 31))
    builder.expense("TRAVEL", "7.00", tax_point=date(2018, 4, 1))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["ineligible"], travel["eligible"]) == (D("7.00"), D("100.00"))


def test_eligible_from_set_before_the_start_widens_the_window() -> None:
    builder = ProjectBuilder(eligible_from=date(2016, 1, 1))
    builder.expense("TRAVEL", "30000.00", tax_point=date(2016, 3, 15))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["ineligible"], travel["eligible"]) == (D("0.00"), D("30000.00"))


def test_a_later_realisation_end_makes_an_expense_after_the_old_end_eligible() -> None:
    builder = ProjectBuilder()
    builder.expense("TRAVEL", "7.00", tax_point=date(2018, 4, 1))
    builder.expense("TRAVEL", "5.00", tax_point=date(2018, 7, 1))
    builder.change_end(date(2018, 6, 30))

    view = budget_view(builder.state(), on=ON)

    assert (line(view, "TRAVEL")["eligible"], line(view, "TRAVEL")["ineligible"]) == (
        D("7.00"),
        D("5.00"),
    )
    assert rules(view) == ["EXPENSE_OUTSIDE_PERIOD"]


def test_an_earlier_realisation_end_makes_a_later_expense_ineligible() -> None:
    builder = ProjectBuilder()
    builder.expense("TRAVEL", "7.00", tax_point=date(2018, 1, 15))
    builder.change_end(date(2017, 12, 31))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["eligible"], travel["ineligible"]) == (D("0.00"), D("7.00"))


def test_a_reversed_expense_counts_as_zero_everywhere() -> None:
    builder = ProjectBuilder()
    builder.expense("TRAVEL", "100.00")
    gone = builder.expense(
        "TRAVEL", "900.00", tax_point=date(2016, 3, 1), paid_on=None, when=at(date(2016, 4, 2))
    )
    builder.reverse(gone)

    view = budget_view(builder.state(), on=ON)

    travel = line(view, "TRAVEL")
    assert (travel["recorded"], travel["ineligible"], travel["eligible"], travel["paid"]) == (
        D("100.00"),
        D("0.00"),
        D("100.00"),
        D("100.00"),
    )
    assert view["flags"] == []


def test_a_corrected_amount_replaces_the_recorded_one() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.correct(expense, eligible_amount=D("80.00"))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["recorded"], travel["eligible"], travel["paid"]) == (
        D("80.00"),
        D("80.00"),
        D("80.00"),
    )


def test_a_corrected_net_amount_brings_the_default_eligible_amount_with_it() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00", vat="21.00")
    builder.correct(expense, amount_net=D("90.00"))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert travel["recorded"] == D("90.00")


def test_a_corrected_budget_line_moves_the_expense_between_lines() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.correct(expense, budget_line="RENT")

    view = budget_view(builder.state(), on=ON)

    assert (line(view, "TRAVEL")["recorded"], line(view, "RENT")["recorded"]) == (
        D("0.00"),
        D("100.00"),
    )


def test_a_corrected_tax_point_date_outside_the_window_makes_the_expense_ineligible() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.correct(expense, tax_point_date=date(2016, 3, 31))

    view = budget_view(builder.state(), on=ON)

    travel = line(view, "TRAVEL")
    assert (travel["ineligible"], travel["eligible"], travel["paid"]) == (
        D("100.00"),
        D("0.00"),
        D("0.00"),
    )
    assert rules(view) == ["EXPENSE_OUTSIDE_PERIOD"]


def test_paid_counts_only_time_eligible_expenses_with_a_payment_date() -> None:
    builder = ProjectBuilder()
    builder.expense("TRAVEL", "100.00")
    later = builder.expense("TRAVEL", "20.00", paid_on=None)
    builder.expense("TRAVEL", "3.00", paid_on=None)
    builder.expense("TRAVEL", "4000.00", tax_point=date(2016, 3, 1))
    builder.pay(later, date(2016, 8, 1))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["recorded"], travel["paid"]) == (D("4123.00"), D("120.00"))


def test_overrun_beyond_planned_is_not_counted_when_there_is_no_tolerance() -> None:
    builder = ProjectBuilder(lines=SMALL_LINES, max_subsidy="1000.00")
    builder.expense("B", "2500.00")

    b = line(budget_view(builder.state(), on=ON), "B")

    assert (
        b["eligible"],
        b["overrun"],
        b["eligible_capped"],
        b["remaining"],
        b["utilisation"],
    ) == (D("2500.00"), D("500.00"), D("2000.00"), D("0.00"), D("1.0000"))


def test_tolerance_lets_a_line_draw_above_planned_and_remaining_turns_negative() -> None:
    builder = ProjectBuilder(
        lines=SMALL_LINES, max_subsidy="1000.00", line_transfer_tolerance=D("0.10")
    )
    builder.expense("B", "2150.00")

    b = line(budget_view(builder.state(), on=ON), "B")

    assert (b["overrun"], b["eligible_capped"], b["remaining"], b["utilisation"]) == (
        D("0.00"),
        D("2150.00"),
        D("-150.00"),
        D("1.0750"),
    )


def test_overrun_starts_above_planned_times_one_plus_tolerance() -> None:
    builder = ProjectBuilder(
        lines=SMALL_LINES, max_subsidy="1000.00", line_transfer_tolerance=D("0.10")
    )
    builder.expense("B", "2200.00")
    builder.expense("B", "300.00")

    b = line(budget_view(builder.state(), on=ON), "B")

    assert (b["eligible"], b["overrun"], b["eligible_capped"], b["remaining"]) == (
        D("2500.00"),
        D("300.00"),
        D("2200.00"),
        D("-200.00"),
    )


def test_the_tolerance_ceiling_is_rounded_down_to_the_haler() -> None:
    # 1000.01 × 1.15 = 1150.0115: the line may draw 1150.01, so 1150.02 overruns by 0.01.
    builder = ProjectBuilder(
        lines=SMALL_LINES, max_subsidy="1000.00", line_transfer_tolerance=D("0.15")
    )
    builder.expense("A", "1150.02")

    a = line(budget_view(builder.state(), on=ON), "A")

    assert (a["overrun"], a["eligible_capped"]) == (D("0.01"), D("1150.01"))


def test_claimed_sums_the_line_expenses_of_submitted_claims_as_at_submission() -> None:
    builder = ProjectBuilder()
    travel = builder.expense("TRAVEL", "100.00")
    rent = builder.expense("RENT", "50.00")
    builder.expense("RENT", "9.00")
    builder.submit("1", travel, rent)
    builder.correct(travel, eligible_amount=D("70.00"))

    view = budget_view(builder.state(), on=ON)

    assert (
        line(view, "TRAVEL")["claimed"],
        line(view, "RENT")["claimed"],
        view["totals"]["claimed"],
    ) == (D("100.00"), D("50.00"), D("150.00"))
    assert (line(view, "TRAVEL")["approved"], view["totals"]["approved"]) == (D("0.00"), D("0.00"))


def test_approved_counts_the_claims_active_expenses_at_approval_less_exclusions() -> None:
    builder = ProjectBuilder()
    travel = builder.expense("TRAVEL", "100.00")
    rent = builder.expense("RENT", "50.00")
    seminar = builder.expense("SEMINARS_CONFERENCES", "30.00")
    builder.submit("1", travel, rent, seminar)
    builder.correct(travel, eligible_amount=D("70.00"))
    builder.reverse(seminar)
    builder.approve("1", (rent, "10.00"), (rent, "5.00"))

    view = budget_view(builder.state(), on=ON)

    assert [
        (line(view, c)["claimed"], line(view, c)["approved"])
        for c in ("TRAVEL", "RENT", "SEMINARS_CONFERENCES")
    ] == [(D("100.00"), D("70.00")), (D("50.00"), D("35.00")), (D("0.00"), D("0.00"))]
    assert (view["totals"]["claimed"], view["totals"]["approved"]) == (D("150.00"), D("105.00"))


def test_an_expense_reversed_while_its_claim_is_submitted_counts_as_zero_in_claimed() -> None:
    builder = ProjectBuilder()
    kept = builder.expense("TRAVEL", "1000.00")
    reversed_one = builder.expense("TRAVEL", "2000.00")
    builder.submit("1", kept, reversed_one)
    builder.reverse(reversed_one)

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["claimed"], travel["approved"]) == (D("1000.00"), D("0.00"))


def test_a_claim_approved_after_one_of_its_expenses_was_reversed_claims_what_it_approves() -> None:
    builder = ProjectBuilder()
    kept = builder.expense("TRAVEL", "1000.00")
    reversed_one = builder.expense("TRAVEL", "2000.00")
    builder.submit("1", kept, reversed_one)
    builder.reverse(reversed_one)
    builder.approve("1")

    view = budget_view(builder.state(), on=ON)

    assert (line(view, "TRAVEL")["claimed"], line(view, "TRAVEL")["approved"],
            view["totals"]["claimed"], view["totals"]["approved"]) == (
        D("1000.00"), D("1000.00"), D("1000.00"), D("1000.00"))


def test_claimed_includes_approved_claims_and_approved_only_approved_ones() -> None:
    builder = ProjectBuilder()
    first = builder.expense("TRAVEL", "100.00")
    second = builder.expense("TRAVEL", "40.00")
    builder.submit("1", first)
    builder.approve("1")
    builder.submit("2", second, stage="2", submitted_on=date(2018, 4, 20))

    travel = line(budget_view(builder.state(), on=ON), "TRAVEL")

    assert (travel["claimed"], travel["approved"]) == (D("140.00"), D("100.00"))


def test_each_active_expense_outside_the_window_is_flagged_with_its_events() -> None:
    builder = ProjectBuilder()
    early = builder.expense(
        "TRAVEL", "30000.00", tax_point=date(2016, 3, 15), document_number="FV-EARLY"
    )
    late = builder.expense("RENT", "10.00", tax_point=date(2018, 5, 2))
    builder.change_end(date(2018, 4, 30))

    flags = budget_view(builder.state(), on=ON)["flags"]

    assert flags[0] == {
        "rule": "EXPENSE_OUTSIDE_PERIOD",
        "severity": "warning",
        "message": "Expense FV-EARLY has tax point date 2016-03-15, outside the eligibility "
        "window 2016-04-01 – 2018-04-30; its 30000.00 CZK count as ineligible.",
        "refs": [
            {"type": "expense", "id": str(early)},
            {"type": "line", "id": "TRAVEL"},
            {"type": "event", "id": "2"},
        ],
    }
    assert flags[1]["refs"] == [
        {"type": "expense", "id": str(late)},
        {"type": "line", "id": "RENT"},
        {"type": "event", "id": "3"},
        {"type": "event", "id": "4"},
    ]
    assert rules({"flags": flags}) == ["EXPENSE_OUTSIDE_PERIOD"] * 2


def test_the_outside_period_flag_names_the_correction_that_moved_the_tax_point() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "10.00")
    builder.correct(expense, tax_point_date=date(2016, 3, 1))

    flag = budget_view(builder.state(), on=ON)["flags"][0]

    assert flag["refs"][2:] == [{"type": "event", "id": "2"}, {"type": "event", "id": "3"}]


def test_line_overrun_flag_names_the_line_and_the_expense_that_crossed_the_ceiling() -> None:
    builder = ProjectBuilder(lines=SMALL_LINES, max_subsidy="1000.00")
    builder.expense("B", "1500.00")
    crossing = builder.expense("B", "600.00")
    builder.expense("B", "400.00")

    flags = budget_view(builder.state(), on=ON)["flags"]

    assert flags == [
        {
            "rule": "LINE_OVERRUN",
            "severity": "warning",
            "message": "Line B has 2500.00 CZK eligible against 2000.00 planned (ceiling 2000.00); "
            "the overrun of 500.00 CZK is not counted.",
            "refs": [
                {"type": "line", "id": "B"},
                {"type": "expense", "id": str(crossing)},
                {"type": "event", "id": "1"},
                {"type": "event", "id": "3"},
            ],
        }
    ]


def test_line_overrun_flag_names_the_budget_changes_of_the_line() -> None:
    builder = ProjectBuilder(lines=SMALL_LINES, max_subsidy="1000.00")
    builder.change_budget(("B", "A", "500.00"))
    crossing = builder.expense("B", "1600.00")

    flags = budget_view(builder.state(), on=ON)["flags"]

    assert flags[0]["refs"] == [
        {"type": "line", "id": "B"},
        {"type": "expense", "id": str(crossing)},
        {"type": "event", "id": "1"},
        {"type": "event", "id": "2"},
        {"type": "event", "id": "3"},
    ]


def test_an_expense_unpaid_60_days_after_recording_is_not_yet_flagged() -> None:
    builder = ProjectBuilder(registered_at=at(date(2016, 4, 1)))
    builder.expense("TRAVEL", "10.00", paid_on=None, when=at(date(2017, 1, 10)))

    view = budget_view(builder.state(), on=date(2017, 3, 11))

    assert view["flags"] == []


def test_an_expense_unpaid_61_days_after_recording_is_flagged() -> None:
    builder = ProjectBuilder(registered_at=at(date(2016, 4, 1)))
    expense = builder.expense(
        "TRAVEL", "10.00", paid_on=None, when=at(date(2017, 1, 10)), document_number="FV-9"
    )

    view = budget_view(builder.state(), on=date(2017, 3, 12))

    assert view["flags"] == [
        {
            "rule": "EXPENSE_UNPAID",
            "severity": "warning",
            "message": "Expense FV-9 of 10.00 CZK, recorded on 2017-01-10, is still unpaid after "
            "61 days.",
            "refs": [{"type": "expense", "id": str(expense)}, {"type": "event", "id": "2"}],
        }
    ]


def test_only_the_expenses_recorded_more_than_60_days_before_are_flagged_unpaid() -> None:
    builder = ProjectBuilder(registered_at=at(date(2016, 4, 1)))
    old = builder.expense("TRAVEL", "10.00", paid_on=None, when=at(date(2017, 1, 10)))
    builder.expense("TRAVEL", "20.00", paid_on=None, when=at(date(2017, 3, 1)))

    view = budget_view(builder.state(), on=date(2017, 3, 12))

    assert [(f["rule"], f["refs"][0]["id"]) for f in view["flags"]] == [
        ("EXPENSE_UNPAID", str(old))]


def test_a_paid_or_reversed_expense_is_never_flagged_unpaid() -> None:
    builder = ProjectBuilder(registered_at=at(date(2016, 4, 1)))
    paid = builder.expense("TRAVEL", "10.00", paid_on=None, when=at(date(2017, 1, 10)))
    gone = builder.expense("TRAVEL", "20.00", paid_on=None, when=at(date(2017, 1, 10)))
    builder.pay(paid, date(2017, 1, 20), when=at(date(2017, 1, 20)))
    builder.reverse(gone)

    view = budget_view(builder.state(), on=date(2018, 3, 1))

    assert view["flags"] == []
