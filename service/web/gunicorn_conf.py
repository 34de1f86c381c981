"""gunicorn settings for Grantledger (`gunicorn -c python:service.web.gunicorn_conf`).

The master creates the event store's tables once, before forking; the workers then start with
table creation off, so several workers never race to create them (EVENTSOURCING-NOTES.md).
With GRANTLEDGER_START_PROJECTOR=y (what `grantledger serve` sets) the master also starts the
projector as a child process and stops it on exit; in production run `grantledger projector`
as its own process instead (deploy/Procfile).
Worker class: gthread with one worker per core and 8 threads gave the highest GET throughput
on the 2-core reference machine (shared/bench/RESULTS-baseline.md).
"""

import multiprocessing
import os
import subprocess
import sys
import tempfile
from typing import Any

# Metrics of all workers are summed through this folder (prometheus-client multiprocess mode);
# it must be set before prometheus_client is first imported, so here at the top.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="grantledger-metrics-"))

wsgi_app = "service.web.wsgi:app"
bind = os.environ.get("GRANTLEDGER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GRANTLEDGER_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("GRANTLEDGER_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GRANTLEDGER_THREADS", "8"))
keepalive = 5
timeout = 30
graceful_timeout = 20
accesslog = os.environ.get("GRANTLEDGER_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GRANTLEDGER_LOG_LEVEL", "info")


def on_starting(server: Any) -> None:
    from service.store.migrate import create_tables

    create_tables()
    os.environ["GRANTLEDGER_CREATE_TABLES"] = "n"


def when_ready(server: Any) -> None:
    if os.environ.get("GRANTLEDGER_START_PROJECTOR", "n").lower() in ("y", "yes", "1"):
        server.grantledger_projector = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "projector"])


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    projector = getattr(server, "grantledger_projector", None)
    if projector is not None:
        projector.terminate()
        projector.wait(timeout=10)
