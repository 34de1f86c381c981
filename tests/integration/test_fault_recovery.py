"""Recovery the moment a fault ends (issue 16): `grantledger serve` (2 workers) on a PostgreSQL
cluster of the tests' own, clients posting meanwhile, a projector stopped mid-fold, a network
path that holds its bytes, connections reset, a projector hung for good, PostgreSQL stopped.
Each test asserts the bounds the README's fault table states: views and readiness back within
GRANTLEDGER_MAX_HEARTBEAT_AGE (5 s here) of the fault's end, a refused store a 503 with
Retry-After within a second, a silent one within the connect timeout (5 s), readiness within
2 s, no 500, the outage logged once when it starts and once when it ends, no traceback.
`pytest -s` prints the measured times."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from api_builders import expense_body, nek_registration
from pg_cluster import Cluster, free_port, throwaway_cluster
from support import projector_pid
from tcp_proxy import PostgresProxy

pytestmark = pytest.mark.postgres
TOKEN = "fault-recovery-admin-token-0123456789"
BOUND = 5.0  # GRANTLEDGER_MAX_HEARTBEAT_AGE of these tests
CONNECT_TIMEOUT = 5.0  # the service's default
REFUSED_BOUND = 1.0
# serve restarts a projector silent for this long: the heartbeat bound, but never less than
# a wait on a silent store (the connect timeout and 2 s).
SILENCE_BOUND = max(BOUND, CONNECT_TIMEOUT + 2)
READY_BOUND = 2.0
# A request's own handling beside its wait for the store (the connect timeout), on a loaded
# machine: the bound of a silent store's 503 is the connect timeout plus this.
HANDLING = 0.5
OUTAGE_STARTS, OUTAGE_ENDS = "the event store does not answer", "the event store answers again"


@dataclass
class Answer:
    started: float
    seconds: float
    status: int  # 0: no HTTP answer (connection refused or reset)
    retry_after: str | None
    body: Any


def request(base: str, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> Answer:
    started = time.monotonic()
    sent = urllib.request.Request(
        f"{base}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                 **(headers or {})})
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:
            status, retry_after, data = response.status, None, response.read()
    except urllib.error.HTTPError as error:
        status, retry_after, data = error.code, error.headers.get("Retry-After"), error.read()
    except OSError:
        status, retry_after, data = 0, None, b""
    return Answer(started, time.monotonic() - started, status, retry_after,
                  json.loads(data) if data else None)


@dataclass
class Service:
    """`grantledger serve` on a database of the cluster, perhaps through a proxy."""

    base: str
    process: subprocess.Popen[bytes]
    database_url: str  # straight to the cluster, for the test's own reads
    log: Path
    env: dict[str, str]
    tmp: Path

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Answer:
        return request(self.base, method, path, body, headers)

    def records(self) -> list[dict[str, Any]]:
        """The processes' log records (JSON lines) so far."""
        return [json.loads(line) for line in self.log.read_text().splitlines()
                if line.startswith("{")]

    def positions(self) -> tuple[int, int]:
        """The log's head and the position the stored views reflect."""
        with psycopg.connect(self.database_url, connect_timeout=5) as conn:
            head = conn.execute("SELECT COALESCE(MAX(notification_id), 0) "
                                "FROM ledgerapplication_events").fetchone()
            tracked = conn.execute("SELECT position FROM grantledger_tracking "
                                   "WHERE name = 'views'").fetchone()
        return int(head[0] if head else 0), int(tracked[0] if tracked else 0)

    def projector(self, **env: str) -> subprocess.Popen[bytes]:
        """A projector of its own (not `serve`'s), as under a process manager."""
        with (self.tmp / "projector.log").open("ab") as output:
            return subprocess.Popen([sys.executable, "-m", "service.cli", "projector"],
                                    env={**self.env, **env}, stdout=output, stderr=output)


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as made:
        yield made


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[PostgresProxy]:
    made = PostgresProxy(cluster.port)
    yield made
    made.close()


