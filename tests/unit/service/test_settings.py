"""Settings from the environment: tokens from the variable and from a secrets file, refused
when short; numbers named when they are not numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.config import ConfigurationError, Settings
from service.principals import Principal

LONG = "a-token-of-twenty-four-ch"  # 25 characters


def test_tokens_come_from_the_variable_and_the_file_with_comments_and_blank_lines(
        tmp_path: Path) -> None:
    secrets = tmp_path / "tokens"
    secrets.write_text("# the provider's controllers\n"
                       f"kontrola:auditor:{LONG}-auditor\n\n"
                       f"eva:accountant:{LONG}-eva,jan:manager:{LONG}-jan\n")

    settings = Settings.from_env({"GRANTLEDGER_TOKENS": f"ops:admin:{LONG}-ops",
                                  "GRANTLEDGER_TOKENS_FILE": str(secrets)})

    assert dict(settings.tokens) == {
        f"{LONG}-ops": Principal.static("ops", "admin"),
        f"{LONG}-auditor": Principal.static("kontrola", "auditor"),
        f"{LONG}-eva": Principal.static("eva", "accountant"),
        f"{LONG}-jan": Principal.static("jan", "manager"),
    }


@pytest.mark.parametrize(("env", "message"), [
    ({"GRANTLEDGER_TOKENS": "eva:accountant:short-but-secret"},
     "the token of eva has 16 characters; a token needs at least 24 (make one with "
     "`grantledger token`)"),
    ({"GRANTLEDGER_METRICS_TOKEN": "scrape"},
     "GRANTLEDGER_METRICS_TOKEN has 6 characters; a secret needs at least 24"),
    ({"GRANTLEDGER_FEED_SECRET": "s3cret"},
     "GRANTLEDGER_FEED_SECRET has 6 characters; a secret needs at least 24"),
    ({"GRANTLEDGER_TOKENS": f"eva:accountant:{LONG}", "GRANTLEDGER_TOKENS_FILE": "{file}"},
     "the token of jan is also given to another principal"),
    ({"GRANTLEDGER_TOKENS_FILE": "/nonexistent/grantledger-tokens"},
     "GRANTLEDGER_TOKENS_FILE /nonexistent/grantledger-tokens: No such file or directory"),
    ({"GRANTLEDGER_TOKENS": "eva-accountant-no-colons-here"},
     "the token entry of 'eva-accountant-no-colons-here' is not name:role:token"),
    ({"GRANTLEDGER_PROXY_HOPS": "one"}, "GRANTLEDGER_PROXY_HOPS='one' is not a number"),
    ({"GRANTLEDGER_PROXY_HOPS": "-1"}, "GRANTLEDGER_PROXY_HOPS='-1' must not be negative"),
])
def test_a_bad_setting_is_refused_with_a_message_that_names_it_and_never_shows_a_token(
        tmp_path: Path, env: dict[str, str], message: str) -> None:
    secrets = tmp_path / "tokens"
    secrets.write_text(f"jan:manager:{LONG}\n")
    env = {name: value.format(file=secrets) for name, value in env.items()}

    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(env)

    assert str(refused.value).startswith(message)
    assert not re.search(r"short-but-secret|scrape\b", str(refused.value))


def test_by_default_no_proxy_is_trusted_and_the_access_log_goes_to_standard_output() -> None:
    settings = Settings.from_env({})

    assert (settings.proxy_hops, settings.access_log, dict(settings.tokens)) == (0, "-", {})


def test_a_read_replica_is_taken_beside_a_postgresql_store() -> None:
    settings = Settings.from_env({
        "GRANTLEDGER_DATABASE_URL": "postgresql://gl@primary.internal/grantledger",
        "GRANTLEDGER_READ_DATABASE_URL": "postgresql://gl@standby.internal/grantledger"})

    assert (settings.database_url, settings.read_database_url) == (
        "postgresql://gl@primary.internal/grantledger",
        "postgresql://gl@standby.internal/grantledger")
    assert Settings.from_env({}).read_database_url is None


@pytest.mark.parametrize(("env", "message"), [
    ({"GRANTLEDGER_READ_DATABASE_URL": "postgresql://gl:s3cret@standby/grantledger"},
     "GRANTLEDGER_READ_DATABASE_URL is set, but the store (GRANTLEDGER_DATABASE_URL) is SQLite, "
     "which has no replicas: unset it, or store on PostgreSQL"),
    ({"GRANTLEDGER_DATABASE_URL": "postgresql://gl@primary/grantledger",
      "GRANTLEDGER_READ_DATABASE_URL": "sqlite:///replica.db"},
     "GRANTLEDGER_READ_DATABASE_URL must start with postgresql:// (a streaming replica of the "
     "store)"),
])
def test_a_read_replica_is_refused_where_there_can_be_none(env: dict[str, str],
                                                           message: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(env)

    assert str(refused.value) == message
