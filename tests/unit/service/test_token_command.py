"""`grantledger token`: a new random token, or the entry of a tokens file that the service
accepts as it is."""

from __future__ import annotations

import pytest

from service.cli.main import main
from service.config import parse_tokens
from service.principals import Principal


def test_a_token_alone_on_standard_output_and_its_entry_as_a_hint(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["token", "--role", "accountant", "--name", "eva"])

    out, err = capsys.readouterr()
    token = out.strip()
    assert (code, len(token), err) == (
        0, 43, f"# add to GRANTLEDGER_TOKENS: eva:accountant:{token}\n")


def test_the_entry_is_a_line_of_a_tokens_file_the_service_accepts(
        capsys: pytest.CaptureFixture[str]) -> None:
    entries = []
    for name in ("eva", "jan"):
        assert main(["token", "--role", "auditor", "--name", name, "--entry"]) == 0
        out, err = capsys.readouterr()
        entries.append(out)
        assert err == ""

    principals = parse_tokens("".join(entries).replace("\n", ","))

    assert sorted(principals.values(), key=lambda p: p.name) == [
        Principal.static("eva", "auditor"), Principal.static("jan", "auditor")]
    assert [len(entry.rstrip("\n").split(":")[2]) for entry in entries] == [43, 43]


def test_the_name_defaults_to_the_role(capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "--role", "viewer", "--entry"])

    assert capsys.readouterr().out.startswith("viewer:viewer:")
