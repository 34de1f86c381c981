"""The package as an operator installs it: the wheel built from this checkout, installed into
a fresh virtualenv as deploy/Dockerfile does, run from another directory (nothing of the
checkout importable): the demo, `serve` on SQLite and on PostgreSQL, the projector as its own
process, `verify`, /docs and the audit bundle's own verifier.

One virtualenv serves the whole module: building and installing is most of its time."""

from __future__ import annotations

import fcntl
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import free_port

CHECKOUT = Path(__file__).resolve().parents[2]
TOKEN = "wheel-test-admin-token-0123456789"
NEK = "CZ.01.1.02/0.0/0.0/15_009/0002300"
RELEASE = "1.2.0"  # pyproject.toml's version


class Installed:
    """The virtualenv the wheel is installed in."""

    def __init__(self, root: Path, wheel: Path) -> None:
        self.root = root
        self.wheel = wheel
        self.bin = root / "venv" / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a command run by an operator: none of the checkout's Python
        path, none of the test run's settings."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GRANTLEDGER_", "PYTHON", "VIRTUAL_ENV", "PROMETHEUS_"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return {**env, "GRANTLEDGER_TOKENS": f"operator:admin:{TOKEN}", **extra}

    def run(self, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / "grantledger"), *args], cwd=cwd,
                              env=self.env(**env), capture_output=True, text=True, timeout=120)

    @contextmanager
    def process(self, *args: str, cwd: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
        log = (cwd / f"{args[0]}.log").open("wb")
        process = subprocess.Popen([str(self.bin / "grantledger"), *args], cwd=cwd,
                                   env=self.env(**env), stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            log.close()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The steps of deploy/Dockerfile: the wheels of the project and of everything it needs,
    then a virtualenv that installs the project from those alone (no index)."""
    root = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    wheels = root / "wheels"
    # pip builds in the checkout (its build/ and egg-info): one test process at a time.
    with open(tmp_path_factory.getbasetemp().parent / "wheel-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([*pip, "wheel", "--wheel-dir", str(wheels), str(CHECKOUT)],
                       check=True, cwd=root, timeout=600)
    wheel = next(wheels.glob("grantledger-*.whl"))
    # Without a pip of its own (installing one is half the time): this run's pip installs
    # into it; what lands in site-packages is the same.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True, timeout=120)
    subprocess.run([*pip, "--python", str(root / "venv" / "bin" / "python"), "install",
                    "--no-index", "--find-links", str(wheels), str(wheel)],
                   check=True, cwd=root, timeout=600)
    return Installed(root, wheel)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where the operator runs the commands: neither the checkout nor the virtualenv."""
    path = tmp_path / "operator"
    path.mkdir()
    return path


def fetch(url: str, token: str | None = TOKEN) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path,
                     until: Any = lambda checks: True) -> dict[str, Any]:
    """Polls /health/ready until it is 200 and `until(checks)` holds; its checks."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the process exited with {process.returncode}:\n{log.read_text()}")
        try:
            status, body = fetch(f"{base}/health/ready", token=None)
        except OSError:
            status, body = 0, b""
        if status == 200:
            checks: dict[str, Any] = json.loads(body)["checks"]
            if until(checks):
                return checks
        time.sleep(0.1)
    pytest.fail(f"not ready within 60 s:\n{log.read_text()}")


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no {text!r} (exit status {process.poll()}):\n{log.read_text()}")
        time.sleep(0.05)


def test_the_wheel_holds_every_file_the_service_reads_at_run_time(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"grantledger-{RELEASE}.dist-info/METADATA").decode()

    assert {"service/web/templates/docs.html", "service/audit/bundle/verify.py",
            "service/web/pages/templates/pages/project.html",
            "service/web/pages/static/pages.css",
            "service/web/pages/translations/cs/LC_MESSAGES/messages.mo",
            "service/cli/translations/cs/LC_MESSAGES/importer.mo",
            "service/web/gunicorn_conf.py", f"grantledger-{RELEASE}.dist-info/licenses/LICENSE",
            } <= names
    assert not any(name.startswith(("tests/", "deploy/", "examples/")) for name in names)
    assert "License-Expression: LicenseRef-Proprietary" in metadata.splitlines()


def test_the_installed_command_names_its_version(installed: Installed, workdir: Path) -> None:
    answer = installed.run("--version", cwd=workdir)

    assert (answer.returncode, answer.stdout) == (0, f"grantledger {RELEASE}\n")


def test_the_installed_service_is_imported_from_the_virtualenv_not_the_checkout(
        installed: Installed, workdir: Path) -> None:
    found = subprocess.run(
        [str(installed.bin / "python"), "-c", "import service; print(service.__file__)"],
        cwd=workdir, env=installed.env(), capture_output=True, text=True, check=True)

    assert Path(found.stdout.strip()).is_relative_to(installed.root / "venv")


def test_the_installed_demo_is_served_on_sqlite_with_docs_and_a_verifiable_bundle(
        installed: Installed, workdir: Path) -> None:
    demo = installed.run("demo", cwd=workdir)
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    with installed.process("serve", "--port", str(port), "--workers", "1",
                           cwd=workdir) as serve:
        wait_until_ready(base, serve, workdir / "serve.log",
                         until=lambda checks: checks["projection_lag"] == 0)
        portfolio = json.loads(fetch(f"{base}/api/v1/portfolio")[1])
        project = portfolio["projects"][0]["project_id"]
        budget_status = fetch(f"{base}/api/v1/projects/{project}/views/budget")[0]
        docs = fetch(f"{base}/docs", token=None)
        swagger = fetch(f"{base}/docs/assets/swagger-ui-bundle.js", token=None)
        bundle_status, bundle = fetch(f"{base}/api/v1/projects/{project}/export")
    verified = installed.run("verify", cwd=workdir)

    assert (workdir / "grantledger.db").exists()
    assert (len(portfolio["projects"]), budget_status) == (2, 200)
    assert (docs[0], swagger[0], b"SwaggerUIBundle" in swagger[1]) == (200, 200, True)
    assert (verified.returncode, verified.stdout.splitlines()[-1]) == (
        0, "2 project(s) verified, 0 failed")
    assert bundle_status == 200
    unpacked = workdir / "bundle"
    zipfile.ZipFile(io.BytesIO(bundle)).extractall(unpacked)
    checked = subprocess.run([str(installed.bin / "python"), "verify.py"], cwd=unpacked,
                             capture_output=True, text=True, timeout=60)
    assert (checked.returncode, checked.stdout.splitlines()[-1]) == (
        0, "OK: the chain holds and the budget, the indicators and the grants reconcile with "
           "the views")


def test_the_installed_service_serves_the_pages_in_czech(installed: Installed,
                                                         workdir: Path) -> None:
    import http.cookiejar
    import re
    from urllib.parse import urlencode

    assert installed.run("demo", cwd=workdir).returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with installed.process("serve", "--port", str(port), "--workers", "1", cwd=workdir,
                           GRANTLEDGER_SESSION_SECRET="wheel-test-session-secret-01234567"
                           ) as serve:
        wait_until_ready(base, serve, workdir / "serve.log")
        form = browser.open(f"{base}/app/sign-in", timeout=10).read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        portfolio = browser.open(f"{base}/app/sign-in", data=urlencode(
            {"csrf": csrf[1], "token": TOKEN, "next": "/app/"}).encode(), timeout=10)
        page = portfolio.read().decode().replace("\u00a0", " ")
        css = fetch(f"{base}/app/static/pages.css", token=None)

    assert "Přihlášení do Grantledgeru" in form
    assert (portfolio.url, css[0]) == (f"{base}/app/", 200)
    assert "7 776 200,00 Kč" in page and "Nárok na dotaci" in page


def test_the_installed_service_grants_a_role_on_one_project_and_hides_the_other(
        installed: Installed, workdir: Path) -> None:
    jana = "wheel-test-jana-token-0123456789ab"
    people = {"GRANTLEDGER_TOKENS": f"operator:admin:{TOKEN},jana:none:{jana}"}
    store = {"GRANTLEDGER_DATABASE_URL": f"sqlite:///{workdir / 'access.db'}"}
    assert installed.run("demo", cwd=workdir, **store).returncode == 0
    granted = installed.run("access", "grant", "--project", NEK, "--subject", "jana",
                            "--role", "viewer", "--by", "ops", cwd=workdir, **store)
    listed = installed.run("access", "list", "--project", NEK, cwd=workdir, **store)
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1/projects"

    with installed.process("serve", "--port", str(port), "--workers", "1", cwd=workdir,
                           **store, **people) as serve:
        wait_until_ready(f"http://127.0.0.1:{port}", serve, workdir / "serve.log")
        nek = fetch(f"{base}?registration_number={NEK}", token=jana)
        nano = fetch(f"{base}?registration_number=DEMO/NANOPROGRESS")
        nano_id = json.loads(nano[1])["projects"][0]["id"]
        hidden = fetch(f"{base}/{nano_id}/views/budget", token=jana)[0]

    assert granted.returncode == 0, granted.stderr
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == [
        ["viewer", "jana"], ["accountant", "jana.novakova"]]
    assert (nek[0], len(json.loads(nek[1])["projects"]), hidden) == (200, 1, 404)


@pytest.mark.postgres
def test_the_installed_service_runs_on_postgresql_with_the_projector_as_its_own_process(
        installed: Installed, workdir: Path, postgres_url: str) -> None:
    database = {"GRANTLEDGER_DATABASE_URL": postgres_url}
    demo = installed.run("demo", cwd=workdir, **database)
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    with installed.process("projector", cwd=workdir, **database) as projector:
        # Started one after the other: two processes creating the tables at once race (until
        # `grantledger migrate` takes a lock for it, issue 9).
        wait_for_line(workdir / "projector.log", "projector starting", projector)
        with installed.process("serve", "--port", str(port), "--workers", "2", cwd=workdir,
                               GRANTLEDGER_START_PROJECTOR="n", **database) as serve:
            checks = wait_until_ready(base, serve, workdir / "serve.log",
                                      until=lambda checks: checks["projection_lag"] == 0)
            portfolio = json.loads(fetch(f"{base}/api/v1/portfolio")[1])
            project = portfolio["projects"][0]["project_id"]
            budget_status = fetch(f"{base}/api/v1/projects/{project}/views/budget")[0]
        projector.send_signal(signal.SIGTERM)
        projector_exit = projector.wait(timeout=30)
    verified = installed.run("verify", cwd=workdir, **database)

    assert (checks["event_store"], checks["projection_lag"]) == ("ok", 0)
    assert checks["projector_heartbeat_age_seconds"] is not None  # the projector's own
    assert (len(portfolio["projects"]), budget_status, projector_exit) == (2, 200, 0)
    assert (verified.returncode, verified.stdout.splitlines()[-1]) == (
        0, "2 project(s) verified, 0 failed")
    assert not (workdir / "grantledger.db").exists()
