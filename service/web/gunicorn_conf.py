"""gunicorn settings for Grantledger (`gunicorn -c python:service.web.gunicorn_conf`).

The master creates the event store's tables once, before forking; the workers then start with
table creation off, so several workers never race to create them (EVENTSOURCING-NOTES.md).
The projector is not started here: `grantledger serve` runs it beside gunicorn and supervises
it; in production run `grantledger projector` under the process manager (deploy/).
Worker class: gthread with one worker per core and 8 threads gave the highest GET throughput
on the 2-core reference machine (shared/bench/RESULTS-baseline.md).
"""

import multiprocessing
import os
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
    from service.config import Settings
    from service.store.migrate import create_tables

    if Settings.from_env().create_tables:  # `grantledger serve` has created them already
        create_tables()
    os.environ["GRANTLEDGER_CREATE_TABLES"] = "n"


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