@contextmanager
def serve(cluster: Cluster, tmp_path: Path, *, via: PostgresProxy | None = None,
          projector: bool = True, **env: str) -> Iterator[Service]:
    name = f"ledger_{tmp_path.name[-30:].lower().replace('-', '_')}"
    direct = cluster.create_database(name)
    url = via.url(name) if via is not None else direct
    port = free_port()
    environment = {**os.environ, "GRANTLEDGER_DATABASE_URL": url,
                   "GRANTLEDGER_TOKENS": f"tester:admin:{TOKEN}",
                   "GRANTLEDGER_MAX_HEARTBEAT_AGE": str(int(BOUND)),
                   "GRANTLEDGER_ACCESS_LOG": str(tmp_path / "access.log"),
                   "GRANTLEDGER_START_PROJECTOR": "y" if projector else "n", **env}
    environment.pop("PGCONNECT_TIMEOUT", None)
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers",
             "2"], env=environment, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
    service = Service(f"http://127.0.0.1:{port}", process, direct, log, environment, tmp_path)
    try:
        wait_until(lambda: service.call("GET", "/health/live").status == 200, 60, "serve up")
        yield service
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


@pytest.fixture
def served(cluster: Cluster, tmp_path: Path) -> Iterator[Service]:
    with serve(cluster, tmp_path) as service:
        yield service


@pytest.fixture
def proxied(cluster: Cluster, tmp_path: Path, proxy: PostgresProxy) -> Iterator[Service]:
    with serve(cluster, tmp_path, via=proxy) as service:
        yield service


@dataclass
class Clients:
    """Accountants posting expenses, one at a time each, retrying with the same key (after
    Retry-After) until recorded; every answer kept."""

    service: Service
    project: str
    count: int = 4
    answers: list[Answer] = field(default_factory=list)
    recorded: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Clients:
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(self.count)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _run(self, number: int) -> None:
        n = 0
        while not self.stop.is_set():
            body = expense_body(document_number=f"F-{number}-{n}", amount_net="10.00")
            while not self.stop.is_set():
                answer = self.service.call("POST", f"/api/v1/projects/{self.project}/expenses",
                                           body, **{"Idempotency-Key": f"c-{number}-{n}"})
                self.answers.append(answer)
                if answer.status == 201:
                    self.recorded += 1
                    break
                time.sleep(float(answer.retry_after or 0.2))
            n += 1

    def recorded_after(self, moment: float) -> bool:
        """Whether a request sent after `moment` has been recorded."""
        return any(a.status == 201 and a.started >= moment for a in self.answers)

    def within(self, start: float, end: float) -> list[Answer]:
        """The answers to requests sent after the fault began and answered before the test
        began to mend it (a server started answers before `pg_ctl start` returns): none of
        them can have reached the store. (One sent late in the fault may wait and find the
        store back, and be recorded: `overlapping` bounds its wait.)"""
        return [a for a in self.answers if start + 0.1 <= a.started
                and a.started + a.seconds <= end]

    def overlapping(self, start: float, end: float) -> list[Answer]:
        """The answers to requests under way at some moment of the fault."""
        return [a for a in self.answers if a.started < end and a.started + a.seconds > start]


def register(service: Service) -> str:
    answer = service.call("POST", "/api/v1/projects", nek_registration())
    assert answer.status == 201, answer
    return str(answer.body["id"])


def ready(service: Service) -> bool:
    return service.call("GET", "/health/ready").status == 200


def views_current_since(service: Service, head: int) -> Callable[[], bool]:
    """The views reflect at least `head` and readiness is 200."""
    return lambda: service.positions()[1] >= head and ready(service)


def probe(service: Service, seconds: float, every: float = 0.25) -> list[Answer]:
    """Readiness probed for `seconds`, as an orchestrator would."""
    answers, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        answers.append(service.call("GET", "/health/ready"))
        time.sleep(every)
    return answers


