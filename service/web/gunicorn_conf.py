"""gunicorn settings for Grantledger (`gunicorn -c python:service.web.gunicorn_conf`).

The master migrates the store (creates or upgrades its tables) before forking, under the
migration lock, so it never races the projector or another service starting beside it
(service.store.migrate); the workers open it as it is, with table creation off.
The projector is not started here: `grantledger serve` runs it beside gunicorn and supervises
it; in production run `grantledger projector` under the process manager (deploy/).
Worker class: gthread with one worker per core and 8 threads gave the highest GET throughput
on the 2-core reference machine (shared/bench/RESULTS-baseline.md).
"""

import multiprocessing
import os
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
    from service.config import ConfigurationError, Settings
    from service.store.database import StoreError
    from service.store.migrate import migrate

    try:
        migrate(Settings.from_env().database_url)
    except (ConfigurationError, StoreError) as error:
        server.log.error("grantledger: %s", error)
        sys.exit(2)
    os.environ["GRANTLEDGER_MIGRATE"] = "n"  # for the workers: done


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
