"""`grantledger projections rebuild|status` on a store with history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import make_settings

from service.bootstrap import open_ledger
from service.demo import NEK_NUMBER, load_demo
from service.reads.projector import NAME


def grantledger(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", *args],
                          env={**os.environ, "GRANTLEDGER_DATABASE_URL": url},
                          capture_output=True, text=True, timeout=60, check=True)


def test_rebuild_applies_the_whole_log_with_progress_and_status_shows_no_lag(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    application = open_ledger(make_settings(url))
    load_demo(application, say=lambda _: None)
    head = application.recorder.max_notification_id()

    before = grantledger(url, "projections", "status").stdout
    rebuilt = grantledger(url, "projections", "rebuild").stdout
    after = grantledger(url, "projections", "status").stdout

    nek = application.queries.stored_view(application.id_for(NEK_NUMBER), "budget")
    assert before == f"{NAME}: position 0 of {head}, lag {head} events\n"
    assert f"{head} of {head} events" in rebuilt
    assert f"rebuilt the views from {head} events" in rebuilt
    assert after == f"{NAME}: position {head} of {head}, lag 0 events\n"
    assert nek is not None and nek.position == application.queries.last_position_of(
        application.id_for(NEK_NUMBER))
    application.close()
