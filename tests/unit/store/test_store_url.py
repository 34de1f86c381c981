"""The database URL: passwords masked wherever it is shown, the library configured from it."""

from __future__ import annotations

import re

import pytest

from service.config import ConfigurationError
from service.store.database import StoreUrl, eventsourcing_env, masked_url


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://ledger:s3cr%40t@db.example:5432/grants?sslmode=verify-full",
     "postgresql://ledger:***@db.example:5432/grants?sslmode=verify-full"),
    ("postgres://ledger:pw@h1:5432,h2:5433/grants?target_session_attrs=read-write",
     "postgres://ledger:***@h1:5432,h2:5433/grants?target_session_attrs=read-write"),
    ("postgresql://ledger@db/grants?sslmode=require&password=s3cret&application_name=gl",
     "postgresql://ledger@db/grants?sslmode=require&password=***&application_name=gl"),
    ("postgresql:///grants?host=/run/postgresql", "postgresql:///grants?host=/run/postgresql"),
    ("sqlite:///var/lib/grantledger/ledger.db", "sqlite:///var/lib/grantledger/ledger.db"),
])
def test_a_url_is_shown_with_its_password_masked_and_everything_else_kept(
        url: str, shown: str) -> None:
    assert (masked_url(url), StoreUrl(url).masked) == (shown, shown)


def test_the_library_reaches_postgresql_through_our_factory_with_the_whole_url() -> None:
    url = "postgresql://ledger:pw@db/grants?sslmode=require&connect_timeout=3"

    env = eventsourcing_env(url)

    assert (env["PERSISTENCE_MODULE"], env["GRANTLEDGER_POSTGRES_CONNINFO"], env["CREATE_TABLE"],
            env["POSTGRES_CONNECT_TIMEOUT"]) == ("service.store.postgres:Factory", url, "n", "3")


def test_a_connect_timeout_of_5_seconds_applies_unless_the_url_or_libpq_sets_one() -> None:
    store = StoreUrl("postgresql://ledger@db/grants")

    assert (store.connect_timeout({}), store.connect_timeout({"PGCONNECT_TIMEOUT": "12"}),
            StoreUrl("postgresql://ledger@db/grants?connect_timeout=2").connect_timeout({})) == (
        5, 12, 2)


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://ledger@db/grants", "must start with sqlite:/// or postgresql://, not 'mysql'"),
    ("postgresql://ledger:pw@db/grants?sslmode", "postgresql://ledger:***@db/grants?sslmode "
                                                 "is not a PostgreSQL URL libpq can read"),
    ("sqlite://", "a sqlite URL needs a file"),
])
def test_a_url_that_names_no_store_is_refused_saying_why(
        url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        StoreUrl(url)
