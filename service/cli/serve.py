"""`grantledger serve`: gunicorn and the projector on one machine, the projector supervised.

`serve` migrates the store, then starts gunicorn (the web workers) and the projector as child
processes and watches them: a projector that exits is started again after a back-off
that grows while it keeps failing, each exit logged with its status and counted
(`grantledger_projector_restarts_total`); views that silently stop moving would be an outage.
So is a projector that hangs: it sends signs of life as its loop turns (service.watchdog, the
protocol of systemd's watchdog), and one silent for longer than GRANTLEDGER_MAX_HEARTBEAT_AGE
is killed and started again, the log saying why.
SIGTERM (or SIGINT) stops both gracefully — gunicorn lets its workers finish the requests in
hand, the projector its batch — and `serve` exits 0. When gunicorn itself exits, `serve`
stops the projector and exits with gunicorn's status.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.logs import setup_logging
from service.watchdog import ENV as NOTIFY_SOCKET
from service.watchdog import SignsOfLife

GUNICORN_CONF = "python:service.web.gunicorn_conf"
GRACE_SECONDS = 30.0
POLL_SECONDS = 0.2
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
# A projector that ran this long before it exited is restarted after the first back-off again.
STEADY_SECONDS = 60.0
# A projector starting (importing, connecting, migrating) has this long to say it is ready,
# as systemd's TimeoutStartSec gives a unit; after that, the heartbeat bound applies.
START_GRACE = 60.0
# Beyond the connect timeout, what a projector waiting on a silent store may take to turn its
# loop again (a retry's pause, a sign of life's interval).
STORE_WAIT_SLACK = 2.0
log = logging.getLogger("grantledger.serve")


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@dataclass
class Child:
    """A process `serve` started, and how to start it again."""

    name: str
    command: list[str]
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env)
        self.started_at = time.monotonic()

    def exit_status(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """Waits for the process to exit; kills it after `timeout`."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %g s; killing it", self.name, timeout)
            self.process.kill()
            return self.process.wait()


@dataclass
class Supervisor:
    web: Child
    projector: Child | None
    on_restart: Callable[[], None] = lambda: None
    stopping: threading.Event = field(default_factory=threading.Event)
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    # The projector's signs of life, and how long it may stay silent (None: not watched).
    signs: SignsOfLife | None = None
    silence_bound: float = 30.0

    def run(self) -> int:
        self.web.start()
        if self.projector is not None:
            self.projector.start()
        while not self.stopping.wait(POLL_SECONDS):
            status = self.web.exit_status()
            if status is not None:
                (log.info if status == 0 else log.error)(
                    "gunicorn exited with %s; stopping", describe_exit(status))
                self._stop_projector()
                return status
            self._watch_projector()
        return self._stop()

    def _watch_projector(self) -> None:
        projector = self.projector
        if projector is None:
            return
        if self.restart_at is not None:
            if time.monotonic() >= self.restart_at:
                self.restart_at = None
                projector.start()
            return
        status = projector.exit_status()
        if status is None:
            why = self._silence(projector)
            if why is None:
                return
            assert projector.process is not None
            projector.process.kill()
            projector.process.wait()
        else:
            why = f"exited with {describe_exit(status)}"
        if time.monotonic() - projector.started_at >= STEADY_SECONDS:
            self.backoff = FIRST_BACKOFF
        log.error("the projector %s; starting it again in %g s", why, self.backoff)
        self.on_restart()
        self.restart_at = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF)

    def _silence(self, projector: Child) -> str | None:
        """Why the running projector is taken for hung, if it is: no sign of life within the
        bound (or, still starting, within START_GRACE)."""
        if self.signs is None:
            return None
        silent, heard = self.signs.silent_for(projector.started_at)
        bound = self.silence_bound if heard else max(START_GRACE, self.silence_bound)
        if silent <= bound:
            return None
        return (f"showed no sign of life for {silent:.1f} s (bound {bound:g} s"
                f"{'' if heard else ' to start'}): killed it as hung")

    def _stop(self) -> int:
        """Asks both to finish what they hold, and waits for them."""
        self.web.signal(signal.SIGTERM)
        self._stop_projector()
        status = self.web.wait(GRACE_SECONDS)
        log.info("grantledger serve stopped (gunicorn exited with status %s)", status)
        return 0

    def _stop_projector(self) -> None:
        if self.projector is not None and self.projector.process is not None:
            self.projector.signal(signal.SIGTERM)
            self.projector.wait(GRACE_SECONDS)


def describe_exit(status: int) -> str:
    """`status 1`, or `signal 9 (SIGKILL)` for a process killed by a signal."""
    if status < 0:
        with contextlib.suppress(ValueError):
            return f"signal {-status} ({signal.Signals(-status).name})"
        return f"signal {-status}"
    return f"status {status}"


def run_supervised(start_projector: bool, gunicorn_args: Sequence[str] = ()) -> int:
    """Runs gunicorn and (unless told not to) the projector until SIGTERM or SIGINT (the
    store is migrated by then: service.cli.main); the metrics of every process are summed
    in one folder, removed at exit."""
    setup_logging("serve")
    metrics_dir = _metrics_dir()
    signs = SignsOfLife(Path(tempfile.mkdtemp(prefix="grantledger-serve-")))
    try:
        from service.config import Settings
        from service.metrics import PROJECTOR_RESTARTS
        projector = Child("projector", python_module("service.cli", "projector"),
                          env={**os.environ, NOTIFY_SOCKET: str(signs.path)})
        supervisor = Supervisor(
            Child("gunicorn", python_module("gunicorn", "--config", GUNICORN_CONF,
                                            *gunicorn_args)),
            projector if start_projector else None, on_restart=PROJECTOR_RESTARTS.inc,
            signs=signs, silence_bound=silence_bound(Settings.from_env()))
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: supervisor.stopping.set())
        return supervisor.run()
    finally:
        signs.close()
        shutil.rmtree(signs.path.parent, ignore_errors=True)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def projector_answer_timeout(settings: Any) -> float:
    """How long the projector waits for an answer of the store: half the heartbeat bound, at
    least the connect timeout."""
    from service.store.database import StoreUrl

    store = StoreUrl(settings.database_url)
    connect = store.connect_timeout() if store.is_postgres else 0
    return max(float(connect), float(settings.max_heartbeat_age) / 2)


def silence_bound(settings: Any) -> float:
    """How long the projector may stay silent: the heartbeat bound, but never less than a
    wait for a store that does not answer (its answer timeout, then a retry) — a projector
    waiting on the store is not hung, and one restarted then could not connect either."""
    waiting = projector_answer_timeout(settings) + STORE_WAIT_SLACK
    return max(float(settings.max_heartbeat_age), waiting)


def _metrics_dir() -> str | None:
    """A fresh folder for prometheus-client's multiprocess mode (set before it is imported),
    unless the operator gave one; returns the folder to remove at exit."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    folder = tempfile.mkdtemp(prefix="grantledger-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder
