"""gunicorn settings for Grantledger (`gunicorn -c python:service.web.gunicorn_conf`).

The master migrates the store (creates or upgrades its tables) before forking, under the
migration lock, so it never races the projector or another service starting beside it
(service.store.migrate); the workers open it as it is, with table creation off.
The projector is not started here: `grantledger serve` runs it beside gunicorn and supervises
it; in production run `grantledger projector` under the process manager (deploy/).
Worker class: gthread with one worker per core and 8 threads gave the highest GET throughput
on the 2-core reference machine (docs/PERFORMANCE.md).
"""

import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

wsgi_app = "service.web.wsgi:app"
bind = os.environ.get("GRANTLEDGER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GRANTLEDGER_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("GRANTLEDGER_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GRANTLEDGER_THREADS", "8"))
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
# connections over them. On one shared socket the worker that woke first took nearly every
# connection of a burst (15 or 16 of wrk's 16, most runs of the benchmark), so one core did
# the Python work of all of them. A socket path or an inherited descriptor stays shared.
reuse_port = not bind.startswith(("unix:", "fd://"))
keepalive = 5
timeout = 30
graceful_timeout = 20
# The service writes its own access log, JSON lines with the principal and the request id
# (GRANTLEDGER_ACCESS_LOG, service.web.request_log); gunicorn's would repeat it less well.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GRANTLEDGER_LOG_LEVEL", "info")
# gunicorn's records and the app's as JSON lines (on a terminal, readable lines) as every
# process of the service writes them (service.logs).
logger_class = "service.web.gunicorn_logging.GunicornLogger"
# gunicorn's control socket (gunicornc) defaults to one path per user, which every instance on
# the machine would share: off, unless GRANTLEDGER_CONTROL_SOCKET gives this instance its own.
control_socket_disable = not os.environ.get("GRANTLEDGER_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GRANTLEDGER_CONTROL_SOCKET"]
# The folder of the slots through which each project's batches are decided in one worker
# (service.web.handoff); made by the master at start.
_batch_homes: str | None = None


def on_starting(server: Any) -> None:
    from service.collector import tune_collector
    from service.config import ConfigurationError, Settings
    from service.store.database import StoreError
    from service.store.migrate import migrate

    tune_collector()  # in the master, so that every worker it forks has the thresholds

    try:
        _check_address_free()
        migrate(Settings.from_env().database_url)
    except (ConfigurationError, StoreError) as error:
        server.log.error("grantledger: %s", error)
        sys.exit(2)
    os.environ["GRANTLEDGER_MIGRATE"] = "n"  # for the workers: done
    _make_metrics_folder(server)
    _make_batch_homes(server)


def _check_address_free() -> None:
    """With a socket of its own per worker, a second instance on the address would share the
    connections silently: it is refused, as `serve` refuses it. Not on a re-exec for an
    upgrade (gunicorn's USR2), where the new workers are meant to join the old ones."""
    from service.cli.binding import check_free

    if reuse_port and not os.environ.get("GUNICORN_FD"):
        check_free(bind)


def _make_metrics_folder(server: Any) -> None:
    """The workers' metrics are summed through a folder (prometheus-client's multiprocess
    mode), set before prometheus_client is first imported, so before the workers start; one
    made here is removed at exit (one the operator gave, or `grantledger serve` made, is
    theirs)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = tempfile.mkdtemp(prefix="grantledger-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = server.grantledger_metrics_folder = folder


def _make_batch_homes(server: Any) -> None:
    """The folder of the workers' slots for batch affinity (service.web.handoff), private to
    this master's workers (forked, they find it in this module); none for one worker."""
    global _batch_homes
    from service.cli.main import YES

    affinity = os.environ.get("GRANTLEDGER_BATCH_AFFINITY", "y").lower() in YES
    if affinity and server.cfg.workers > 1:
        _batch_homes = tempfile.mkdtemp(prefix="grantledger-batches-")


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    for folder in (getattr(server, "grantledger_metrics_folder", None), _batch_homes):
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def post_fork(server: Any, worker: Any) -> None:
    from service.logs import set_role

    set_role("web")


def post_worker_init(worker: Any) -> None:
    # What the worker holds once the app is loaded (modules, schemas, routes: most objects it
    # will ever have) lives as long as the worker: frozen, the cyclic garbage collector stops
    # walking it on every full collection, which cost a cached poll about a tenth of its time.
    gc.freeze()
    if _batch_homes is not None:
        from service.web.handoff import HandOff, Slots

        app = worker.wsgi
        handoff = HandOff(app.wsgi_app, Slots(Path(_batch_homes), worker.cfg.workers))
        app.wsgi_app = worker.grantledger_handoff = handoff.start(app)


def worker_exit(server: Any, worker: Any) -> None:
    handoff = getattr(worker, "grantledger_handoff", None)
    if handoff is not None:
        handoff.stop()  # the batches passed to this worker answered first
