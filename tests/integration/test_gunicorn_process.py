"""gunicorn run with the packaged settings, as a process manager runs it: JSON access lines on
standard output, the metrics folder gone at exit, no control socket unless one is given."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support import free_port

TOKEN = "gunicorn-test-admin-token-0123456789"


@dataclass
class Running:
    base: str
    process: subprocess.Popen[str]
    temp: Path
    stdout: Path


GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "python:service.web.gunicorn_conf"]


def gunicorn_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    temp, home, runtime = (tmp_path / name for name in ("tmp", "home", "run"))
    for folder in (temp, home, runtime):
        folder.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("PROMETHEUS_MULTIPROC_DIR", "GRANTLEDGER_ACCESS_LOG")}
    env.update(GRANTLEDGER_BIND=f"127.0.0.1:{port}", GRANTLEDGER_WORKERS="1",
               GRANTLEDGER_TOKENS=f"ops:admin:{TOKEN}", TMPDIR=str(temp), HOME=str(home),
               XDG_RUNTIME_DIR=str(runtime),
               GRANTLEDGER_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.db'}")
    env.update(extra)
    return env


@contextmanager
def gunicorn(tmp_path: Path, **extra: str) -> Iterator[Running]:
    env = gunicorn_env(tmp_path, free_port(), **extra)
    with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(GUNICORN, env=env, cwd=tmp_path, stdout=out, stderr=err,
                                   text=True)
    running = Running(f"http://{env['GRANTLEDGER_BIND']}", process, tmp_path / "tmp",
                      tmp_path / "stdout")
    try:
        _wait_until_live(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _wait_until_live(running: Running) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and running.process.poll() is None:
        try:
            with urllib.request.urlopen(f"{running.base}/health/live", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not come up: {running.process.poll()}")


def test_gunicorn_logs_json_lines_and_leaves_no_metrics_folder_and_no_control_socket(
        tmp_path: Path) -> None:
    with gunicorn(tmp_path) as running:
        request = urllib.request.Request(f"{running.base}/api/v1/projects",
                                         headers={"Authorization": f"Bearer {TOKEN}",
                                                  "X-Request-ID": "deploy-check-1"})
        with urllib.request.urlopen(request, timeout=10) as response:
            echoed = response.headers["X-Request-ID"]
        folders_while_running = [p.name[:19] for p in running.temp.iterdir()]
        running.process.send_signal(signal.SIGTERM)
        status = running.process.wait(timeout=30)
        logged = [json.loads(line) for line in running.stdout.read_text().splitlines()]

    assert (status, echoed, folders_while_running) == (0, "deploy-check-1",
                                                       ["grantledger-metrics"])
    assert [(line["path"], line["status"], line["principal"]) for line in logged
            if line["request_id"] == "deploy-check-1"] == [("/api/v1/projects", 200, "ops")]
    assert (list(running.temp.iterdir()), list((tmp_path / "run").iterdir()),
            list((tmp_path / "home").iterdir())) == ([], [], [])


def test_a_control_socket_is_opened_only_where_the_operator_says(tmp_path: Path) -> None:
    path = tmp_path / "grantledger-web.ctl"

    with gunicorn(tmp_path, GRANTLEDGER_CONTROL_SOCKET=str(path)):
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        is_socket = path.exists() and stat.S_ISSOCK(path.stat().st_mode)

    assert is_socket


def test_serve_refuses_a_short_token_at_start_saying_why(tmp_path: Path) -> None:
    env = {**os.environ, "GRANTLEDGER_TOKENS": "eva:accountant:tooshort"}

    result = subprocess.run([sys.executable, "-m", "service.cli", "serve"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)

    assert (result.returncode, result.stderr) == (2, (
        "grantledger: the token of eva has 8 characters; a token needs at least 24 (make one "
        "with `grantledger token`)\n"))


def test_each_worker_listens_on_a_socket_of_its_own(tmp_path: Path) -> None:
    """SO_REUSEPORT: the kernel spreads new connections over the workers' sockets, rather
    than the first worker to wake taking a whole burst from one shared socket."""
    with gunicorn(tmp_path, GRANTLEDGER_WORKERS="2") as running:
        port = int(running.base.rsplit(":", 1)[1])
        workers = _children(running.process.pid)
        deadline = time.monotonic() + 30
        while len(held := _listening(port, [running.process.pid, *workers])) < 2 and (
                time.monotonic() < deadline):
            time.sleep(0.1)
            workers = _children(running.process.pid)

    assert len(workers) == 2
    assert sorted(held) == sorted(workers)
    assert len(set(held.values())) == 2  # two sockets, not one shared


def test_a_second_instance_on_the_same_address_refuses_to_start_saying_why(
        tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with gunicorn(first) as running:
        port = int(running.base.rsplit(":", 1)[1])
        refused = subprocess.run(GUNICORN, env=gunicorn_env(second, port), cwd=second,
                                 capture_output=True, text=True, timeout=60)
        still_up = urllib.request.urlopen(f"{running.base}/health/live", timeout=5).status

    assert (refused.returncode, still_up) == (2, 200)
    assert (f"grantledger: cannot listen on 127.0.0.1:{port}: another process listens there"
            in refused.stderr)


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(child) for task in tasks.iterdir()
            for child in (task / "children").read_text().split()]


def _listening(port: int, pids: list[int]) -> dict[int, str]:
    """The processes among `pids` that hold a socket listening on `port`, with its inode."""
    inodes = {fields[9] for table in ("tcp", "tcp6")
              for fields in (line.split() for line in
                             Path(f"/proc/net/{table}").read_text().splitlines()[1:])
              if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A"}
    held = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[pid] = target[8:-1]
    return held
