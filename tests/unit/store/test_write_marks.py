"""Answers rendered before their events' positions are known: stand-ins, filled in as they
are stored; and the notification a write sends, naming its project and last position."""

from __future__ import annotations

import json
from uuid import UUID

from service.reads.view_feed import _named_heads
from service.store.writes import Marks

PROJECT = UUID("740a3387-5e4c-5a9d-b8eb-3b5c18a5af5b")
OTHER = UUID("0c7d6f5e-1b0a-5c2d-9e8f-7a6b5c4d3e2f")


def test_stand_ins_are_negative_numbers_of_one_length_made_of_the_mark_and_the_index() -> None:
    marks = Marks("-123456789012")

    assert marks.positions(3) == [-123456789012000000, -123456789012000001,
                                  -123456789012000002]


def test_filling_puts_each_events_position_where_its_stand_in_was_rendered() -> None:
    marks = Marks.new()
    first, second = marks.positions(2)
    body = json.dumps({"position": second, "positions": [first, second], "note": "-12"})

    filled = marks.fill(body, [41, 1042])

    assert filled == json.dumps({"position": 1042, "positions": [41, 1042], "note": "-12"})


def test_a_text_without_a_stand_in_or_none_is_left_as_it_is() -> None:
    marks = Marks.new()

    assert (marks.fill('{"a": 1}', [5]), marks.fill(None, [5])) == ('{"a": 1}', None)


def test_each_write_has_a_mark_of_its_own() -> None:
    marks = {Marks.new().mark for _ in range(100)}

    assert (len(marks), {len(mark) for mark in marks}) == (100, {13})


def test_appends_that_name_their_project_give_each_projects_last_position() -> None:
    heads = _named_heads([f"{PROJECT} 7", f"{OTHER} 8", f"{PROJECT} 9"])

    assert heads == {PROJECT: 9, OTHER: 8}


def test_an_append_that_names_nothing_means_the_heads_must_be_read() -> None:
    assert _named_heads([f"{PROJECT} 7", ""]) is None