def warnings_between(service: Service, start: float, end: float) -> list[dict[str, Any]]:
    """The records of WARNING or worse, or with a traceback, logged between two moments of
    time.monotonic() (the log's times are the wall clock's)."""
    offset = time.time() - time.monotonic()
    return [r for r in service.records()
            if start + offset <= _epoch(r["time"]) <= end + offset
            and (r["level"] in ("WARNING", "ERROR", "CRITICAL") or "traceback" in r)]


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def assert_outage_logged_once(records: list[dict[str, Any]], also: list[dict[str, Any]]) -> None:
    """Each process that uses the store logged the outage's start once (no other warnings,
    no traceback) and, in `also` (the whole log), its end once, with its duration."""
    starts = [r for r in records if r["message"].startswith(OUTAGE_STARTS)]
    assert [r for r in records if r not in starts] == []
    pids = sorted(r["pid"] for r in starts)
    assert len(pids) == len(set(pids)) >= 1
    ends = [r for r in also if r["message"].startswith(OUTAGE_ENDS) and r["pid"] in pids]
    assert sorted(r["pid"] for r in ends) == pids
    assert all(r["message"].endswith(" s") and r["level"] == "INFO" for r in ends)


def report(name: str, **figures: Any) -> None:
    print(f"\n{name}: " + ", ".join(f"{key} {value}" for key, value in figures.items()))


def seconds(answers: list[Answer]) -> str:
    return f"{max((a.seconds for a in answers), default=0):.2f} s max of {len(answers)}"


# ---- the tests --------------------------------------------------------------------------


def test_a_projector_stopped_mid_fold_catches_up_within_the_bound_of_its_restart(
        cluster: Cluster, tmp_path: Path) -> None:
    """SIGSTOP while it folds a large batch (a process manager's projector, no watchdog):
    readiness 503 `stalled` meanwhile, views and readiness back within the bound of SIGCONT,
    and ready from then on (it used to pause twice the stall after it)."""
    with serve(cluster, tmp_path, projector=False) as service:
        projector = service.projector()
        try:
            _stall_and_resume(service, projector)
        finally:
            projector.kill()
            projector.wait()


def _stall_and_resume(service: Service, projector: subprocess.Popen[bytes]) -> None:
    project = register(service)
    wait_until(lambda: ready(service), 30, "ready with its own projector")
    with Clients(service, project, count=2) as clients:
        stopped = _stop_mid_fold(service, project, projector)
        stall = probe(service, BOUND + 2)
        head = service.positions()[0]
        os.kill(projector.pid, signal.SIGCONT)
        resumed = time.monotonic()
        back = wait_until(views_current_since(service, head), 30, "views current")
        after = probe(service, BOUND + 1)
    report("projector stopped mid-fold", stall=f"{resumed - stopped:.1f} s",
           views_and_readiness_back=f"{back:.2f} s after SIGCONT",
           expenses_recorded=clients.recorded)
    assert stall[-1].status == 503 and stall[-1].body["status"] == "stalled"
    assert back <= BOUND
    assert [a.status for a in after] == [200] * len(after)
    assert {a.status for a in clients.answers} == {201}


