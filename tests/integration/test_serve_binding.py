"""Where `grantledger serve` listens (GRANTLEDGER_BIND, overridden by --host/--port only when
given), a busy address refused in one line before any token is printed, and the startup line
an operator reads first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from support import free_port

from service.cli.binding import bind_address, check_free, split_bind
from service.cli.main import _startup_line, main
from service.config import ConfigurationError, Settings

TOKEN = "binding-test-admin-token-0123456789"


@pytest.mark.parametrize(("env", "host", "port", "expected"), [
    ({}, None, None, "127.0.0.1:8000"),
    ({"GRANTLEDGER_BIND": "0.0.0.0:9000"}, None, None, "0.0.0.0:9000"),
    ({"GRANTLEDGER_BIND": "0.0.0.0:9000"}, None, 9100, "0.0.0.0:9100"),
    ({"GRANTLEDGER_BIND": "0.0.0.0:9000"}, "127.0.0.1", None, "127.0.0.1:9000"),
    ({"GRANTLEDGER_BIND": "[::1]:9000"}, None, 9100, "[::1]:9100"),
    ({}, "::1", 9100, "[::1]:9100"),
    ({"GRANTLEDGER_BIND": "unix:/run/gl.sock"}, None, None, "unix:/run/gl.sock"),
    ({"GRANTLEDGER_BIND": "unix:/run/gl.sock"}, None, 9100, "127.0.0.1:9100"),
])
def test_the_options_override_the_bind_only_when_given(env: dict[str, str], host: str | None,
                                                       port: int | None, expected: str) -> None:
    assert bind_address(env, host, port) == expected


def test_a_bind_that_is_not_host_and_port_is_refused_saying_how_to_write_it() -> None:
    with pytest.raises(ConfigurationError) as refused:
        split_bind("127.0.0.1:eighty")

    assert str(refused.value) == ("GRANTLEDGER_BIND='127.0.0.1:eighty' is not host:port (a "
                                  "port is 0 to 65535), e.g. 127.0.0.1:8000 or [::1]:8000")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_busy_address_is_refused(busy_port: int) -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_free(f"127.0.0.1:{busy_port}")

    assert str(refused.value) == (
        f"cannot listen on 127.0.0.1:{busy_port}: another process listens there; choose "
        "another address with GRANTLEDGER_BIND or --host/--port")


def test_serve_dev_on_a_busy_port_exits_2_with_one_line_and_prints_no_token(
        busy_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GRANTLEDGER_TOKENS", raising=False)
    monkeypatch.setenv("GRANTLEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")
    monkeypatch.setenv("GRANTLEDGER_BIND", f"127.0.0.1:{busy_port}")

    code = main(["serve", "--dev"])

    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", (
        f"grantledger: cannot listen on 127.0.0.1:{busy_port}: another process listens there; "
        "choose another address with GRANTLEDGER_BIND or --host/--port\n"))
    assert "GRANTLEDGER_TOKENS" not in os.environ


def test_the_startup_line_names_version_masked_store_workers_and_tokens(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRANTLEDGER_WORKERS", "3")
    monkeypatch.setenv("GRANTLEDGER_THREADS", "4")
    settings = Settings(database_url="postgresql://gl:s3cret@db.internal:5432/grantledger")

    line = _startup_line(settings, "0.0.0.0:8000", 2, start_projector=False)

    assert line == (f"grantledger {version('grantledger')} serving on 0.0.0.0:8000: store "
                    "postgresql://gl:***@db.internal:5432/grantledger, 3 workers × 4 threads, "
                    "2 tokens, no projector")


def test_the_startup_line_names_the_read_replica_masked_too(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRANTLEDGER_WORKERS", "1")
    monkeypatch.setenv("GRANTLEDGER_THREADS", "8")
    settings = Settings(database_url="postgresql://gl:s3cret@db.internal/grantledger",
                        read_database_url="postgresql://gl:s3cret@standby.internal/grantledger")

    line = _startup_line(settings, "127.0.0.1:8000", 1, start_projector=True)

    assert line == (f"grantledger {version('grantledger')} serving on 127.0.0.1:8000: store "
                    "postgresql://gl:***@db.internal/grantledger, reads from the replica "
                    "postgresql://gl:***@standby.internal/grantledger, 1 worker × 8 threads, "
                    "1 token, the projector beside it")


def test_serve_listens_where_grantledger_bind_says(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GRANTLEDGER_TOKENS": f"tester:admin:{TOKEN}",
           "GRANTLEDGER_BIND": f"127.0.0.1:{port}", "GRANTLEDGER_WORKERS": "1",
           "GRANTLEDGER_START_PROJECTOR": "n"}
    env.pop("GRANTLEDGER_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=tmp_path,
                                   env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        answered = _live(f"http://127.0.0.1:{port}/health/live", process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert answered, log.read_text()
    assert (f"grantledger {version('grantledger')} serving on 127.0.0.1:{port}: store "
            "sqlite:///grantledger.db, 1 worker × 8 threads, 1 token, no projector"
            ) in log.read_text()


def _live(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.1)
    return False
