"""Feed keys: derived from a name and the secret, checked against the configured principals,
printed by `grantledger feed-key`, and masked in logged query strings."""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode

import pytest
from support import TOKENS

from service.cli.main import main
from service.config import parse_tokens
from service.principals import Principal
from service.web.feed_keys import feed_key, feed_principal, mask_feed_keys

FEED_SECRET = "s3cret-of-the-feed-key-tests"  # as long as the service demands


def test_a_feed_key_is_the_hmac_of_the_name_under_the_secret() -> None:
    digest = hmac.new(FEED_SECRET.encode(), b"grantledger feed key\x00eva", hashlib.sha256).digest()

    assert feed_key(FEED_SECRET, "eva") == urlsafe_b64encode(digest).decode().rstrip("=")


def test_keys_differ_by_name_and_by_secret() -> None:
    keys = {feed_key("a", "eva"), feed_key("a", "petr"), feed_key("b", "eva")}

    assert (len(keys), {len(k) for k in keys}) == (3, {43})


def test_a_key_is_read_as_its_principal_with_a_viewers_rights() -> None:
    tokens = parse_tokens(TOKENS)

    assert (feed_principal(feed_key("s", "auditor"), "s", tokens),
            feed_principal(feed_key("s", "nobody"), "s", tokens),
            feed_principal(feed_key("other", "auditor"), "s", tokens)) == (
        Principal("auditor", "auditor", frozenset({"viewer"})), None, None)


@pytest.mark.parametrize(("query", "masked"), [
    ("key=abc", "key=[masked]"),
    ("on=2018-06-01&key=abc-DEF_1&from=2018-01-01",
     "on=2018-06-01&key=[masked]&from=2018-01-01"),
    ("key=a&key=b", "key=[masked]&key=[masked]"),
    ("%6Bey=abc&monkey=1", "%6Bey=[masked]&monkey=1"),
    ("key", "key=[masked]"),
    ("keys=1&akey=2", "keys=1&akey=2"),
    ("", ""),
])
def test_mask_feed_keys_hides_every_key_value_and_nothing_else(query: str, masked: str) -> None:
    assert mask_feed_keys(query) == masked


def test_the_feed_key_command_prints_the_key_of_a_name(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRANTLEDGER_FEED_SECRET", FEED_SECRET)
    monkeypatch.setenv("GRANTLEDGER_TOKENS", TOKENS)

    code = main(["feed-key", "--name", "viewer"])

    out, err = capsys.readouterr()
    assert (code, out, "warning" in err) == (0, feed_key(FEED_SECRET, "viewer") + "\n", False)


def test_the_feed_key_command_warns_of_a_name_the_server_does_not_know(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRANTLEDGER_FEED_SECRET", FEED_SECRET)
    monkeypatch.setenv("GRANTLEDGER_TOKENS", TOKENS)

    code = main(["feed-key", "--name", "eva"])

    err = capsys.readouterr().err
    assert (code, err.splitlines()[0]) == (
        0, "# warning: 'eva' is not in GRANTLEDGER_TOKENS here; the server accepts only the "
           "keys of its principals")


def test_the_feed_key_command_without_a_secret_exits_2_saying_why(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GRANTLEDGER_FEED_SECRET", raising=False)

    code = main(["feed-key", "--name", "viewer"])

    out, err = capsys.readouterr()
    assert (code, out, err) == (
        2, "", "grantledger: GRANTLEDGER_FEED_SECRET is not set: feed keys are derived from it. "
               "Set the same secret as the server's (e.g. the output of `grantledger token`); "
               "changing it later revokes every key\n")
