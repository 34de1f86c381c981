"""Fixtures of the HTTP API tests, on top of tests/conftest.py (`app`, `client`: a fresh SQLite
store per test). `api_builders` is importable from every test directory: pyproject.toml puts
tests/api on pytest's `pythonpath`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from api_builders import record_expense, register_nek
from eventsourcing.persistence import DatetimeAsISO
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from freezegun.api import FakeDate, FakeDatetime

from service.store.transcodings import DateAsISO


class _FakeDatetimeAsISO(DatetimeAsISO):
    type = FakeDatetime


class _FakeDateAsISO(DateAsISO):
    type = FakeDate


@pytest.fixture
def nek(client: FlaskClient) -> str:
    """NEK – OPEIC registered (DOMAIN.md's illustrative lines); its project id."""
    return register_nek(client)


@pytest.fixture
def travel_expense(client: FlaskClient, nek: str) -> str:
    """A paid TRAVEL invoice of 100,000.00 CZK dated 2016-06-15 on NEK; its expense id."""
    return record_expense(client, nek, "TRAVEL", "100000.00")


@pytest.fixture
def frozen(app: Flask) -> Callable[[str], AbstractContextManager[None]]:
    """`frozen("2018-01-10 09:00")` holds the clock still for the requests inside it, so the
    events they record carry that moment (the service reads it via `utc_now`).

    Under freezegun every datetime and date made is one of its fake subclasses; the event
    store's transcoder looks types up exactly, so they are taught to store them like the
    real ones.
    """
    transcoder = app.extensions["grantledger"].mapper.transcoder
    transcoder.register(_FakeDatetimeAsISO())
    transcoder.register(_FakeDateAsISO())

    @contextmanager
    def hold(moment: str) -> Iterator[None]:
        with freeze_time(moment, tick=False):
            yield

    return hold
