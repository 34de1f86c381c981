"""`grantledger import expenses` as a user runs it: a process of its own, against a
`grantledger serve` process, with and without a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from api_builders import NEK_NUMBER, nek_registration
from test_import_expenses import CELLS, HEADINGS_CS, write_xlsx
from test_serve_process import (  # noqa: F401 (the fixtures that start a service)
    TOKEN,
    call,
    grantledger,
    served,
    serving,
)


def import_command(base: str, path: Path, *more: str) -> list[str]:
    return grantledger("import", "expenses", str(path), "--project", NEK_NUMBER, "--url", base,
                       *more)


def environment() -> dict[str, str]:
    return {**os.environ, "GRANTLEDGER_TOKEN": TOKEN}


def test_an_import_draws_its_progress_on_a_terminal_and_runs_as_well_without_one(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    base: str = request.getfixturevalue("served")  # a `grantledger serve` process
    status, created = call(f"{base}/api/v1/projects", nek_registration())
    path = write_xlsx(tmp_path / "vydaje.xlsx", HEADINGS_CS, CELLS)
    terminal, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns

    dry = subprocess.Popen(import_command(base, path, "--dry-run"), env=environment(),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=side)
    os.close(side)
    shown = _read_all(terminal)
    dry_stdout, _ = dry.communicate(timeout=60)
    real = subprocess.run(import_command(base, path), env=environment(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)

    _, listed = call(f"{base}/api/v1/projects/{created['id']}/expenses")
    assert (status, dry.returncode, real.returncode, real.stderr) == (201, 0, 0, "")
    assert "vydaje.xlsx: 100%" in shown and "4/4" in shown
    assert b"4 would be recorded (dry run)" in dry_stdout
    assert real.stdout.splitlines()[:3] == [
        "vydaje.xlsx: 4 rows", "        4 recorded", "        0 already recorded, skipped"]
    assert [e["document_number"] for e in listed["expenses"]] == [row[0] for row in CELLS]


def _read_all(terminal: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(terminal)
    return b"".join(chunks).decode(errors="replace")
