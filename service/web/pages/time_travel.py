"""`as_of` and `on` on every page: what the reader asked for, what the API is asked for.

`as_of` is an RFC 3339 moment, as in the API, or a date meaning the end of that day in Prague;
the pickers send a date and, optionally, a time of that day in Prague (`at`). `on` is a date.
Everything else about them (the years they may name, a moment without an offset) is the API's
to judge: its 400 becomes the page's, with the API's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from service.web.pages.formats import PRAGUE, parse_moment

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CLOCK = re.compile(r"\d{2}:\d{2}(:\d{2})?")


@dataclass(frozen=True)
class TimeTravel:
    as_of: datetime | None = None  # UTC
    whole_day: bool = False  # `as_of` was a date: the end of that day in Prague
    on: date | None = None

    @property
    def api_query(self) -> dict[str, str]:
        query = {}
        if self.as_of is not None:
            query["as_of"] = self.as_of.isoformat().replace("+00:00", "Z")
        if self.on is not None:
            query["on"] = self.on.isoformat()
        return query

    @property
    def page_query(self) -> dict[str, str]:
        """The parameters that carry this moment from page to page."""
        query = {}
        if self.as_of is not None:
            local = self.as_of.astimezone(PRAGUE)
            query["as_of"] = (local.date().isoformat() if self.whole_day
                              else self.api_query["as_of"])
        if self.on is not None:
            query["on"] = self.on.isoformat()
        return query

    @property
    def local_as_of(self) -> datetime | None:
        return None if self.as_of is None else self.as_of.astimezone(PRAGUE)

    def picker_values(self) -> dict[str, Any]:
        local = self.local_as_of
        return {"as_of": local.date().isoformat() if local else "",
                "at": "" if local is None or self.whole_day else local.strftime("%H:%M"),
                "on": self.on.isoformat() if self.on else ""}


def time_travel(args: MultiDict[str, str]) -> TimeTravel:
    as_of_text = (args.get("as_of") or "").strip()
    at_text = (args.get("at") or "").strip()
    on_text = (args.get("on") or "").strip()
    as_of, whole_day = _as_of(as_of_text, at_text) if as_of_text else (None, False)
    return TimeTravel(as_of=as_of, whole_day=whole_day, on=_day(on_text, "on") if on_text
                      else None)


def _as_of(text: str, at: str) -> tuple[datetime, bool]:
    if DAY.fullmatch(text):
        day = _day(text, "as_of")
        if at:
            try:
                if not CLOCK.fullmatch(at):
                    raise ValueError(at)
                clock = time.fromisoformat(at)
            except ValueError:
                raise BadRequest(f"at={at!r}: give a time of day as HH:MM") from None
            return _utc(datetime.combine(day, clock, PRAGUE)), False
        # The end of the day in Prague: the last moment before the next day begins there.
        try:
            next_day = datetime.combine(day + timedelta(days=1), time(), PRAGUE)
        except OverflowError:
            raise BadRequest(f"as_of={text!r} lies past the calendar's last day") from None
        return _utc(next_day) - timedelta(microseconds=1), True
    try:
        moment = parse_moment(text)
    except ValueError:
        raise BadRequest(f"as_of={text!r}: give a date (YYYY-MM-DD, the end of that day in "
                         "Prague) or a moment (YYYY-MM-DDThh:mm:ssZ)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _utc(moment), False


def _day(text: str, name: str) -> date:
    try:
        if not DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r}: give a date as YYYY-MM-DD") from None


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadRequest("as_of lies outside the calendar the ledger knows") from None