def _stop_mid_fold(service: Service, project: str, projector: subprocess.Popen[bytes]) -> float:
    """Posts large batches until SIGSTOP catches the projector between reading a batch and
    storing it (its position behind the head once stopped); answers the moment."""
    for attempt in range(20):
        answer = service.call("POST", f"/api/v1/projects/{project}/expenses/batch", {
            "expenses": [expense_body(document_number=f"B-{attempt}-{n}", amount_net="10.00")
                         for n in range(600)]})
        assert answer.status == 201, answer
        time.sleep(0.1)  # woken by the batch's NOTIFY, it is folding 600 expenses now
        os.kill(projector.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        head, position = service.positions()
        if position < head:
            return stopped
        os.kill(projector.pid, signal.SIGCONT)
    pytest.fail("the projector was never caught folding")


def test_a_network_path_that_holds_its_bytes_is_a_503_within_the_connect_timeout(
        proxied: Service, proxy: PostgresProxy) -> None:
    project = register(proxied)
    wait_until(lambda: ready(proxied), 30, "ready")
    with Clients(proxied, project) as clients:
        time.sleep(1)
        proxy.hold()
        held = time.monotonic()
        during = probe(proxied, 8)
        reads = [proxied.call("GET", f"/api/v1/projects/{project}/expenses?limit=5")
                 for _ in range(2)]
        head = proxied.positions()[0]
        releasing = time.monotonic()
        proxy.release()
        released = time.monotonic()
        back = wait_until(views_current_since(proxied, head), 30, "views current")
        writes_back = wait_until(lambda: clients.recorded_after(released), 30, "a write recorded")
        time.sleep(1)
    warned = warnings_between(proxied, held, released + back)
    posts, overlapping = clients.within(held, releasing), clients.overlapping(held, released)
    report("network path silent 8 s", posts_during=seconds(overlapping),
           readiness_during=seconds(during), reads_during=seconds(reads),
           views_and_readiness_back=f"{back:.2f} s", writes_back=f"{writes_back:.2f} s",
           warnings=len(warned))
    assert posts and {(a.status, a.retry_after) for a in posts} == {(503, "1")}
    assert max(a.seconds for a in overlapping) <= CONNECT_TIMEOUT + HANDLING
    assert [(a.status, a.retry_after) for a in reads] == [(503, "1")] * 2
    assert max(a.seconds for a in reads) <= CONNECT_TIMEOUT + HANDLING
    assert {a.status for a in during} == {503}
    assert max(a.seconds for a in during) <= READY_BOUND
    assert back <= BOUND
    assert all(a.status in (201, 503) for a in clients.answers)
    assert_outage_logged_once(warned, proxied.records())


def test_connections_reset_are_503s_at_once_and_recovery_within_the_bound(
        proxied: Service, proxy: PostgresProxy) -> None:
    project = register(proxied)
    wait_until(lambda: ready(proxied), 30, "ready")
    with Clients(proxied, project) as clients:
        time.sleep(1)
        proxy.refuse()
        reset = time.monotonic()
        during = probe(proxied, 5)
        head = proxied.positions()[0]
        accepting = time.monotonic()
        proxy.accept()
        accepted = time.monotonic()
        back = wait_until(views_current_since(proxied, head), 30, "views current")
        time.sleep(1)
    posts, overlapping = clients.within(reset, accepting), clients.overlapping(reset, accepted)
    # From a second before: the view feed, its connection closed by refuse(), may log the
    # outage before `reset` is read (the log's times are also cut to the millisecond).
    warned = warnings_between(proxied, reset - 1, accepted + back)
    report("connections reset 5 s", posts_during=seconds(overlapping),
           readiness_during=seconds(during), views_and_readiness_back=f"{back:.2f} s",
           warnings=len(warned))
    assert posts and {(a.status, a.retry_after) for a in posts} == {(503, "1")}
    assert max(a.seconds for a in overlapping) <= REFUSED_BOUND
    assert {a.status for a in during} == {503}
    assert max(a.seconds for a in during) <= REFUSED_BOUND
    assert back <= BOUND
    assert all(a.status in (201, 503) for a in clients.answers)
    assert_outage_logged_once(warned, proxied.records())


def test_postgresql_stopped_is_503_within_a_second_logged_once_and_back_within_the_bound(
        served: Service, cluster: Cluster) -> None:
    project = register(served)
    wait_until(lambda: ready(served), 30, "ready")
    with Clients(served, project) as clients:
        time.sleep(1)
        cluster.stop("fast")
        stopped = time.monotonic()
        during = probe(served, 6)
        reads = [served.call("GET", f"/api/v1/projects/{project}/expenses?limit=5"),
                 served.call("GET", f"/api/v1/projects/{project}/views/budget?min_position=1")]
        starting = time.monotonic()
        cluster.start()
        started = time.monotonic()
        back = wait_until(views_current_since(served, 0), 30, "ready")
        writes_back = wait_until(lambda: clients.recorded_after(started), 30, "a write recorded")
        time.sleep(1)
    posts, overlapping = clients.within(stopped, starting), clients.overlapping(stopped, started)
    warned = warnings_between(served, stopped - 1, started + back)
    report("PostgreSQL stopped", posts_during=seconds(overlapping),
           readiness_during=seconds(during),
           reads_during=seconds(reads), ready_again=f"{back:.2f} s",
           writes_back=f"{writes_back:.2f} s", log_records_during=len(warned))
    assert posts and {(a.status, a.retry_after) for a in posts} == {(503, "1")}
    assert max(a.seconds for a in overlapping) <= REFUSED_BOUND
    assert [(a.status, a.retry_after) for a in reads] == [(503, "1")] * 2
    assert max(a.seconds for a in reads) <= REFUSED_BOUND
    assert {a.status for a in during} == {503}
    assert max(a.seconds for a in during) <= REFUSED_BOUND
    assert back <= BOUND
    assert all(a.status in (201, 503) for a in clients.answers)
    assert_outage_logged_once(warned, served.records())


def test_serve_restarts_a_projector_silent_for_the_bound_and_says_why(
        served: Service) -> None:
    project = register(served)
    wait_until(lambda: any("projector starting" in r["message"] for r in served.records()),
               60, "the projector started")
    hung = projector_pid(served.process.pid)
    assert hung is not None
    os.kill(hung, signal.SIGSTOP)  # hung for good: alive, silent
    stopped = time.monotonic()
    killed = wait_until(lambda: not Path(f"/proc/{hung}").exists()
                        or _zombie(hung), SILENCE_BOUND + 3, "the hung projector killed")
    restarted = wait_until(lambda: projector_pid(served.process.pid) not in (None, hung),
                           10, "a projector started again")
    answer = served.call("POST", f"/api/v1/projects/{project}/expenses",
                         expense_body(amount_net="10.00"))
    head = served.positions()[0]
    back = wait_until(views_current_since(served, head), 60, "views current")
    why = [r for r in served.records() if "no sign of life" in r["message"]]
    report("projector hung", killed_after=f"{killed:.2f} s",
           started_again_after=f"{killed + restarted:.2f} s",
           views_current_after=f"{time.monotonic() - stopped:.2f} s")
    assert answer.status == 201
    assert killed <= SILENCE_BOUND + 1  # the bound, and serve's look every 0.2 s
    assert len(why) == 1 and why[0]["level"] == "ERROR"
    assert f"(bound {SILENCE_BOUND:g} s): killed it as hung" in why[0]["message"]
    assert back < 60


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def test_metrics_answer_while_a_process_left_an_empty_file_and_serve_logs_json_only(
        cluster: Cluster, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4194304.db").write_bytes(b"")  # a process killed as it started
    with serve(cluster, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder)) as served:
        wait_until(lambda: ready(served), 30, "ready")
        answers = [served.call("GET", "/health/live") for _ in range(3)]
        metrics = urllib.request.urlopen(f"{served.base}/metrics", timeout=10)
    lines = served.log.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    others = [line for line in lines if not line.startswith("{")]

    assert metrics.status == 200 and b"grantledger_http_requests_total" in metrics.read()
    assert [a.status for a in answers] == [200] * 3
    assert served.process.returncode == 0
    assert len(others) == 1 and others[0].startswith("grantledger ")  # serve's banner
    assert {r["level"] for r in records} == {"INFO"}
    assert set(records[0]) == {"time", "level", "process", "pid", "logger", "message"}
    assert {r["process"] for r in records} >= {"serve", "gunicorn", "web", "projector"}
    assert records[-1]["message"] == "grantledger serve stopped (gunicorn exited with status 0)"


def test_a_rebuild_beside_the_live_projector_leaves_no_error_in_postgresqls_log(
        served: Service, cluster: Cluster) -> None:
    """Both take the aggregate snapshot of a project past 500 versions: the second is
    skipped by ON CONFLICT, not refused with a duplicate key that the server logs."""
    project = register(served)
    answer = served.call("POST", f"/api/v1/projects/{project}/expenses/batch", {
        "expenses": [expense_body(document_number=f"R-{n}", amount_net="10.00")
                     for n in range(600)]})
    head = served.positions()[0]
    wait_until(views_current_since(served, head), 30, "views current")
    logged = cluster.log.stat().st_size

    rebuilt = subprocess.run([sys.executable, "-m", "service.cli", "projections", "rebuild"],
                             env=served.env, capture_output=True, text=True, timeout=120)
    with psycopg.connect(served.database_url) as conn:
        snapshots = conn.execute("SELECT originator_version FROM ledgerapplication_snapshots "
                                 "ORDER BY 1").fetchall()
    server_log = cluster.log.read_bytes()[logged:].decode()

    assert answer.status == 201 and rebuilt.returncode == 0, rebuilt.stderr
    assert snapshots == [(601,)]
    assert "ERROR" not in server_log, server_log
