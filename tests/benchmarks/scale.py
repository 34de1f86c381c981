#!/usr/bin/env python3
"""The scale benchmark of issue 18: the service over 10,000 and 100,000 projects.

    .venv/bin/python tests/benchmarks/scale.py                    # both sizes, ~20-30 min
    .venv/bin/python tests/benchmarks/scale.py --projects 10000   # one size, a few minutes

For each size, one run:

1. creates a fresh PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth) with a
   unique name and seeds it: each project is NEK's registration under its own number and 5
   expenses, built by the domain (so every event carries its place in the project's hash
   chain) and saved through the application's store, a few hundred projects per transaction,
   in `--jobs` processes (a progress bar shows the rate); then `VACUUM ANALYZE`;
2. starts `grantledger serve --workers 2` (gthread, the projector beside it, a static viewer
   token) and waits until the views have caught up with the log (`projection_lag` 0 on
   `/health/ready`) and the projector is idle;
3. measures, one request at a time over keep-alive connections: `GET /api/v1/portfolio`
   (its first page: a server that pages answers its default page size), a budget view cold (a
   different project each time, none read before) and warm (one project again and again),
   `/metrics`; then the resident memory of each web worker and of the projector (/proc); then
   a restart: serve stopped, started again, the time until `/health/ready` is 200;
4. runs `grantledger verify` over every project (every chain must hold);
5. prints a table against the targets and appends it, dated, with the machine, to
   tests/benchmarks/RESULTS.md (`--no-results`: print only).

The database is dropped at the end unless `--keep`. Not part of the test run (pytest collects
test_*.py only). The machine's other load moves the figures: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import multiprocessing
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO)]

import psycopg  # noqa: E402
from tqdm import tqdm  # noqa: E402

from domain.project import GrantProject, project_id_for  # noqa: E402
from domain.records import Stamp  # noqa: E402
from service.application import LedgerApplication, prague_today, utc_now  # noqa: E402
from service.bootstrap import ledger_env  # noqa: E402
from service.config import Settings  # noqa: E402
from service.demo import NEK_REGISTRATION  # noqa: E402
from service.store.migrate import migrate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
RESULTS_HEADING = "# Scale results (tests/benchmarks/scale.py)"
PYTHON = Path(sys.executable)
API = "/api/v1"
MB = 1024 * 1024

EXPENSES_PER_PROJECT = 5
PROJECTS_PER_SAVE = 250
LINES = ("PERSONNEL", "EXTERNAL_SERVICES", "TRAVEL", "MARKETING_PROMOTION",
         "SEMINARS_CONFERENCES", "RENT")
ACTIVITIES = ("1.1", "2", "3.1", "4", None)
PERIOD_START = date(2016, 4, 1)
SUPPLIER = {"name": "Scale Supplier, s.r.o.", "ico": "12345678", "country": "CZ"}
EXPENSE_IDS = UUID("5ca1ab1e-0000-4000-8000-000000000000")


# ---- options ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    jobs: int
    pg_host: str
    pg_port: int
    cold: int
    warm: int
    portfolio_repeats: int
    metrics_repeats: int
    keep: bool
    verify: bool
    write_results: bool

    @property
    def admin_conninfo(self) -> str:
        return f"host={self.pg_host} port={self.pg_port} user=postgres dbname=postgres"

    def database_url(self, database: str) -> str:
        return f"postgresql://postgres@{self.pg_host}:{self.pg_port}/{database}"


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, nargs="+", default=[10_000, 100_000],
                        metavar="N", help="sizes to run, each in a fresh database "
                                          "(default: 10000 100000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="seeding processes (default: the number of cores)")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--cold", type=int, default=200,
                        help="distinct projects read once each for the cold view (200)")
    parser.add_argument("--warm", type=int, default=500,
                        help="reads of one project for the warm view (500)")
    parser.add_argument("--portfolio-repeats", type=int, default=20,
                        help="GETs of the portfolio's first page (20)")
    parser.add_argument("--metrics-repeats", type=int, default=10, help="GETs of /metrics (10)")
    parser.add_argument("--keep", action="store_true",
                        help="leave each database in place (its name is printed)")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip `grantledger verify` over the seeded chains")
    parser.add_argument("--no-results", dest="write_results", action="store_false",
                        help=f"print the table only, do not append it to {RESULTS.name}")
    args = parser.parse_args(argv)
    if min(args.projects) < args.cold + 1:
        parser.error(f"every size must be more than --cold ({args.cold}) projects")
    return Options(sizes=args.projects, jobs=max(1, args.jobs), pg_host=args.pg_host,
                   pg_port=args.pg_port, cold=args.cold, warm=args.warm,
                   portfolio_repeats=args.portfolio_repeats,
                   metrics_repeats=args.metrics_repeats, keep=args.keep, verify=args.verify,
                   write_results=args.write_results)


def say(message: str) -> None:
    tqdm.write(f"[{time.strftime('%H:%M:%S')}] {message}")


# ---- seeding: events built by the domain, saved a few hundred projects at a time ----------


def registration_number(index: int) -> str:
    return f"SCALE/{index:06d}"


def build_project(index: int) -> GrantProject:
    """Project `index`: registered by a manager, 5 expenses recorded by an accountant."""
    now = utc_now()
    today = prague_today(now)
    registration = {**NEK_REGISTRATION, "registration_number": registration_number(index),
                    "acronym": f"SC{index}"}
    project = GrantProject.register(Stamp(now, "scale-seed", "manager", today), **registration)
    accountant = Stamp(now, "scale-seed", "accountant", today)
    for k in range(EXPENSES_PER_PROJECT):
        day = PERIOD_START + timedelta(days=(index * 7 + k * 53) % 700)
        project.record_expense(
            accountant, expense_id=uuid5(EXPENSE_IDS, f"{index}/{k}"),
            document_number=f"SC-{index:06d}-{k}", document_type="invoice", supplier=SUPPLIER,
            description=f"scale expense {k}", budget_line=LINES[(index + k) % len(LINES)],
            activity=ACTIVITIES[(index + k) % len(ACTIVITIES)], tax_point_date=day,
            amount_net=Decimal(f"{100 + (index * 31 + k) % 9000}.00"), vat=Decimal("21.00"),
            paid_on=day + timedelta(days=10) if k % 2 else None)
    return project


_SEEDER: LedgerApplication | None = None


def open_seeder(database_url: str) -> None:
    """A seeding process's own application (and its connection pool)."""
    global _SEEDER
    env = {**ledger_env(Settings(database_url=database_url)), "POSTGRES_POOL_SIZE": "1"}
    _SEEDER = LedgerApplication(env=env)


