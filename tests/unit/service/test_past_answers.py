"""Answers about settled past moments, kept per process up to a size in bytes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from service.reads.past_answers import SETTLED_AFTER, PastAnswers, footprint

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SETTLED = NOW - SETTLED_AFTER
DAY = date(2026, 12, 7)


def key(n: int, as_of: datetime = SETTLED) -> tuple[str, UUID, datetime, date]:
    return "budget", UUID(int=n), as_of, DAY


def answer(n: int, length: int = 100) -> tuple[str, str]:
    return f'"etag-{n}"', "x" * length


def test_a_settled_answer_is_kept_and_a_recent_one_is_not() -> None:
    answers = PastAnswers()

    answers.keep(key(1), answer(1), NOW)
    answers.keep(key(2, NOW - timedelta(seconds=59)), answer(2), NOW)

    assert (answers.get(key(1)), answers.get(key(2, NOW - timedelta(seconds=59)))) == (
        answer(1), None)


def test_the_least_recently_read_answers_go_when_the_size_is_reached() -> None:
    answers = PastAnswers(size=2 * footprint(answer(0)))
    answers.keep(key(1), answer(1), NOW)
    answers.keep(key(2), answer(2), NOW)
    answers.get(key(1))

    answers.keep(key(3), answer(3), NOW)

    assert [answers.get(key(n)) for n in (1, 2, 3)] == [answer(1), None, answer(3)]


def test_an_answer_larger_than_the_whole_is_not_kept() -> None:
    answers = PastAnswers(size=1000)

    answers.keep(key(1), answer(1, length=2000), NOW)

    assert answers.get(key(1)) is None
