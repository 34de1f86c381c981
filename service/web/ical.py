"""The obligations calendar as iCalendar (RFC 5545), written by the `icalendar` library.

Each obligation is an all-day event (DTSTART and DTEND as dates, transparent: it blocks no
time) whose UID is the entry's stable `uid`, so a subscribed calendar app updates it when its
date or status changes. The status on the reference date leads the summary, the project's
acronym follows: `[overdue] OPEIC: Report ZOR-1 due (…)`. DTSTAMP is the moment of the
project's last event, so the same ledger always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

PRODUCT = "-//Grantledger//Obligations calendar 1.1//EN"


@dataclass(frozen=True)
class ProjectEntries:
    """One project's calendar entries, and what the feed says about the project."""

    acronym: str
    registration_number: str
    last_recorded_at: datetime
    on: date
    entries: list[dict[str, Any]]


def ical_feed(name: str, projects: Iterable[ProjectEntries]) -> bytes:
    """The calendar named `name` holding every entry of the projects."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for project in projects:
        for entry in project.entries:
            calendar.add_component(_event(project, entry))
    result: bytes = calendar.to_ical()
    return result


def _event(project: ProjectEntries, entry: dict[str, Any]) -> Event:
    event = Event()
    event.add("uid", entry["uid"])
    event.add("dtstamp", project.last_recorded_at)
    event.add("dtstart", entry["date"])
    event.add("dtend", entry["date"] + timedelta(days=1))
    event.add("summary", f"[{entry['status']}] {project.acronym}: {entry['title']}")
    event.add("description", _description(project, entry))
    event.add("categories", [entry["kind"]])
    event.add("transp", "TRANSPARENT")
    return event


def _description(project: ProjectEntries, entry: dict[str, Any]) -> str:
    refs = ", ".join(f"{r['type']} {r['id']}" for r in entry["refs"]) or "none"
    return (f"{entry['title']}\n"
            f"Status on {project.on}: {entry['status']}\n"
            f"Project {project.acronym} ({project.registration_number})\n"
            f"Refers to: {refs}")
