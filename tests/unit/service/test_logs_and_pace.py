"""The one log format, the projector's pause after a batch, and the watchdog's signs."""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path

import pytest

from service.logs import JsonLines, Readable, formatter_for, set_role
from service.reads.projector import MAX_PAUSE, pause_after
from service.watchdog import Notifier, SignsOfLife


def record(message: str, level: int = logging.WARNING, error: bool = False) -> logging.LogRecord:
    exc_info = None
    if error:
        try:
            raise ValueError("broken")
        except ValueError as caught:
            exc_info = (type(caught), caught, caught.__traceback__)
    made = logging.LogRecord("grantledger.store", level, __file__, 1, message, None, exc_info)
    made.created, made.process = 1796558400.25, 4321  # 2026-12-06 12:00:00.250 UTC
    return made


def test_a_record_is_one_json_line_with_time_level_process_logger_and_message() -> None:
    set_role("projector")
    line = JsonLines().format(record("the event store does not answer: refused"))

    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-12-06T12:00:00.250+00:00", "level": "WARNING", "process": "projector",
        "pid": 4321, "logger": "grantledger.store",
        "message": "the event store does not answer: refused"}


def test_a_traceback_goes_with_its_record_in_the_same_line() -> None:
    entry = json.loads(JsonLines().format(record("unhandled", logging.ERROR, error=True)))

    assert entry["message"] == "unhandled"
    assert entry["traceback"].startswith("Traceback") and "ValueError: broken" in entry[
        "traceback"]


def test_a_terminal_gets_readable_lines_and_anything_else_json() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    set_role("serve")
    readable = formatter_for(Terminal())

    assert isinstance(readable, Readable) and isinstance(formatter_for(io.StringIO()), JsonLines)
    assert readable.format(record("stopped", logging.INFO)).endswith(
        " INFO serve[4321] grantledger.store: stopped")


@pytest.mark.parametrize(("took", "worked", "pause"), [
    (0.01, 0.01, 0.04),   # a quick batch: batches start at most every 50 ms
    (0.3, 0.2, 0.4),      # a busy one: twice its CPU time, a third of a core
    (15.0, 0.1, 0.2),     # stopped for 15 s with 0.1 s of work: no longer 30 s
    (12.0, 0.0, 0.0),     # blocked on the network: no work, no pause
    (3.0, 2.0, MAX_PAUSE),  # never over a second
])
def test_the_pause_after_a_batch_follows_its_work_not_the_clock(
        took: float, worked: float, pause: float) -> None:
    assert pause_after(took, worked) == pytest.approx(pause)


def test_signs_of_life_reach_the_supervisors_socket(tmp_path: Path) -> None:
    signs = SignsOfLife(tmp_path)
    started = time.monotonic()
    try:
        before = signs.silent_for(started)
        notifier = Notifier(str(signs.path))
        notifier.ready()
        notifier.alive()
        notifier.stopping()
        after = signs.silent_for(started)
    finally:
        signs.close()

    assert before[1] is False
    assert after[1] is True and after[0] < 1.0
    assert not signs.path.exists()


def test_without_a_supervisor_signs_of_life_go_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()

    notifier.ready()
    notifier.alive()  # nothing to send to, nothing raised
    assert notifier._socket is None
