"""A real browser on a real `grantledger serve`: the process as `make demo` starts it, Debian's
chromium driven by Playwright, every request to anything but the service refused and kept,
axe-core (tests/a11y, from the npm registry) injected into each page."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support import tool_missing

from service.cli.serve import GRACE_SECONDS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
AXE = Path(__file__).parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# What `serve` may take to stop on SIGTERM: gunicorn's graceful timeout (20 s), then the
# projector's grace (service.cli.serve.GRACE_SECONDS), and a little.
STOP_BOUND = 20 + GRACE_SECONDS + 5
BANNER_TOKEN = re.compile(r"admin token:\s+(\S+)")
BANNER_PAGES = re.compile(r"pages:\s+(\S+)")


def browser_missing(reason: str) -> None:
    tool_missing(f"the browser tests of the pages need {reason}: install Debian's chromium "
                 "(`apt-get install -y chromium`), the dev extra (`pip install -e .[dev]`, "
                 "which brings Playwright) and axe-core (`npm ci --prefix tests/a11y`)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def grantledger(*args: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", *args]


@dataclass
class Served:
    """`grantledger demo`, then `grantledger serve --dev`, in a folder of their own."""

    base: str
    pages: str
    token: str
    process: subprocess.Popen[bytes]
    output: Path
    access_log: Path

    def person_token(self, name: str) -> str:
        """The token `serve --dev` printed for one of the demo's people."""
        found = re.search(rf"^\s+{re.escape(name)}\s+(\S+)", self.output.read_text(), re.M)
        assert found is not None, self.output.read_text()
        return found[1]

    def stop(self) -> None:
        """SIGTERM, as an operator stops it, waited for as long as `serve` may take to stop
        gracefully (gunicorn's grace, then the projector's); killed after that, and said."""
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"grantledger serve did not stop within {STOP_BOUND} s of SIGTERM:\n"
                        f"{self.output.read_text()[-4000:]}")

    def api(self, path: str, **query: str) -> Any:
        from urllib.parse import urlencode

        url = f"{self.base}{path}" + (f"?{urlencode(query)}" if query else "")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def start_demo(folder: Path, port: int | None = None, **settings: str) -> Served:
    """The demo's store, and `serve --dev` on it (on `port`, with more `settings`)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GRANTLEDGER_") or k.startswith("GRANTLEDGER_TEST")}
    access_log = folder / "access.log"
    env.update(settings, GRANTLEDGER_ACCESS_LOG=str(access_log))
    subprocess.run(grantledger("demo"), cwd=folder, env=env, check=True, capture_output=True,
                   timeout=120)
    port = port or free_port()
    output = folder / "serve.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(grantledger("serve", "--dev", "--port", str(port),
                                               "--workers", "1"),
                                   cwd=folder, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    _wait_until_live(base, process, output)
    banner = output.read_text()
    token, pages = BANNER_TOKEN.search(banner), BANNER_PAGES.search(banner)
    assert token and pages, banner
    return Served(base, pages[1], token[1], process, output, access_log)


def _wait_until_live(base: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"grantledger serve exited with {process.returncode}:\n"
                        f"{output.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    pytest.fail("grantledger serve did not become ready within 60 s")


@dataclass
class Network:
    """The browser's requests: those for the service pass, every other one is refused."""

    service: str
    passed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def handle(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.service + "/"):
            self.passed.append(url[len(self.service):])
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()


def launch(playwright: Any, profile: Path) -> Any:
    if not CHROMIUM.exists():
        browser_missing(str(CHROMIUM))
    if not AXE.exists():
        browser_missing(str(AXE))
    return playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900})


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (injected through the
    DevTools protocol, which the page's Content-Security-Policy does not govern)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
