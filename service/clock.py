"""The service's clock: moments are UTC, business days are days in Prague."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PRAGUE = ZoneInfo("Europe/Prague")


def utc_now() -> datetime:
    return datetime.now(UTC)


def prague_today(moment: datetime) -> date:
    return moment.astimezone(PRAGUE).date()
