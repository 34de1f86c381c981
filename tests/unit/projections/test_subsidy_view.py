"""Subsidy-share view: entitlement, the money of the claims, the cap."""

from __future__ import annotations

from datetime import date

from projection_builders import D, ProjectBuilder

from projections import claim_list, subsidy_view

ON = date(2018, 3, 1)
SMALL_LINES = [("A", "Line A", "1000.01"), ("B", "Line B", "2000.00")]


def small(max_subsidy: str = "1000.00", support_rate: str = "0.50") -> ProjectBuilder:
    return ProjectBuilder(lines=SMALL_LINES, max_subsidy=max_subsidy, support_rate=support_rate)


def test_entitlement_is_rounded_down_to_whole_crowns() -> None:
    builder = small()
    builder.expense("A", "333.33")

    view = subsidy_view(builder.state(), on=ON)

    assert (
        view["eligible_total"],
        view["entitlement"],
        view["own_financing"],
        view["subsidy_share"],
    ) == (D("333.33"), D("166.00"), D("167.33"), D("0.4980"))


def test_entitlement_at_a_rate_other_than_half_is_floored_too() -> None:
    builder = small(support_rate="0.35")
    builder.expense("A", "999.99")

    view = subsidy_view(builder.state(), on=ON)

    assert (view["support_rate"], view["entitlement"], view["subsidy_share"]) == (
        D("0.35"),
        D("349.00"),
        D("0.3490"),
    )


def test_the_subsidy_is_computed_on_eligible_capped_not_on_what_was_recorded() -> None:
    builder = small()
    builder.expense("A", "1000.00")
    builder.expense("B", "1200.00", tax_point=date(2016, 3, 31))

    view = subsidy_view(builder.state(), on=ON)

    assert (view["eligible_total"], view["entitlement"]) == (D("1000.00"), D("500.00"))


def test_the_entitlement_stops_at_the_maximum_subsidy_and_the_cap_is_flagged() -> None:
    builder = small()
    builder.expense("A", "1000.01")
    builder.expense("B", "1200.00")

    view = subsidy_view(builder.state(), on=ON)

    assert (
        view["max_subsidy"],
        view["eligible_total"],
        view["entitlement"],
        view["own_financing"],
        view["subsidy_share"],
        view["cap_reached"],
    ) == (D("1000.00"), D("2200.01"), D("1000.00"), D("1200.01"), D("0.4545"), True)
    assert view["flags"] == [
        {
            "rule": "SUBSIDY_CAP_REACHED",
            "severity": "warning",
            "message": "The subsidy at 0.50 of 2200.01 CZK eligible would be 1100.00, which "
            "reaches the maximum of 1000.00; further eligible expenditure is financed "
            "by the beneficiary.",
            "refs": [{"type": "event", "id": "1"}],
        }
    ]


def test_the_cap_is_reached_when_the_floored_subsidy_equals_the_maximum() -> None:
    builder = small()
    builder.expense("B", "2000.00")

    view = subsidy_view(builder.state(), on=ON)

    assert (view["entitlement"], view["cap_reached"]) == (D("1000.00"), True)


def test_the_cap_is_not_reached_one_haler_below() -> None:
    builder = small()
    builder.expense("B", "1999.99")

    view = subsidy_view(builder.state(), on=ON)

    assert (view["entitlement"], view["cap_reached"], view["flags"]) == (D("999.00"), False, [])


def test_with_nothing_eligible_the_share_is_zero() -> None:
    builder = small()
    builder.expense("A", "100.00", tax_point=date(2016, 1, 4))

    view = subsidy_view(builder.state(), on=ON)

    assert (
        view["eligible_total"],
        view["entitlement"],
        view["own_financing"],
        view["subsidy_share"],
        view["cap_reached"],
    ) == (D("0.00"), D("0.00"), D("0.00"), D("0.0000"), False)


def test_requested_approved_paid_corrections_and_net_come_from_the_claims_events() -> None:
    builder = ProjectBuilder()
    travel = builder.expense("TRAVEL", "100000.00")
    rent = builder.expense("RENT", "50001.00")
    seminar = builder.expense("SEMINARS_CONFERENCES", "10000.00")
    builder.submit("1", travel, rent)
    builder.approve("1", (rent, "1.00"))
    builder.pay_subsidy("1", "40000.00")
    builder.pay_subsidy("1", "35000.00", paid_on=date(2017, 8, 1))
    builder.impose_correction("5000.00", rent)
    builder.submit("2", seminar, stage="2", submitted_on=date(2018, 4, 20))
    state = builder.state()

    view = subsidy_view(state, on=ON)

    assert (
        view["requested"],
        view["approved"],
        view["paid"],
        view["corrections"],
        view["net_subsidy"],
    ) == (D("80000.00"), D("75000.00"), D("75000.00"), D("5000.00"), D("70000.00"))
    assert view["claims"] == claim_list(state)
    assert [c["claim_number"] for c in view["claims"]] == ["1", "2"]


def test_claims_keep_the_subsidy_their_events_stored_under_the_maximum() -> None:
    builder = small()
    first = builder.expense("B", "1500.00")
    second = builder.expense("A", "1000.00")
    builder.submit("1", first)
    builder.approve("1")
    builder.submit("2", second, stage="1")

    view = subsidy_view(builder.state(), on=ON)

    assert [c["requested_subsidy"] for c in view["claims"]] == [D("750.00"), D("250.00")]
    assert (view["requested"], view["approved"]) == (D("1000.00"), D("750.00"))


def test_requested_counts_an_expense_reversed_after_submission_as_zero() -> None:
    builder = small()
    kept = builder.expense("A", "1000.01")
    reversed_one = builder.expense("B", "999.99")
    builder.submit("1", kept, reversed_one)
    builder.reverse(reversed_one)

    view = subsidy_view(builder.state(), on=ON)

    assert (view["requested"], [c["requested_subsidy"] for c in view["claims"]]) == (
        D("500.00"), [D("1000.00")])


def test_requested_after_a_reversal_stays_under_what_the_maximum_allowed_at_submission() -> None:
    builder = small()
    first = builder.expense("B", "1500.00")
    second = builder.expense("A", "1000.00")
    third = builder.expense("B", "100.00")
    builder.submit("1", first)
    builder.approve("1")
    builder.submit("2", second, third, stage="1")
    builder.reverse(third)

    view = subsidy_view(builder.state(), on=ON)

    assert (view["requested"], [c["requested_subsidy"] for c in view["claims"]]) == (
        D("1000.00"), [D("750.00"), D("250.00")])


def test_the_view_names_the_project_and_its_position() -> None:
    builder = small()
    builder.expense("A", "10.00")

    view = subsidy_view(builder.state(), on=ON)

    assert (view["project_id"], view["position"]) == (builder.project.id, 2)
