#!/usr/bin/env python3
"""The HTTP benchmark of issue 3: the service on PostgreSQL against the floor, in one run.

    apt-get update && apt-get install -y wrk          # once: wrk (and curl) are needed
    .venv/bin/python tests/benchmarks/bench.py         # the full run, several minutes
    .venv/bin/python tests/benchmarks/bench.py --quick # a smoke run, about two minutes

What one run does:

1. drops and recreates a PostgreSQL database (`grantledger_bench` on 127.0.0.1:5432, user
   postgres, trust auth) and seeds it in-process, several commands per save: 100 projects for
   the portfolio, a project with 100 expenses and one with 10,000 to read, a fresh pair per
   round to post to, and filler expenses on the other projects until the log holds 100,000
   events;
2. measures the projector: catching up over the whole seeded log in-process (events/s), then
   a full rebuild with `grantledger projections rebuild` (seconds);
3. starts the service under gunicorn (`python:service.web.gunicorn_conf`,
   `-k gthread -w 2 --threads 8`,
   the projector beside the workers, tokens configured);
4. runs `floor/run_floor.sh` (beside this script) for the floor app (same gunicorn settings, same
   PostgreSQL server and database) and `run_floor.sh --url` against the service, floor and
   service interleaved in every round; while the service takes POSTs a thread samples the
   projector's lag;
5. prints one markdown table (medians over the rounds: req/s, p50, p99, the floor or reference
   figure beside it, the ratio, the issue's target, met or missed) and writes it with the
   date, the machine and the settings to tests/benchmarks/RESULTS.md.

Everything it starts (gunicorn's process group, run_floor.sh and its floor app) is stopped on
any exit. The database is left in place for inspection; the next run drops it.

Not part of the test run (pytest collects test_*.py only). Needs wrk and curl on PATH and a
PostgreSQL server where the user may create databases.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import math
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from jwt_keys import SigningKey, access_claims, new_key  # noqa: E402
from tiny_issuer import AUDIENCE, TinyIssuer  # noqa: E402

from domain.commands import GrantAccess, RegisterProject  # noqa: E402
from domain.records import Stamp  # noqa: E402
from service.application import LedgerApplication, prague_today, utc_now  # noqa: E402
from service.bootstrap import ledger_env  # noqa: E402
from service.config import Settings  # noqa: E402
from service.demo import NEK_REGISTRATION  # noqa: E402
from service.principals import Actor  # noqa: E402
from service.reads.projector import NAME as PROJECTION  # noqa: E402
from service.reads.projector import Projector  # noqa: E402
from service.store.migrate import migrate  # noqa: E402

# The floor app and its wrk scripts travel with the benchmark (tests/benchmarks/floor/).
FLOOR_DIR = Path(os.environ.get("GRANTLEDGER_BENCH_FLOOR_DIR",
                               Path(__file__).resolve().parent / "floor"))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SCALE_HEADING = "# Scale results (tests/benchmarks/scale.py)"  # scale.py appends below it
PYTHON = Path(sys.executable)
API = "/api/v1"

# Seeded expenses: valid for NEK's registration (its lines, activities and period).
LINES = ("PERSONNEL", "EXTERNAL_SERVICES", "TRAVEL", "MARKETING_PROMOTION",
         "SEMINARS_CONFERENCES", "RENT")
ACTIVITIES = ("1.1", "2", "3.1", "4", None)
PERIOD_START = date(2016, 4, 1)
SUPPLIER = {"name": "Bench Supplier, s.r.o.", "ico": "12345678", "country": "CZ"}
# The POST body: a unique document number per request ({{rand}} keeps runs apart).
POST_BODY = (
    '{"document_number":"B-{{thread}}-{{n}}-{{rand}}","document_type":"invoice",'
    '"supplier":{"name":"Bench Supplier, s.r.o.","ico":"12345678","country":"CZ"},'
    '"description":"bench expense {{n}}","budget_line":"TRAVEL","activity":"2",'
    '"tax_point_date":"2017-06-15","amount_net":"{{amount}}","vat":"0.00"}'
)

BATCH_ITEMS = 500
# A batch of BATCH_ITEMS expenses, each with only the required fields: the template travels to
# wrk in an environment variable, which Linux caps at 128 KiB. {{rand}} is drawn for each item,
# {{n}} counts the thread's requests and the item's index is written in, so every document
# differs (also in run_floor.sh's smoke request, which fills each placeholder once).
BATCH_BODY = '{"expenses":[' + ",".join(
    '{"document_number":"B{{thread}}-{{n}}-{{rand}}-' f'{i}' '","document_type":"invoice",'
    '"supplier":{"name":"S","ico":"12345678","country":"CZ"},"description":"b",'
    '"budget_line":"TRAVEL","tax_point_date":"2017-06-15","amount_net":"{{amount}}"}'
    for i in range(BATCH_ITEMS)) + "]}"
IMPORT_ROWS = 10_000


# ---- options ------------------------------------------------------------------------------


@dataclass
class Options:
    quick: bool
    rounds: int
    duration: int
    warmup: int
    connections: int
    workers: int
    threads: int
    projects: int
    small: int
    large: int
    log_events: int
    database: str
    pg_host: str
    pg_port: int
    service_port: int
    floor_port: int
    pause_projector: bool
    write_results: bool
    repeats: int

    @property
    def admin_conninfo(self) -> str:
        return f"host={self.pg_host} port={self.pg_port} user=postgres dbname=postgres"

    @property
    def conninfo(self) -> str:
        return f"host={self.pg_host} port={self.pg_port} user=postgres dbname={self.database}"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@{self.pg_host}:{self.pg_port}/{self.database}"


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round of 3 s, 2,000-expense project, 10,000 events")
    parser.add_argument("--rounds", type=int, help="interleaved floor/service rounds (default 3)")
    parser.add_argument("--duration", type=int, help="measured seconds per target (default 10)")
    parser.add_argument("--warmup", type=int, help="warm-up seconds per target (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=8, help="gthread threads (8)")
    parser.add_argument("--projects", type=int, default=100, help="projects in the portfolio")
    parser.add_argument("--small", type=int, default=100, help="expenses of the small project")
    parser.add_argument("--large", type=int, help="expenses of the large project (10,000)")
    parser.add_argument("--log-events", type=int,
                        help="events in the seeded log, rebuilt in step 2 (100,000)")
    parser.add_argument("--database", default="grantledger_bench")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--service-port", type=int, default=18090)
    parser.add_argument("--floor-port", type=int, default=18188)
    parser.add_argument("--no-pause-projector", dest="pause_projector", action="store_false",
                        help="leave the service's projector running during the floor's runs "
                             "(by default it is paused with SIGSTOP, so that its idle polling "
                             "does not take CPU from the floor)")
    parser.add_argument("--repeat-one-worker", dest="repeats", type=int, default=2,
                        help="run a GET or a floor target again, up to this many times, when "
                             "one gunicorn worker held all of wrk's connections (default 2)")
    parser.add_argument("--no-results", dest="write_results", action="store_false",
                        help=f"print the table only, do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    quick = args.quick
    options = Options(
        quick=quick,
        rounds=args.rounds or (1 if quick else 3),
        duration=args.duration or (3 if quick else 10),
        warmup=args.warmup if args.warmup is not None else (1 if quick else 3),
        connections=args.connections, workers=args.workers, threads=args.threads,
        projects=args.projects, small=args.small,
        large=args.large or (2_000 if quick else 10_000),
        log_events=args.log_events or (10_000 if quick else 100_000),
        database=args.database, pg_host=args.pg_host, pg_port=args.pg_port,
        service_port=args.service_port, floor_port=args.floor_port,
        pause_projector=args.pause_projector, write_results=args.write_results,
        repeats=max(0, args.repeats),
    )
    if options.projects < 2 + 3 * options.rounds:
        parser.error(f"--projects must be at least {2 + 3 * options.rounds} for "
                     f"{options.rounds} rounds")
    return options


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- database and seeding -----------------------------------------------------------------


def recreate_database(options: Options) -> None:
    import psycopg

    with psycopg.connect(options.admin_conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{options.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{options.database}"')


def vacuum_analyze(options: Options) -> None:
    """Statistics for the planner after the bulk load (autovacuum may be off, as it is on the
    reference machine's server), as a database that has been running for a while has."""
    import psycopg

    with psycopg.connect(options.conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def open_application(options: Options) -> LedgerApplication:
    settings = Settings(database_url=options.database_url)
    migrate(settings.database_url)
    env = {**ledger_env(settings), "POSTGRES_POOL_SIZE": "2"}
    return LedgerApplication(env=env)


@dataclass
class Seeded:
    get_small: UUID
    get_large: UUID
    post_small: list[UUID]
    post_large: list[UUID]
    post_batch: list[UUID]
    fillers: list[UUID]
    events: int
    seconds: float
    after_seeding: datetime
    expenses_per_filler: int


class Seeder:
    """Records commands in bulk: many on one aggregate, then one save per 500 versions (the
    projector takes the aggregate snapshots as it catches up, as it would in service)."""

    CHUNK = 500

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app
        self.last = utc_now()
        self.events = 0

    def stamp(self) -> Stamp:
        now = max(utc_now(), self.last)  # moments never run backwards along a project
        self.last = now
        return Stamp(now, "bench-seed", "accountant", prague_today(now))

    def project(self, number: str, expenses: int) -> UUID:
        registration = {**NEK_REGISTRATION, "registration_number": number}
        project_id = self.app.register(RegisterProject(registration),
                                       Actor.static("bench-seed", "manager")).project.id
        self.events += 1
        self.last = max(self.last, utc_now())
        project = self.app.repository.get(project_id)
        for k in range(expenses):
            day = PERIOD_START + timedelta(days=k % 700)
            project.record_expense(
                self.stamp(), expense_id=uuid4(), document_number=f"SEED-{k:06d}",
                document_type="invoice", supplier=SUPPLIER, description=f"seeded expense {k}",
                budget_line=LINES[k % len(LINES)], activity=ACTIVITIES[k % len(ACTIVITIES)],
                tax_point_date=day, amount_net=Decimal(f"{100 + k % 900}.00"), vat=Decimal("21.00"),
                paid_on=day + timedelta(days=10) if k % 2 else None)
            if project.version % self.CHUNK == 0:
                self.app.save(project)
        self.app.save(project)
        self.events += expenses
        return project_id


def fillers_of(options: Options) -> int:
    """The projects beside those read and posted to: the portfolio's bulk, and the targets
    of the POSTs spread over many projects."""
    return options.projects - 2 - 3 * options.rounds


def seed(app: LedgerApplication, options: Options) -> Seeded:
    started = time.perf_counter()
    seeder = Seeder(app)
    rounds = options.rounds
    get_small = seeder.project("BENCH/GET/SMALL", options.small)
    get_large = seeder.project("BENCH/GET/LARGE", options.large)
    say(f"seeded the projects to read: {options.small} and {options.large} expenses")
    post_small = [seeder.project(f"BENCH/POST/SMALL/{r}", options.small)
                  for r in range(1, rounds + 1)]
    post_large = []
    post_batch = []
    for r in range(1, rounds + 1):
        post_large.append(seeder.project(f"BENCH/POST/LARGE/{r}", options.large))
        post_batch.append(seeder.project(f"BENCH/POST/BATCH/{r}", options.large))
        say(f"seeded the projects to post to, round {r}: {options.small}, {options.large} "
            f"and {options.large} (for batches) expenses")
    filler_count = fillers_of(options)
    missing = options.log_events - seeder.events - filler_count
    per_filler = max(0, math.ceil(missing / filler_count)) if filler_count else 0
    fillers = []
    for i in range(filler_count):
        fillers.append(seeder.project(f"BENCH/FILLER/{i:03d}", per_filler))
        if (i + 1) % 20 == 0 or i + 1 == filler_count:
            say(f"seeded {i + 1} of {filler_count} filler projects ({per_filler} expenses "
                f"each); {seeder.events:,} events so far")
    time.sleep(0.01)
    return Seeded(get_small, get_large, post_small, post_large, post_batch, fillers,
                  seeder.events,
                  time.perf_counter() - started, max(utc_now(), seeder.last) + timedelta(
                      milliseconds=1), per_filler)


# ---- the projector, in-process and through the command ------------------------------------


@dataclass
class ProjectorFigures:
    catch_up_events: int = 0
    catch_up_seconds: float = 0.0
    rebuild_events: int = 0
    rebuild_seconds: float = 0.0
    rebuild_wall_seconds: float = 0.0

    @property
    def catch_up_rate(self) -> float:
        return self.catch_up_events / self.catch_up_seconds if self.catch_up_seconds else 0.0

    @property
    def rebuild_rate(self) -> float:
        return self.rebuild_events / self.rebuild_seconds if self.rebuild_seconds else 0.0


def measure_projector(app: LedgerApplication, options: Options) -> ProjectorFigures:
    figures = ProjectorFigures()
    app.queries.reset_projection(PROJECTION)
    projector = Projector(app)
    started = time.perf_counter()
    last_report = [started]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last_report[0] >= 10:
            last_report[0] = now
            say(f"  catch-up: {done:,} of {total:,} events, "
                f"{done / (now - started):,.0f} events/s")

    figures.catch_up_events = projector.catch_up(report)
    figures.catch_up_seconds = time.perf_counter() - started
    say(f"projector catch-up in-process: {figures.catch_up_events:,} events in "
        f"{figures.catch_up_seconds:.1f} s = {figures.catch_up_rate:,.0f} events/s")

    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": options.database_url}
    started = time.perf_counter()
    done = subprocess.run([str(PYTHON), "-m", "service.cli", "projections", "rebuild"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    figures.rebuild_wall_seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"grantledger projections rebuild failed:\n{done.stderr[-2000:]}")
    found = re.search(r"rebuilt the views from (\d+) events in ([\d.]+) s", done.stdout)
    if not found:
        raise RuntimeError(f"unexpected output of the rebuild:\n{done.stdout[-2000:]}")
    figures.rebuild_events, figures.rebuild_seconds = int(found[1]), float(found[2])
    say(f"grantledger projections rebuild: {figures.rebuild_events:,} events in "
        f"{figures.rebuild_seconds:.1f} s ({figures.rebuild_wall_seconds:.1f} s with the "
        f"process start) = {figures.rebuild_rate:,.0f} events/s")
    return figures


# ---- processes ------------------------------------------------------------------------------


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


class Service:
    """`grantledger serve` (gunicorn with service.web.gunicorn_conf and the projector beside
    it, supervised), in its own process group."""

    def __init__(self, options: Options, tokens: str, log_dir: Path,
                 issuer: str) -> None:
        self.options = options
        self.url = f"http://127.0.0.1:{options.service_port}"
        self.log = log_dir / "gunicorn.log"
        self.tokens = tokens
        self.issuer = issuer
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if port_in_use(self.options.service_port):
            raise RuntimeError(f"port {self.options.service_port} is in use: --service-port")
        env = {**os.environ,
               "GRANTLEDGER_DATABASE_URL": self.options.database_url,
               "GRANTLEDGER_TOKENS": self.tokens,
               "GRANTLEDGER_OIDC_ISSUER": self.issuer,
               "GRANTLEDGER_OIDC_AUDIENCE": AUDIENCE,
               "GRANTLEDGER_SESSION_SECRET": secrets.token_urlsafe(32),
               "GRANTLEDGER_TOKEN_SIGN_IN": "y",
               "GRANTLEDGER_WORKERS": str(self.options.workers),
               "GRANTLEDGER_THREADS": str(self.options.threads),
               "GRANTLEDGER_WORKER_CLASS": "gthread",
               "GRANTLEDGER_START_PROJECTOR": "y",
               "GRANTLEDGER_LOG_LEVEL": "warning",
               "GUNICORN_CMD_ARGS": "--no-control-socket"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port",
                 str(self.options.service_port), "--workers", str(self.options.workers)],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.url}/health/live", timeout=2) as answer:
                if answer.status == 200 and len(self.workers()) == self.options.workers:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the service did not answer within 60 s; see {self.log}")

    @property
    def pid(self) -> int:
        """The gunicorn master (whose direct children are the workers)."""
        assert self.process is not None
        for pid in children(self.process.pid):
            if "gunicorn" in cmdline(pid):
                return pid
        return self.process.pid

    def wait_until_projector_idle(self, limit: float = 120) -> float:
        """After its start the projector renders every project's views for the day; the
        measurements begin once it only polls (under 20 % of a core over a second)."""
        started = time.monotonic()
        pid = self.projector_pid()
        while pid and time.monotonic() - started < limit:
            before = cpu_ticks([pid])
            time.sleep(1)
            if (cpu_ticks([pid]) - before) / os.sysconf("SC_CLK_TCK") < 0.2:
                break
        return time.monotonic() - started

    def projector_pid(self) -> int | None:
        assert self.process is not None
        for pid in children(self.process.pid):
            if "service.cli projector" in cmdline(pid):
                return pid
        return None

    def workers(self) -> list[int]:
        return children(self.pid)

    def wait_until_idle(self, quiet: float = 0.3, limit: float = 30) -> None:
        """Waits (at most `limit` seconds) until the workers used at most a tick of CPU in
        `quiet` seconds: their background threads' housekeeping, no request."""
        deadline = time.monotonic() + limit
        last = cpu_ticks(self.workers())
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = cpu_ticks(self.workers())
            if now - last <= 1:
                return
            last = now

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid
        projector = self.projector_pid()
        if projector:
            with contextlib.suppress(ProcessLookupError):
                os.kill(projector, signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)  # anything left in the group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    @contextlib.contextmanager
    def projector_paused(self, pause: bool) -> Iterator[None]:
        pid = self.projector_pid() if pause else None
        if pid:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def write_counts(self) -> tuple[float, ...] | None:
        """The service's counts of commands retried after a version conflict, of writes
        decided again after another process's write to the project and of writes made in turn
        under the project's lock (/metrics)."""
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(f"{self.url}/metrics", timeout=30) as answer:
                text = answer.read().decode()
            found = [re.search(rf"^{name} (\S+)$", text, re.M)
                     for name in ("grantledger_conflicts_retried_total",
                                  "grantledger_writes_decided_again_total",
                                  "grantledger_writes_in_turn_total")]
            if all(found):
                return tuple(float(match[1]) for match in found if match)
        return None

    def get(self, path: str, token: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(f"{self.url}{path}",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()


# ---- wrk through run_floor.sh ----------------------------------------------------------------


@dataclass
class Run:
    key: str
    round: int
    rps: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    non2xx: int = 0
    errors: int = 0
    requests: int = 0
    cpu_us: float | None = None
    failed: str | None = None
    line: str = ""
    split: tuple[int, ...] = ()
    """wrk's connections held by each gunicorn worker while measuring, busiest first."""

    @property
    def one_worker(self) -> bool:
        """Whether one worker held all of wrk's connections: gthread workers keep a connection
        they accepted, and when one worker accepts all of wrk's burst of connects it serves
        alone, at about half the req/s of a run where the other worker has even one."""
        return bool(self.split) and self.split[0] == sum(self.split)


class ConnectionSampler:
    """Samples, every 0.5 s, how many established connections each process holds on a port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                out = subprocess.run(
                    ["ss", "-tnpH", "state", "established", f"( sport = :{self.port} )"],
                    capture_output=True, text=True, timeout=5, check=False).stdout
                counts: dict[str, int] = {}
                for pid in re.findall(r"pid=(\d+)", out):
                    counts[pid] = counts.get(pid, 0) + 1
                self.samples.append((time.monotonic(), counts))

    def split(self, duration: float, workers: int) -> tuple[int, ...]:
        """The connections per worker in the middle of the last `duration` seconds with
        connections (the measured run, after the warm-up's)."""
        busy = [(t, c) for t, c in self.samples if sum(c.values()) > 0]
        if not busy:
            return ()
        middle = busy[-1][0] - duration / 2
        _, counts = min(busy, key=lambda sample: abs(sample[0] - middle))
        values = sorted(counts.values(), reverse=True)
        return tuple(values + [0] * max(0, workers - len(values)))


RUNNING: list[subprocess.Popen[str]] = []  # run_floor.sh processes, stopped on exit


def run_floor_sh(args: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """Runs run_floor.sh, stopped if this script is interrupted."""
    process = subprocess.Popen([str(FLOOR_DIR / "run_floor.sh"), *args], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    RUNNING.append(process)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_run_floor(process)
        out, err = process.communicate()
        return 124, out, err + "\n(timed out)"
    finally:
        if process in RUNNING:
            RUNNING.remove(process)
    return process.returncode, out, err


def stop_run_floor(process: subprocess.Popen[str]) -> None:
    """run_floor.sh stops its wrk and floor app on SIGTERM; its group is killed after."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def parse_lines(out: str) -> list[dict[str, str]]:
    rows = []
    for line in out.splitlines():
        if " rps=" in line or " FAILED" in line:
            values = dict(re.findall(r"(\w+)=(\S+)", line))
            values["_line"] = line.strip()
            values["_failed"] = "FAILED" if " FAILED" in line else ""
            rows.append(values)
    return rows


def to_run(key: str, round_no: int, values: dict[str, str]) -> Run:
    run = Run(key, round_no, line=values["_line"])
    if values["_failed"]:
        run.failed = values["_line"]
        return run
    run.rps = float(values["rps"])
    run.p50 = float(values["p50"].removesuffix("ms"))
    run.p99 = float(values["p99"].removesuffix("ms"))
    run.non2xx = int(values["non2xx"])
    run.errors = int(values["sockerr"]) + int(values["timeouts"])
    run.requests = int(values["requests"])
    cpu = values.get("cpu", "-")
    run.cpu_us = float(cpu.removesuffix("us/req")) if cpu.endswith("us/req") else None
    return run


class Driver:
    def __init__(self, options: Options, service: Service) -> None:
        self.options = options
        self.service = service
        self.runs: list[Run] = []
        self.headers: list[str] = []
        self.discarded: list[Run] = []  # one-worker runs measured again

    def _common(self, duration: int | None = None, warmup: int | None = None) -> list[str]:
        o = self.options
        return ["--duration", str(o.duration if duration is None else duration),
                "--warmup", str(o.warmup if warmup is None else warmup),
                "--connections", str(o.connections), "--wrk-threads", "1"]

    def _timeout(self, targets: int) -> float:
        return 120 + targets * (self.options.duration + self.options.warmup + 40)

    def _record(self, keys: list[str], round_no: int, code: int, out: str, err: str,
                split: tuple[int, ...] = ()) -> None:
        self.headers += [line for line in out.splitlines() if line.startswith("#")]
        rows = parse_lines(out)
        for i, key in enumerate(keys):
            if i < len(rows):
                run = to_run(key, round_no, rows[i])
            else:
                run = Run(key, round_no, failed=f"rc={code}: {err.strip()[-500:]}")
            if err.strip() and run.failed:
                run.failed += f" | {err.strip()[-300:]}"
            run.split = split if len(keys) == 1 else ()
            self.runs.append(run)
            shown = run.failed or (f"{run.rps:,.0f} req/s p50 {run.p50:.1f} ms p99 {run.p99:.1f} "
                                   f"ms non2xx {run.non2xx} cpu {run.cpu_us} us/req, "
                                   f"connections per worker {split_text(run.split)}")
            say(f"  round {round_no} {key:<16} {shown}")

    def floor(self, round_no: int, targets: list[tuple[str, str]]) -> None:
        o = self.options
        env = {**os.environ, "PYTHON": str(PYTHON), "FLOOR_POOL_MAX": str(o.threads),
               "FLOOR_DATABASE_URL": o.conninfo,
               "FLOOR_SQLITE_PATH": str(Path(tempfile.gettempdir()) / "bench-floor.sqlite3")}
        for name in ("WRK_AUTH", "WRK_BODY", "WRK_IF_NONE_MATCH", "GUNICORN_CMD_ARGS"):
            env.pop(name, None)
        args = ["--port", str(o.floor_port), "--worker-class", "gthread",
                "--workers", str(o.workers), "--threads", str(o.threads),
                "--targets", ",".join(t for _, t in targets), *self._common()]
        for attempt in range(o.repeats + 1):
            with self.service.projector_paused(o.pause_projector), \
                    ConnectionSampler(o.floor_port) as sampler:
                code, out, err = run_floor_sh(args, env, self._timeout(len(targets)))
            self._record([k for k, _ in targets], round_no, code, out, err,
                         sampler.split(o.duration, o.workers))
            if not self._again(len(targets), attempt):
                return

    def _again(self, targets: int, attempt: int) -> bool:
        """Whether the run just recorded was served by one worker alone and is to be measured
        again: such a run measures a one-process server, not the configured two workers."""
        last = self.runs[-1]
        if targets != 1 or not last.one_worker or attempt >= self.options.repeats:
            return False
        self.discarded.append(self.runs.pop())
        say(f"  round {last.round} {last.key:<16} one worker held all connections: again")
        return True

    def service_run(self, round_no: int, key: str, target: str, token: str,
                    body: str | None = None, if_none_match: str | None = None,
                    repeatable: bool = True, paths: list[str] | None = None) -> Run:
        """One wrk run against the service; with `paths`, each POST goes to one at random."""
        env = {**os.environ, "WRK_AUTH": f"Bearer {token}"}
        for name in ("WRK_BODY", "WRK_IF_NONE_MATCH", "WRK_PATHS"):
            env.pop(name, None)
        if body:
            env["WRK_BODY"] = body
        if paths:
            env["WRK_PATHS"] = ",".join(paths)
        if if_none_match:
            env["WRK_IF_NONE_MATCH"] = if_none_match
        args = ["--url", self.service.url, "--targets", target,
                "--server-pid", str(self.service.pid)]
        for attempt in range(self.options.repeats + 1):
            self._warm_up(args, env)
            with ConnectionSampler(self.options.service_port) as sampler:
                code, out, err = run_floor_sh([*args, *self._common(warmup=0)], env,
                                              self._timeout(1))
            self._record([key], round_no, code, out, err,
                         sampler.split(self.options.duration, self.options.workers))
            if not repeatable or not self._again(1, attempt):
                break
        return self.runs[-1]

    def _warm_up(self, args: list[str], env: dict[str, str]) -> None:
        """A warm-up run of its own, then a wait until the workers are idle. wrk abandons the
        requests in flight when a run ends, but the service still serves them: inside the
        measured run they would be work that wrk does not count (16 batches of 500, about
        1.4 s of a 10 s run)."""
        if self.options.warmup > 0:
            run_floor_sh([*args, *self._common(duration=self.options.warmup, warmup=0)], env,
                         self._timeout(1))
            self.service.wait_until_idle()


PAGE_REQUESTS = 50
PAGE_LIMIT_MS = 50.0


def page_rows(service: Service, token: str, pages: list[tuple[str, str]]) -> list[Row]:
    """Each page's server time, one request after another on a signed-in session (so the
    time is the page's, not a queue's): the median and the 90th percentile of
    PAGE_REQUESTS requests after a few to warm up."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{service.url}/app/sign-in", timeout=10).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None, "the sign-in form has no csrf field"
    opener.open(f"{service.url}/app/sign-in", timeout=10, data=urllib.parse.urlencode(
        {"csrf": csrf[1], "token": token, "next": ""}).encode()).read()
    rows = []
    for what, path in pages:
        times = []
        for n in range(5 + PAGE_REQUESTS):
            started = time.perf_counter()
            with opener.open(f"{service.url}{path}", timeout=30) as answer:
                answer.read()
                assert answer.status == 200, f"{path}: {answer.status}"
            if n >= 5:
                times.append((time.perf_counter() - started) * 1000)
        p50, p90 = statistics.median(times), statistics.quantiles(times, n=10)[-1]
        say(f"  page {path}: p50 {p50:.1f} ms, p90 {p90:.1f} ms")
        rows.append(Row(what, f"{p50:.1f} ms (p90 {p90:.1f} ms)", fmt_ms(p50), "–", "–", "–",
                        "–", "–", "–", "–", "one request at a time", f"≤ {PAGE_LIMIT_MS:g} ms",
                        "**met**" if p50 <= PAGE_LIMIT_MS
                        else f"**missed**: {p50 / PAGE_LIMIT_MS:.2f}× the limit"))
    return rows


def import_row(service: Service, admin: str, count: int) -> Row:
    """`grantledger import expenses` of an XLSX of `count` rows into a fresh project, end to
    end (tests/benchmarks/import_bench.py: reading the workbook, chunks of 500 posted)."""
    say(f"importing a {count:,}-row XLSX with grantledger import")
    done = subprocess.run(
        [str(PYTHON), str(REPO / "tests" / "benchmarks" / "import_bench.py"), "--url",
         service.url, "--token", admin, "--rows", str(count)],
        capture_output=True, text=True, timeout=1800, check=False)
    found = re.search(r"import of [\d,]+ rows: ([\d.]+) s, ([\d,]+) rows/s", done.stdout)
    what = f"`grantledger import expenses` of a {count:,}-row XLSX, end to end"
    if done.returncode != 0 or found is None:
        say(f"  the import failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
        return Row(what, "failed", *["–"] * 11)
    say(f"  {found[0]}")
    return Row(what, f"{float(found[1]):.1f} s", "–", "–", "–", "–", "–", "–", "–", "–",
               f"{found[2]} rows/s", "(no target)", "–")


def split_text(split: tuple[int, ...]) -> str:
    return "/".join(map(str, split)) if split else "?"


class LagSampler:
    """Samples the projector's lag, in events of the log it has not applied yet (positions
    have gaps: every version conflict burns one), while the load runs."""

    def __init__(self, options: Options, events_table: str, interval: float = 0.25) -> None:
        self.conninfo = options.conninfo
        self.statement = (f"SELECT count(*) FROM {events_table} WHERE notification_id > "
                          "(SELECT position FROM grantledger_tracking WHERE name = %s)")
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def lag(self) -> int:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            row = conn.execute(self.statement, [PROJECTION]).fetchone()
        return int(row[0]) if row else 0

    def __enter__(self) -> LagSampler:
        self._stop.clear()
        self.samples = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                with contextlib.suppress(psycopg.Error):
                    row = conn.execute(self.statement, [PROJECTION]).fetchone()
                    self.samples.append(int(row[0]) if row else 0)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def drain_seconds(self, limit: float = 120) -> float:
        """How long the projector takes to apply what is left after the load stopped."""
        started = time.perf_counter()
        while self.lag() > 0 and time.perf_counter() - started < limit:
            time.sleep(0.02)
        return time.perf_counter() - started


@dataclass
class LagFigures:
    key: str
    round: int
    events: int
    seconds: float
    max_lag: int
    final_lag: int
    drain: float
    counts: tuple[float, ...] | None
    """Commands retried after a conflict, writes decided again, writes in turn (None:
    /metrics unread)."""
    samples: list[int] = field(repr=False, default_factory=list)


# ---- the rounds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    """The bearer tokens of the run: static ones, and JWTs of the run's own issuer for
    subjects with no global role, granted the same roles on the projects they use."""

    viewer: str
    accountant: str
    admin: str
    jwt_viewer: str
    jwt_accountant: str


def jwt_tokens(issuer: TinyIssuer, key: SigningKey, app: LedgerApplication, seeded: Seeded,
               static: dict[str, str]) -> Tokens:
    """Signs the JWTs (valid for four hours) and grants their subjects viewer on the small
    project and accountant on the projects the small POSTs go to."""
    admin = Actor.static("bench-admin", "admin")
    signed = {}
    for name, role, projects in (("viewer", "viewer", [seeded.get_small]),
                                 ("accountant", "accountant", seeded.post_small)):
        sub = f"bench-jwt-{name}"
        signed[name] = key.sign(access_claims(issuer.url, AUDIENCE, sub=sub, lifetime=4 * 3600,
                                              name=f"Bench JWT {name}"))
        for project in projects:
            app.handle(GrantAccess(project_id=project, subject=f"{issuer.url}#{sub}",
                                   role=role), admin)
    return Tokens(static["viewer"], static["accountant"], static["admin"],
                  signed["viewer"], signed["accountant"])


def run_rounds(options: Options, driver: Driver, app: LedgerApplication, seeded: Seeded,
               tokens: Tokens) -> list[LagFigures]:
    service = driver.service
    budget = f"{API}/projects/{{}}/views/budget"
    as_of = seeded.after_seeding.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    lags: list[LagFigures] = []
    for r in range(1, options.rounds + 1):
        say(f"round {r} of {options.rounds}")
        # Pairs compared with each other swap places every other round (ABBA), so that a
        # drift of the machine's load within a round does not favour either.
        swap = r % 2 == 0
        driver.floor(r, [("floor_insert", "post:/floor/insert")])
        posts = [("post_small", seeded.post_small[r - 1], "expenses", POST_BODY,
                  tokens.accountant),
                 ("post_small_jwt", seeded.post_small[r - 1], "expenses", POST_BODY,
                  tokens.jwt_accountant),
                 ("post_large", seeded.post_large[r - 1], "expenses", POST_BODY,
                  tokens.accountant),
                 ("post_batch", seeded.post_batch[r - 1], "expenses/batch", BATCH_BODY,
                  tokens.accountant)]
        for key, project, resource, body, token in reversed(posts) if swap else posts:
            version_before = app.repository.get(project).version
            counts_before = service.write_counts()
            with LagSampler(options, app.recorder.events_table_name) as sampler:
                started = time.perf_counter()
                # Not measured again on one worker: it would post to a bigger project.
                driver.service_run(r, key, f"post:{API}/projects/{project}/{resource}",
                                   token, body=body, repeatable=False)
                seconds = time.perf_counter() - started
            final = sampler.lag()
            drain = sampler.drain_seconds()
            events = app.repository.get(project).version - version_before
            counts_after = service.write_counts()
            counts = (None if counts_before is None or counts_after is None else
                      tuple(a - b for a, b in zip(counts_after, counts_before, strict=True)))
            lags.append(LagFigures(key, r, events, seconds, max(sampler.samples, default=0),
                                   final, drain, counts, sampler.samples))
            say(f"  round {r} {key:<16} {events:,} expenses recorded, "
                f"{counts_text(counts)} conflicts retried / writes decided again / in turn; "
                "projector "
                f"lag: max {lags[-1].max_lag} events, {final} at the end of the load, applied "
                f"{drain:.2f} s later")
        # The same POST spread over the filler projects: writes to many projects at once.
        many = [f"{API}/projects/{project}/expenses" for project in seeded.fillers]
        driver.service_run(r, "post_many", f"post:{many[0]}", tokens.accountant,
                           body=POST_BODY, repeatable=False, paths=many)
        driver.floor(r, [("floor_json", "get:/floor/json")])
        small, large = budget.format(seeded.get_small), budget.format(seeded.get_large)
        viewer = tokens.viewer
        if not swap:
            small_gets(driver, r, small, viewer)
        driver.service_run(r, "get_small_jwt", f"get:{small}", tokens.jwt_viewer)
        driver.service_run(r, "get_large", f"get:{large}", viewer)
        if swap:
            small_gets(driver, r, small, viewer)
        driver.service_run(r, "portfolio", f"get:{API}/portfolio", viewer)
        driver.service_run(r, "as_of_large", f"get:{large}?as_of={as_of}", viewer)
    return lags


def small_gets(driver: Driver, round_no: int, path: str, viewer: str) -> None:
    """The budget of the small project: 200, then 304 with its current ETag."""
    driver.service_run(round_no, "get_small", f"get:{path}", viewer)
    _, headers, _ = driver.service.get(path, viewer)
    driver.service_run(round_no, "get_small_304", f"get:{path}", viewer,
                       if_none_match=headers["ETag"])


# ---- the table ---------------------------------------------------------------------------------


@dataclass
class Figure:
    rps: float
    p50: float
    p99: float
    cpu_us: float | None
    non2xx: int
    runs: int
    rps_range: tuple[float, float]


def median_figure(runs: list[Run]) -> Figure | None:
    good = [r for r in runs if r.failed is None]
    if not good:
        return None
    cpus = [r.cpu_us for r in good if r.cpu_us is not None]
    return Figure(statistics.median(r.rps for r in good), statistics.median(r.p50 for r in good),
                  statistics.median(r.p99 for r in good),
                  statistics.median(cpus) if cpus else None, sum(r.non2xx for r in good),
                  len(good), (min(r.rps for r in good), max(r.rps for r in good)))


@dataclass
class Row:
    what: str
    value: str
    p50: str
    p99: str
    cpu: str
    reference: str
    ref_value: str
    ref_p50: str
    ref_p99: str
    ref_cpu: str
    ratio: str
    target: str
    result: str


def fmt_rps(f: Figure | None) -> str:
    return "failed" if f is None else f"{f.rps:,.0f}"


def fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def fmt_cpu(f: Figure | None) -> str:
    return "–" if f is None or f.cpu_us is None else f"{f.cpu_us:,.0f} µs"


def paired(by_round: dict[str, dict[int, Run]], key: str, ref_key: str,
           value: Callable[[Run, Run], float | None], *,
           balanced: bool = False) -> float | None:
    """The median over the rounds of a figure of two runs of the same round (a ratio): the
    runs of one round are minutes apart at most, so the interference of other work on the
    machine, which changes from round to round, cancels better than in a ratio of medians.
    `balanced`: only the rounds in which neither run was served by one worker alone."""
    values = []
    for round_no, run in by_round.get(key, {}).items():
        ref = by_round.get(ref_key, {}).get(round_no)
        if ref is not None and run.failed is None and ref.failed is None:
            if balanced and (run.one_worker or ref.one_worker):
                continue
            figure = value(run, ref)
            if figure is not None:
                values.append(figure)
    return statistics.median(values) if values else None


def build_rows(driver: Driver, projector: ProjectorFigures, lags: list[LagFigures],
               options: Options) -> tuple[list[Row], dict[str, Figure | None]]:
    by_key: dict[str, list[Run]] = {}
    by_round: dict[str, dict[int, Run]] = {}
    for run in driver.runs:
        by_key.setdefault(run.key, []).append(run)
        by_round.setdefault(run.key, {})[run.round] = run
    fig = {key: median_figure(runs) for key, runs in by_key.items()}
    large = f"{options.large:,}"
    rows: list[Row] = []

    def row(what: str, key: str, ref_key: str, ref_name: str, ratio: str, target: str,
            result: str) -> None:
        f, ref = fig.get(key), fig.get(ref_key)
        rows.append(Row(what, fmt_rps(f), fmt_ms(f.p50 if f else None),
                        fmt_ms(f.p99 if f else None), fmt_cpu(f), ref_name, fmt_rps(ref),
                        fmt_ms(ref.p50 if ref else None), fmt_ms(ref.p99 if ref else None),
                        fmt_cpu(ref), ratio, target, result))

    def throughput_row(what: str, key: str, ref_key: str, ref_name: str,
                       min_ratio: float | None, max_p99: float | None) -> None:
        rps_ratio = paired(by_round, key, ref_key, lambda a, b: a.rps / b.rps)
        p99_ratio = paired(by_round, key, ref_key, lambda a, b: a.p99 / b.p99)
        balanced = paired(by_round, key, ref_key, lambda a, b: a.rps / b.rps, balanced=True)
        ratio, target, result = "–", "–", "–"
        if rps_ratio is not None and p99_ratio is not None:
            ratio = f"{rps_ratio:.2f}× req/s, {p99_ratio:.1f}× p99"
            if balanced is not None:
                ratio += f" (balanced rounds: {balanced:.2f}× req/s)"
            goals, misses = [], []
            if min_ratio is not None:
                goals.append(f"req/s ≥ {min_ratio:g}×")
                if rps_ratio < min_ratio:
                    misses.append(f"req/s {rps_ratio / min_ratio:.2f} of the target")
            if max_p99 is not None:
                goals.append(f"p99 ≤ {max_p99:g}×")
                if p99_ratio > max_p99:
                    misses.append(f"p99 {p99_ratio / max_p99:.1f}× the limit")
            if goals:
                target = ", ".join(goals)
                result = "**met**" if not misses else "**missed**: " + "; ".join(misses)
            else:
                target = "(no target)"
        row(what, key, ref_key, ref_name, ratio, target, result)

    def batch_row(what: str) -> None:
        """Expenses recorded per second in batches, against the floor's inserts per second."""
        ratio = paired(by_round, "post_batch", "floor_insert",
                       lambda a, b: a.rps * BATCH_ITEMS / b.rps)
        f, ref = fig.get("post_batch"), fig.get("floor_insert")
        value = "failed" if f is None else f"{f.rps * BATCH_ITEMS:,.0f} expenses/s"
        rows.append(Row(what, value, fmt_ms(f.p50 if f else None), fmt_ms(f.p99 if f else None),
                        fmt_cpu(f), "`POST /floor/insert`", fmt_rps(ref),
                        fmt_ms(ref.p50 if ref else None), fmt_ms(ref.p99 if ref else None),
                        fmt_cpu(ref), "–" if ratio is None else f"{ratio:.1f}× expenses/s",
                        "expenses/s ≥ 5× the floor's req/s",
                        "–" if ratio is None else "**met**" if ratio >= 5
                        else f"**missed**: {ratio / 5:.2f} of the target"))

    def cost_row(what: str, key: str, ref_key: str, ref_name: str, limit: float) -> None:
        # cost: time per request at saturation, relative (the reference's req/s over this one's)
        cost = paired(by_round, key, ref_key, lambda a, b: b.rps / a.rps)
        cpu = paired(by_round, key, ref_key, lambda a, b: a.cpu_us / b.cpu_us
                     if a.cpu_us and b.cpu_us else None)
        balanced = paired(by_round, key, ref_key, lambda a, b: b.rps / a.rps, balanced=True)
        ratio, result = "–", "–"
        if cost is not None:
            ratio = f"{cost:.2f}× cost (1/req/s)"
            if cpu is not None:
                ratio += f", {cpu:.2f}× CPU/req"
            if balanced is not None:
                ratio += f" (balanced rounds: {balanced:.2f}× cost)"
            result = "**met**" if cost <= limit else f"**missed**: {cost / limit:.2f}× the limit"
        row(what, key, ref_key, ref_name, ratio, f"cost ≤ {limit:g}×", result)

    throughput_row(f"POST …/expenses, project of {options.small} expenses", "post_small",
                   "floor_insert", "`POST /floor/insert`", 0.5, 2.0)
    throughput_row(f"POST …/expenses, project of {large} expenses", "post_large",
                   "floor_insert", "`POST /floor/insert`", 0.5, 2.0)
    cost_row(f"POST, {large} vs {options.small} expenses", "post_large", "post_small",
             f"POST, {options.small} expenses", 1.2)
    batch_row(f"POST …/expenses/batch of {BATCH_ITEMS}, project of {large} expenses")
    throughput_row(f"POST …/expenses, each to one of {fillers_of(options)} projects at random",
                   "post_many", "post_small", "POST to one project", 0.8, None)
    throughput_row(f"GET …/views/budget 200, {options.small} expenses", "get_small",
                   "floor_json", "`GET /floor/json`", 0.8, None)
    throughput_row(f"GET …/views/budget 304 (If-None-Match), {options.small} expenses",
                   "get_small_304", "floor_json", "`GET /floor/json`", 1.0, None)
    throughput_row(f"GET …/views/budget 200, {options.small} expenses, a JWT granted viewer",
                   "get_small_jwt", "get_small", "the same GET, a static token", 0.9, None)
    throughput_row(f"POST …/expenses, project of {options.small}+ expenses, a JWT granted "
                   "accountant", "post_small_jwt", "post_small",
                   "the same POST, a static token", 0.9, None)
    throughput_row(f"GET …/views/budget 200, {large} expenses", "get_large",
                   "floor_json", "`GET /floor/json`", 0.8, None)
    cost_row(f"GET, {large} vs {options.small} expenses", "get_large", "get_small",
             f"GET, {options.small} expenses", 1.2)
    throughput_row(f"GET /api/v1/portfolio, {options.projects} projects", "portfolio",
                   "floor_json", "`GET /floor/json`", None, None)
    cost_row(f"GET …/views/budget?as_of=…, {large} events", "as_of_large", "get_large",
             f"current GET, {large} expenses", 10.0)

    post_rates = [f.rps for k in ("post_small", "post_large") if (f := fig.get(k))]
    post_rate = max(post_rates, default=0.0)
    rate = projector.catch_up_rate
    ratio = rate / post_rate if post_rate else 0.0
    max_lag = max((lag.max_lag for lag in lags), default=0)
    drain = max((lag.drain for lag in lags), default=0.0)
    rows.append(Row(
        f"projector catch-up over the seeded log ({projector.catch_up_events:,} events)",
        f"{rate:,.0f} events/s", "–", "–", "–", "POST rate (the higher median)",
        f"{post_rate:,.0f}", "–", "–", "–", f"{ratio:.1f}×; under POST load lag ≤ {max_lag:,} "
        f"events, 0 within {drain:.1f} s after", "≥ 5× the POST rate",
        "**met**" if ratio >= 5 else f"**missed**: {ratio / 5:.2f} of the target"))
    rows.append(Row(
        f"full rebuild, `grantledger projections rebuild` ({projector.rebuild_events:,} events)",
        f"{projector.rebuild_seconds:.1f} s", "–", "–", "–", "–", "–", "–", "–", "–",
        f"{projector.rebuild_rate:,.0f} events/s", "≤ 60 s",
        "**met**" if projector.rebuild_seconds <= 60
        else f"**missed**: {projector.rebuild_seconds / 60:.2f}× the limit"))
    return rows, fig


def markdown_table(rows: list[Row]) -> str:
    head = ("| measurement | req/s | p50 | p99 | CPU/req | compared with | its req/s | its p50 "
            "| its p99 | its CPU/req | ratio | target | result |")
    lines = [head, "|" + " --- |" * 13]
    for r in rows:
        lines.append(f"| {r.what} | {r.value} | {r.p50} | {r.p99} | {r.cpu} | {r.reference} | "
                     f"{r.ref_value} | {r.ref_p50} | {r.ref_p99} | {r.ref_cpu} | {r.ratio} | "
                     f"{r.target} | {r.result} |")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": str(os.cpu_count()), "cpu": model,
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg": Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()}


def setting(options: Options, name: str) -> str:
    import psycopg

    with psycopg.connect(options.conninfo) as conn:
        row = conn.execute(f"SHOW {name}").fetchone()
    return str(row[0]) if row else "?"


def write_results(options: Options, table: str, driver: Driver, projector: ProjectorFigures,
                  lags: list[LagFigures], seeded: Seeded, fig: dict[str, Figure | None],
                  started: datetime, load_start: str, load_end: str, pg: str,
                  extra_notes: list[str]) -> str:
    m = machine()
    autovacuum = setting(options, "autovacuum")
    lines = [
        "# Benchmark results (tests/benchmarks/bench.py)",
        "",
        f"Run {started:%Y-%m-%d %H:%M} – {datetime.now(UTC):%H:%M} UTC"
        + (" (**--quick smoke run: not a measurement**)" if options.quick else "") + ".",
        "",
        f"* Machine: nproc {m['nproc']}, {m['cpu']}, kernel {m['kernel']}, Python "
        f"{m['python']}, PostgreSQL {pg} (127.0.0.1:{options.pg_port}, TCP, default "
        "settings); load average (1, 5, 15 min) "
        f"{load_start} at the start, {load_end} at the end. The machine is shared with other "
        "engineers' test runs: absolute figures are noisy, the ratios of interleaved runs are "
        "what count.",
        f"* gunicorn for both the floor and the service: `-k gthread -w {options.workers} "
        f"--threads {options.threads}` (the service through `grantledger serve`, which runs "
        "gunicorn with `python:service.web.gunicorn_conf` and the projector beside it; the "
        f"floor app with `FLOOR_POOL_MAX={options.threads}`), both on database "
        f"`{options.database}`.",
        f"* wrk through `tests/benchmarks/floor/run_floor.sh`: 1 thread, {options.connections} "
        f"connections, {options.warmup} s warm-up then {options.duration} s measured per "
        "target (for the service, the warm-up is a run of its own, and the measured run starts "
        "once the workers are idle: wrk abandons the requests in flight when a run ends, which "
        "the service still serves; the floor's 16 abandoned requests cost it about 10 ms of CPU); "
        f"{options.rounds} rounds, each: floor insert, service POSTs, floor JSON, "
        "service GETs. req/s, p50, p99 and CPU/req are medians over the rounds; a ratio is the "
        "median over the rounds of the ratio of the two runs of the same round (paired, which "
        "cancels most of the other work's interference, changing from round to round).",
        f"* Seeded in-process in {seeded.seconds:.0f} s: {seeded.events:,} events; "
        f"{options.projects} projects (NEK's registration under other numbers): one of "
        f"{options.small} and one of {options.large:,} expenses to read, a fresh pair of the "
        f"same sizes per round to post to and one of {options.large:,} per round to post "
        f"batches to, {len(seeded.fillers)} more with "
        f"{seeded.expenses_per_filler} expenses each, then `VACUUM ANALYZE` (autovacuum is "
        f"{autovacuum} on this server). `as_of` = "
        f"{seeded.after_seeding:%Y-%m-%dT%H:%M:%S.%fZ} (just after the seeding).",
        "* POST body: a valid expense with a unique document number "
        "(`B-{{thread}}-{{n}}-{{rand}}`), random amount; each POST target gains "
        "requests × (warm-up + duration) expenses during its run. A batch: "
        f"{BATCH_ITEMS} such expenses with only their required fields (the template travels to "
        "wrk in an environment variable, which Linux caps at 128 KiB); its figure is "
        f"{BATCH_ITEMS} × req/s, in expenses/s.",
        "* `cost` = the reference's req/s ÷ this req/s (time per request at saturation); "
        "CPU/req is gunicorn's master and workers per request (run_floor.sh `--server-pid`; "
        "the projector, a process of its own, is not in it).",
    ]
    if options.pause_projector:
        lines.append("* The service's projector was paused (SIGSTOP) during the floor's runs, "
                     "so that its idle polling did not take CPU from the floor.")
    lines += [f"* {note}" for note in extra_notes]
    lines += ["", table, "", "## Per run", "",
              "| round | measurement | req/s | p50 | p99 | non-2xx | sock err | CPU/req "
              "| connections per worker |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in driver.runs:
        if run.failed:
            lines.append(f"| {run.round} | {run.key} | FAILED: {run.failed[:200]} "
                         "| | | | | | |")
        else:
            cpu = f"{run.cpu_us:,.0f} µs" if run.cpu_us is not None else "–"
            lines.append(f"| {run.round} | {run.key} | {run.rps:,.1f} | {run.p50:.2f} ms | "
                         f"{run.p99:.2f} ms | {run.non2xx} | {run.errors} | {cpu} | "
                         f"{split_text(run.split)}{' (one worker)' if run.one_worker else ''} |")
    lines += ["", "## Projector", "",
              f"* In-process catch-up over the seeded log: {projector.catch_up_events:,} events "
              f"in {projector.catch_up_seconds:.1f} s = {projector.catch_up_rate:,.0f} events/s.",
              f"* `grantledger projections rebuild`: {projector.rebuild_events:,} events in "
              f"{projector.rebuild_seconds:.1f} s ({projector.rebuild_wall_seconds:.1f} s "
              f"with the process start) = {projector.rebuild_rate:,.0f} events/s.",
              "* Lag under POST load (sampled every 0.25 s while wrk ran):", "",
              "| round | target | expenses recorded (warm-up included) | conflicts retried / "
              "writes decided again / in turn | seconds | max lag | lag at the end | "
              "caught up after |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for lag in lags:
        lines.append(f"| {lag.round} | {lag.key} | {lag.events:,} | {counts_text(lag.counts)} | "
                     f"{lag.seconds:.1f} | {lag.max_lag:,} | {lag.final_lag:,} | "
                     f"{lag.drain:.2f} s |")
    lines += ["", "## run_floor.sh headers", "", "```", *driver.headers, "```", ""]
    text = "\n".join(lines)
    if options.write_results:
        RESULTS.write_text(text + scale_results())
    return text


def counts_text(counts: tuple[float, ...] | None) -> str:
    return "?" if counts is None else " / ".join(f"{count:,.0f}" for count in counts)


def scale_results() -> str:
    """What scale.py appended to RESULTS.md: kept when this run rewrites the file."""
    existing = RESULTS.read_text() if RESULTS.exists() else ""
    at = existing.find(SCALE_HEADING)
    return "" if at < 0 else "\n" + existing[at:]


# ---- main ---------------------------------------------------------------------------------------


def check_tools() -> None:
    for tool in ("wrk", "curl"):
        if subprocess.run(["which", tool], capture_output=True, check=False).returncode != 0:
            sys.exit(f"{tool} not found; install it with: apt-get update && "
                     f"apt-get install -y {tool}")
    if not (FLOOR_DIR / "run_floor.sh").exists():
        sys.exit(f"{FLOOR_DIR / 'run_floor.sh'} not found (GRANTLEDGER_BENCH_FLOOR_DIR)")


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    check_tools()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    load_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    static = {role: secrets.token_urlsafe(24) for role in ("viewer", "accountant", "admin")}
    key = new_key("bench-key")
    issuer = TinyIssuer([key])  # the OpenID issuer of the JWTs, on a loopback port
    log_dir = Path(tempfile.mkdtemp(prefix="grantledger-bench-"))
    service = Service(options, ",".join(f"bench-{role}:{role}:{token}"
                                        for role, token in static.items()), log_dir, issuer.url)
    app: LedgerApplication | None = None
    completed = False
    try:
        say(f"recreating database {options.database} on {options.pg_host}:{options.pg_port}")
        recreate_database(options)
        app = open_application(options)
        seeded = seed(app, options)
        say(f"seeded {seeded.events:,} events in {seeded.seconds:.1f} s "
            f"({seeded.events / seeded.seconds:,.0f} events/s)")
        tokens = jwt_tokens(issuer, key, app, seeded, static)
        projector = measure_projector(app, options)
        vacuum_analyze(options)
        say(f"starting the service on {service.url} (log: {service.log})")
        service.start()
        say(f"the projector settled {service.wait_until_projector_idle():.0f} s after the start")
        # Warm each worker's connection pool and aggregate cache a little before measuring.
        for path in (f"{API}/portfolio", f"{API}/projects/{seeded.get_large}/views/budget"):
            for _ in range(4):
                service.get(path, tokens.viewer)
        driver = Driver(options, service)
        lags = run_rounds(options, driver, app, seeded, tokens)
        rows, fig = build_rows(driver, projector, lags, options)
        rows += page_rows(service, tokens.viewer, [
            (f"page `/app/` (the portfolio, {options.projects} projects)", "/app/"),
            (f"page `/app/projects/…` ({options.small} expenses)",
             f"/app/projects/{seeded.get_small}")])
        rows.append(import_row(service, tokens.admin, 2_000 if options.quick else IMPORT_ROWS))
        table = markdown_table(rows)
        notes = []
        floor_runs = [r for r in driver.runs if r.key.startswith("floor") and r.split]
        service_runs = [r for r in driver.runs if not r.key.startswith("floor") and r.split]
        notes.append(
            "One worker serving alone: gthread keeps each connection on the worker that "
            "accepted it, and wrk opens its 16 at once; when one worker accepts them all, the "
            "run measures one process (about half the req/s of two, for cheap requests). Such a "
            f"run of a GET or of the floor was measured again, up to {options.repeats} times "
            f"({len(driver.discarded)} runs were): "
            + (", ".join(f"{r.key} (round {r.round}, {r.rps:,.0f} req/s)"
                         for r in driver.discarded) or "none")
            + ". Runs kept that were still served by one worker (the POSTs are not measured "
            "again: the project would be bigger): floor "
            f"{sum(r.one_worker for r in floor_runs)} of {len(floor_runs)}, service "
            f"{sum(r.one_worker for r in service_runs)} of {len(service_runs)} (last column "
            "below); \"balanced rounds\" in a ratio is the median over the rounds in which "
            "neither of the two runs was one.")
        bad = [r for r in driver.runs if r.failed or r.non2xx or r.errors]
        if bad:
            notes.append(
                "Runs with failures, non-2xx answers or socket errors (wrk counts a request "
                "unanswered after 5 s as a timeout, and leaves it out of the percentiles): "
                + ", ".join(f"{r.key} (round {r.round}: " + (
                    "failed" if r.failed else f"{r.non2xx} non-2xx, {r.errors} errors/timeouts")
                    + ")" for r in bad) + ".")
        load_end = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        write_results(options, table, driver, projector, lags, seeded, fig, started,
                      load_start, load_end, setting(options, "server_version"), notes)
        print()
        print(table)
        print()
        if options.write_results:
            say(f"written to {RESULTS}")
        completed = True
        return 0
    finally:
        for process in list(RUNNING):
            stop_run_floor(process)
        service.stop()
        issuer.stop()
        if app is not None:
            app.close()
        if completed:
            shutil.rmtree(log_dir, ignore_errors=True)  # kept when something went wrong


if __name__ == "__main__":
    sys.exit(main())