def seed_chunk(first_and_count: tuple[int, int]) -> int:
    """Saves projects first … first+count-1 in one transaction; answers how many."""
    first, count = first_and_count
    assert _SEEDER is not None
    _SEEDER.save(*(build_project(i) for i in range(first, first + count)))
    return count


@dataclass
class Seeding:
    projects: int
    events: int
    seconds: float
    vacuum_seconds: float

    @property
    def projects_per_second(self) -> float:
        return self.projects / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def seed(database_url: str, projects: int, jobs: int) -> Seeding:
    chunks = [(first, min(PROJECTS_PER_SAVE, projects - first))
              for first in range(0, projects, PROJECTS_PER_SAVE)]
    context = multiprocessing.get_context("spawn")  # no pool or thread copied by a fork
    started = time.perf_counter()
    with context.Pool(jobs, initializer=open_seeder, initargs=(database_url,)) as pool, \
            tqdm(total=projects, unit="project", desc="seeding", smoothing=0.1) as bar:
        for done in pool.imap_unordered(seed_chunk, chunks):
            bar.update(done)
    seconds = time.perf_counter() - started
    events = projects * (1 + EXPENSES_PER_PROJECT)
    return Seeding(projects, events, seconds, 0.0)


# ---- the database ---------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(options: Options, size: int) -> Iterator[str]:
    """A new database, its name unique on the server; dropped afterwards unless --keep."""
    name = f"grantledger_scale_{size}_{secrets.token_hex(3)}"
    with psycopg.connect(options.admin_conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if options.keep:
            say(f"kept database {name}")
        else:
            with psycopg.connect(options.admin_conninfo, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vacuum_analyze(database_url: str) -> float:
    """Statistics for the planner after the bulk load (autovacuum may be off)."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def server_setting(database_url: str, name: str) -> str:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SHOW {name}").fetchone()
    return str(row[0]) if row else "?"


# ---- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@dataclass(frozen=True)
class Memory:
    rss: int
    peak: int
    """VmHWM: the most the process has held resident since it started."""


def memory(pid: int) -> Memory:
    status = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return Memory(int(status["VmRSS"].split()[0]) * 1024, int(status["VmHWM"].split()[0]) * 1024)


class Server:
    """`grantledger serve --workers 2` on the seeded database, in its own process group."""

    def __init__(self, database_url: str, token: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = {**os.environ, "GRANTLEDGER_DATABASE_URL": database_url,
                    "GRANTLEDGER_TOKENS": f"scale-viewer:viewer:{token}",
                    "GRANTLEDGER_LOG_LEVEL": "warning",
                    "GUNICORN_CMD_ARGS": "--no-control-socket"}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), "-m", "service.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", "2"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def running(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"grantledger serve exited ({self.process.returncode}); "
                               f"see {self.log}")

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """/health/ready's status and checks; (0, {}) while nothing answers."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/health/ready")
            answer = connection.getresponse()
            body = json.loads(answer.read() or b"{}")
            connection.close()
        except (OSError, ValueError, http.client.HTTPException):
            return 0, {}
        return answer.status, body.get("checks", {})

    def wait_ready(self, limit: float) -> float:
        """Seconds until /health/ready is 200."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            self.running()
            if self.readiness()[0] == 200:
                return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError(f"/health/ready not 200 within {limit:.0f} s; see {self.log}")

    def wait_caught_up(self, events: int, limit: float) -> float:
        """Seconds until the views have caught up with the log (`projection_lag` 0), with a
        progress bar of the events projected."""
        started = time.monotonic()
        with tqdm(total=events, unit="event", desc="projecting", smoothing=0.1) as bar:
            while time.monotonic() - started < limit:
                self.running()
                status, checks = self.readiness()
                lag = checks.get("projection_lag")
                if lag is not None:
                    bar.update(max(0, events - lag - bar.n))
                if status == 200 and lag == 0:
                    return time.monotonic() - started
                time.sleep(0.5)
        raise RuntimeError(f"the views not caught up within {limit:.0f} s; see {self.log}")

    def gunicorn(self) -> int:
        assert self.process is not None
        found = [p for p in children(self.process.pid) if "gunicorn" in cmdline(p)]
        return found[0] if found else self.process.pid

    def workers(self) -> list[int]:
        return children(self.gunicorn())

    def projector(self) -> int | None:
        assert self.process is not None
        found = [p for p in children(self.process.pid) if "service.cli projector" in cmdline(p)]
        return found[0] if found else None

    def wait_projector_idle(self, limit: float) -> float:
        """Seconds until the projector uses under a fifth of a core over a second (after its
        catch-up it renders every project's views for the day)."""
        started = time.monotonic()
        pid = self.projector()
        while pid and time.monotonic() - started < limit:
            before = cpu_ticks(pid)
            time.sleep(1)
            if (cpu_ticks(pid) - before) / os.sysconf("SC_CLK_TCK") < 0.2:
                break
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything left in the group
        self.process.wait(timeout=10)


# ---- one request at a time ------------------------------------------------------------------


@dataclass
class Sample:
    """The timings (ms) of a series of GETs, and the bytes of the last answer."""

    times: list[float] = field(default_factory=list)
    size: int = 0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p99(self) -> float:
        return self.quantile(0.99)


class Client:
    """GETs over one keep-alive connection (so one worker answers a series)."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, gzipped: bool = False) -> tuple[float, bytes]:
        """The time of a GET and its body as it came over the wire (gzipped if asked for and
        the server chose to)."""
        headers = {**self.headers, **({"Accept-Encoding": "gzip"} if gzipped else {})}
        started = time.perf_counter()
        self.connection.request("GET", path, headers=headers)
        answer = self.connection.getresponse()
        body = answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status} {body[:300]!r}")
        return elapsed, body

    def series(self, paths: list[str], gzipped: bool = False) -> Sample:
        sample = Sample()
        for path in paths:
            elapsed, body = self.get(path, gzipped)
            sample.times.append(elapsed)
            sample.size = len(body)
        return sample

    def close(self) -> None:
        self.connection.close()


def _plain(body: bytes) -> bytes:
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def budget_path(index: int) -> str:
    return f"{API}/projects/{project_id_for(registration_number(index))}/views/budget"


@dataclass
class Reads:
    portfolio_first: float
    portfolio: Sample
    portfolio_rows: int
    cold: Sample
    warm: Sample
    metrics_first: float
    metrics: Sample


def measure_reads(server: Server, token: str, size: int, options: Options) -> Reads:
    picked = random.Random(size).sample(range(size), options.cold + 1)
    warm_project, cold_projects = picked[0], picked[1:]
    client = Client(server.port, token)
    try:
        # As a browser or a dashboard asks: gzip accepted (a server before the portfolio's
        # pages sends it plain).
        portfolio_first, body = client.get(f"{API}/portfolio", gzipped=True)
        rows = len(json.loads(_plain(body))["projects"])
        portfolio = client.series([f"{API}/portfolio"] * options.portfolio_repeats, gzipped=True)
        cold = client.series([budget_path(i) for i in cold_projects])
        client.get(budget_path(warm_project))
        warm = client.series([budget_path(warm_project)] * options.warm)
        metrics_first, _ = client.get("/metrics")
        metrics = client.series(["/metrics"] * options.metrics_repeats)
    finally:
        client.close()
    return Reads(portfolio_first, portfolio, rows, cold, warm, metrics_first, metrics)


# ---- one size -------------------------------------------------------------------------------


@dataclass
class Served:
    """What `grantledger serve` showed on one database."""

    catch_up_seconds: float
    settle_seconds: float
    reads: Reads
    workers: list[Memory]
    projector: Memory | None
    restart_seconds: float


@dataclass
class SizeResult:
    size: int
    seeding: Seeding
    served: Served
    verify: str


def serve_and_measure(database_url: str, seeding: Seeding, options: Options,
                      log: Path) -> Served:
    token = secrets.token_urlsafe(24)
    server = Server(database_url, token, log)
    try:
        say(f"starting grantledger serve --workers 2 on port {server.port} (log: {log})")
        server.start()
        catch_up = server.wait_caught_up(seeding.events, 7200)
        say(f"views caught up {catch_up:.1f} s after the start")
        settle = server.wait_projector_idle(1800)
        say(f"the projector idle {settle:.1f} s later")
        reads = measure_reads(server, token, seeding.projects, options)
        say_reads(reads)
        workers = [memory(pid) for pid in server.workers()]
        projector_pid = server.projector()
        projector = memory(projector_pid) if projector_pid else None
        say("RSS: workers " + ", ".join(fmt_bytes(w.rss) for w in workers) + "; projector "
            + (fmt_bytes(projector.rss) if projector else "?"))
        server.stop()
        say("serve stopped; starting it again")
        server.start()
        restart = server.wait_ready(600)
        say(f"ready {restart:.2f} s after the start")
        return Served(catch_up, settle, reads, workers, projector, restart)
    finally:
        server.stop()


def say_reads(reads: Reads) -> None:
    """The reads' figures as soon as they are known (a run cut short still shows them)."""
    for name, sample in (("portfolio", reads.portfolio), ("budget cold", reads.cold),
                         ("budget warm", reads.warm), ("metrics", reads.metrics)):
        say(f"{name}: {fmt_bytes(sample.size)}, p50 {fmt_ms(sample.p50)}, "
            f"p99 {fmt_ms(sample.p99)}")


def run_verify(database_url: str) -> str:
    """`grantledger verify` over every project: its last line, or why it failed."""
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": database_url}
    started = time.perf_counter()
    done = subprocess.run([str(PYTHON), "-m", "service.cli", "verify"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        raise RuntimeError(f"grantledger verify exited {done.returncode}: {last}\n"
                           f"{done.stderr[-2000:]}")
    return f"{last} in {seconds:.0f} s"


def run_size(size: int, options: Options, log_dir: Path) -> SizeResult:
    with fresh_database(options, size) as database:
        url = options.database_url(database)
        migrate(url)
        say(f"seeding {size:,} projects into {database} ({options.jobs} processes)")
        seeding = seed(url, size, options.jobs)
        seeding.vacuum_seconds = vacuum_analyze(url)
        say(f"seeded {seeding.events:,} events in {seeding.seconds:.1f} s "
            f"({seeding.projects_per_second:,.0f} projects/s, "
            f"{seeding.events_per_second:,.0f} events/s); VACUUM ANALYZE "
            f"{seeding.vacuum_seconds:.1f} s")
        served = serve_and_measure(url, seeding, options, log_dir / f"serve-{size}.log")
        verified = "not run (--no-verify)"
        if options.verify:
            say("grantledger verify")
            verified = run_verify(url)
            say(verified)
        return SizeResult(size, seeding, served, verified)


# ---- the table ------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 10 else f"{value:.2f} ms"


def fmt_bytes(value: int) -> str:
    return f"{value / MB:,.1f} MB" if value >= MB else f"{value / 1024:,.1f} KB"


def judged(ok: bool, ratio: float) -> str:
    return f"**met** ({ratio:.2f}× the limit)" if ok else f"**missed**: {ratio:.2f}× the limit"


def limit_result(value: float, limit: float) -> str:
    return judged(value <= limit, value / limit)


def all_within(checks: list[tuple[float, float]]) -> str:
    """Met when every value is within its limit; the ratio is the worst one's."""
    worst = max(value / limit for value, limit in checks)
    return judged(worst <= 1, worst)


def memory_rows(served: Served) -> list[tuple[str, str, str, str]]:
    rows = []
    for n, worker in enumerate(served.workers, 1):
        rows.append((f"web worker {n}: RSS (peak)",
                     f"{fmt_bytes(worker.rss)} ({fmt_bytes(worker.peak)})", "≤ 150 MB",
                     limit_result(worker.rss, 150 * MB)))
    if served.projector is not None:
        rows.append(("projector: RSS (peak)", f"{fmt_bytes(served.projector.rss)} "
                     f"({fmt_bytes(served.projector.peak)})", "≤ 150 MB",
                     limit_result(served.projector.rss, 150 * MB)))
    return rows


def read_rows(reads: Reads, options: Options) -> list[tuple[str, str, str, str]]:
    portfolio, cold, warm, metrics = reads.portfolio, reads.cold, reads.warm, reads.metrics
    return [
        ("`GET /api/v1/portfolio`, first page (gzip accepted)",
         f"{fmt_bytes(portfolio.size)} on the wire, {reads.portfolio_rows:,} rows; first "
         f"{fmt_ms(reads.portfolio_first)}, p50 {fmt_ms(portfolio.p50)}, p99 "
         f"{fmt_ms(portfolio.p99)} ({options.portfolio_repeats} GETs)",
         "≤ 256 KB, ≤ 50 ms",
         all_within([(portfolio.size, 256 * 1024), (portfolio.p50, 50)])),
        (f"budget view, cold ({options.cold} projects, each read once)",
         f"p50 {fmt_ms(cold.p50)}, p99 {fmt_ms(cold.p99)}", "p99 ≤ 10 ms",
         limit_result(cold.p99, 10)),
        (f"budget view, warm (one project, {options.warm} GETs)",
         f"p50 {fmt_ms(warm.p50)}, p99 {fmt_ms(warm.p99)}", "p50 ~0.7 ms, p99 ~1.5 ms",
         all_within([(warm.p50, 0.7), (warm.p99, 1.5)])),
        ("`GET /metrics`, a worker's first (it reads the portfolio's figures)",
         fmt_ms(reads.metrics_first), "≤ 200 ms", limit_result(reads.metrics_first, 200)),
        ("`GET /metrics`, then",
         f"{fmt_bytes(metrics.size)}; p50 {fmt_ms(metrics.p50)}, p99 {fmt_ms(metrics.p99)} "
         f"({options.metrics_repeats} GETs)", "≤ 1 MB, ≤ 200 ms",
         all_within([(metrics.size, MB), (metrics.p99, 200)])),
    ]


def seeding_row(s: Seeding, options: Options) -> tuple[str, str, str, str]:
    for_100k = s.seconds * 100_000 / s.projects
    value = (f"{s.seconds:,.1f} s: {s.projects_per_second:,.0f} projects/s, "
             f"{s.events_per_second:,.0f} events/s ({options.jobs} processes); VACUUM ANALYZE "
             f"{s.vacuum_seconds:.1f} s")
    if s.projects != 100_000:
        value += f"; 100,000 at this rate: {for_100k / 60:.1f} min"
    return ("seeding (domain-built events, batched saves)", value, "100,000 well under 15 min",
            limit_result(for_100k, 900))


def size_table(result: SizeResult, options: Options) -> str:
    served, events = result.served, result.seeding.events
    rows = [
        seeding_row(result.seeding, options),
        ("views caught up after the first start (projection lag 0)",
         f"{served.catch_up_seconds:,.1f} s ({events / served.catch_up_seconds:,.0f} "
         f"events/s); projector idle {served.settle_seconds:,.1f} s later", "–", "–"),
        *read_rows(served.reads, options),
        *memory_rows(served),
        ("restart to ready (serve stopped, started, `/health/ready` 200)",
         f"{served.restart_seconds:.2f} s", "–", "–"),
        ("`grantledger verify`", result.verify, "every chain holds",
         "**met**" if options.verify else "–"),
    ]
    lines = [f"| measurement ({result.size:,} projects) | value | target | result |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {what} | {value} | {target} | {verdict} |"
              for what, value, target, verdict in rows]
    return "\n".join(lines)


def machine(database_url: str) -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (f"{os.cpu_count()} cores ({model}), {memory_kb / MB:.1f} GB RAM, kernel "
            f"{platform.release()}, Python {platform.python_version()}, PostgreSQL "
            f"{server_setting(database_url, 'server_version')} (127.0.0.1, TCP, autovacuum "
            f"{server_setting(database_url, 'autovacuum')})")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def report(results: list[SizeResult], options: Options, started: datetime, host: str,
           load_start: str) -> str:
    lines = [f"## {started:%Y-%m-%d %H:%M} – {datetime.now(UTC):%H:%M} UTC, "
             f"{', '.join(f'{r.size:,}' for r in results)} projects", "",
             f"* Machine: {host}; load average (1, 5, 15 min) {load_start} at the start, "
             f"{load_average()} at the end. The machine may be shared: other work moves "
             "the figures.",
             f"* Each project: NEK's registration under its own number and "
             f"{EXPENSES_PER_PROJECT} expenses ({1 + EXPENSES_PER_PROJECT} events), saved "
             f"{PROJECTS_PER_SAVE} projects per transaction.",
             "* `grantledger serve --workers 2` (gthread), the projector beside it; one "
             "request at a time over a keep-alive connection, after the views caught up and "
             "the projector went idle. RSS read from /proc after the reads; peak is VmHWM.",
             ""]
    for result in results:
        lines += [size_table(result, options), ""]
    return "\n".join(lines)


def append_results(text: str) -> None:
    existing = RESULTS.read_text() if RESULTS.exists() else ""
    if RESULTS_HEADING not in existing:
        existing = existing.rstrip("\n") + f"\n\n{RESULTS_HEADING}\n"
    RESULTS.write_text(existing.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n")


# ---- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    load_start = load_average()
    log_dir = Path(tempfile.mkdtemp(prefix="grantledger-scale-"))
    host = machine(options.database_url("postgres"))
    results = [run_size(size, options, log_dir) for size in options.sizes]
    text = report(results, options, started, host, load_start)
    print()
    print(text)
    if options.write_results:
        append_results(text)
        say(f"appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
