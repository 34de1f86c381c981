"""Query arguments: the moment and date of a view, and paging."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from schemas.queries import (
    EventQuerySchema,
    ExpenseQuerySchema,
    ProjectQuerySchema,
    VerificationQuerySchema,
    ViewQuerySchema,
)


def errors_of(schema: Schema, args: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as raised:
        schema.load(args)
    return raised.value.messages  # type: ignore[return-value]


def test_view_arguments_load_a_utc_moment_a_date_and_a_position() -> None:
    args = {"as_of": "2018-04-01T00:30:00+02:00", "on": "2018-03-31", "min_position": "17"}

    assert ViewQuerySchema().load(args) == {
        "as_of": datetime(2018, 3, 31, 22, 30, tzinfo=UTC), "on": date(2018, 3, 31),
        "min_position": 17,
    }


def test_view_arguments_are_all_optional() -> None:
    assert ViewQuerySchema().load({}) == {}


def test_a_negative_position_is_refused() -> None:
    assert errors_of(ViewQuerySchema(), {"min_position": "-1"}) == {
        "min_position": ["Must be greater than or equal to 0."],
    }


def test_a_page_is_100_long_unless_asked_and_at_most_1000() -> None:
    assert EventQuerySchema().load({}) == {"limit": 100}
    assert errors_of(EventQuerySchema(), {"limit": "1001"}) == {
        "limit": ["Must be greater than or equal to 1 and less than or equal to 1000."],
    }


def test_expenses_filter_by_line_activity_and_status() -> None:
    args = {"line": "TRAVEL", "activity": "3.4", "status": "reversed", "cursor": "abc"}

    assert ExpenseQuerySchema().load(args) == {**args, "limit": 100}
    assert errors_of(ExpenseQuerySchema(), {"status": "deleted"}) == {
        "status": ["Must be one of: active, reversed."],
    }


def test_projects_filter_by_registration_number() -> None:
    assert ProjectQuerySchema().load({"registration_number": "CZ.01.1.02/0.0/0.0/15_009/0002300"}) \
        == {"registration_number": "CZ.01.1.02/0.0/0.0/15_009/0002300", "limit": 100}


def test_a_saved_digest_needs_both_version_and_hash() -> None:
    assert errors_of(VerificationQuerySchema(), {"version": "3"}) == {
        "hash": ["Give hash together with version."],
    }
