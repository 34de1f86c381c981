"""Every command the deployment kit runs (the Dockerfile, compose.yaml, the systemd units, the
Procfile) is one the installed `grantledger` (or gunicorn) knows."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_files import DEPLOY, load_yaml

BIN = Path(sys.executable).parent


def kit_commands() -> list[tuple[str, list[str]]]:
    """(where, command) for every command the kit starts, the program without its folder."""
    units = [(unit.name, shlex.split(line.partition("=")[2]))
             for unit in sorted((DEPLOY / "systemd").glob("*.service"))
             for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    compose = [(f"compose {name}", service["command"])
               for name, service in load_yaml("compose.yaml")["services"].items()
               if service.get("command", [""])[0] == "grantledger"]
    dockerfile = [("Dockerfile", re.findall(r'"([^"]+)"', line)) for line in
                  (DEPLOY / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    procfile = [(f"Procfile {line.partition(':')[0]}", shlex.split(line.partition(":")[2]))
                for line in (DEPLOY / "Procfile").read_text().splitlines()
                if line and not line.startswith("#")]
    return [(where, [Path(command[0]).name, *command[1:]])
            for where, command in [*units, *compose, *dockerfile, *procfile]]


@pytest.mark.parametrize(("where", "command"), kit_commands(),
                         ids=[where for where, _ in kit_commands()])
def test_the_kit_runs_a_command_the_installed_package_knows(where: str, command: list[str],
                                                           tmp_path: Path) -> None:
    program = str(BIN / command[0])
    # grantledger's subcommands answer --help; gunicorn checks its configuration and loads
    # the app (on a SQLite store in tmp_path).
    args = ([program, command[1], "--help"] if command[0] == "grantledger"
            else [program, "--check-config", *command[1:]])

    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
