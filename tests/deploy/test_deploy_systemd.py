"""deploy/systemd: the units pass `systemd-analyze verify` with the package installed where
they expect it, and run the web and the projector as the README describes."""

from __future__ import annotations

import sys
from pathlib import Path

from deploy_files import DEPLOY, run, tool

UNITS = ("grantledger-migrate.service", "grantledger-web.service",
         "grantledger-projector.service")
INSTALLED = "/opt/grantledger/bin/grantledger"


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit's sections, each key with all its values (systemd allows a key many times)."""
    sections: dict[str, dict[str, list[str]]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        elif line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return sections


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze", "apt-get install -y systemd")
    # Verify checks that ExecStart= is an executable: point it at this run's grantledger,
    # as an operator with the virtualenv somewhere else than /opt/grantledger would.
    grantledger = str(Path(sys.executable).parent / "grantledger")
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        assert INSTALLED in text
        (tmp_path / name).write_text(text.replace(INSTALLED, grantledger))

    verified = run(analyze, "verify", "--man=no", *(f"./{name}" for name in UNITS),
                   cwd=tmp_path)

    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


def test_web_and_projector_start_after_migrate_restart_and_read_the_same_settings() -> None:
    web, projector, migrate = (unit(f"grantledger-{name}.service")
                               for name in ("web", "projector", "migrate"))

    assert web["Service"]["ExecStart"] == [f"{INSTALLED} serve --host 127.0.0.1 --port 8000"]
    assert projector["Service"]["ExecStart"] == [f"{INSTALLED} projector"]
    assert migrate["Service"]["ExecStart"] == [f"{INSTALLED} migrate"]
    assert migrate["Service"]["Type"] == ["oneshot"]
    for service in (web, projector):
        assert "grantledger-migrate.service" in service["Unit"]["After"][0].split()
        assert service["Unit"]["Requires"] == ["grantledger-migrate.service"]
        assert service["Service"]["Restart"][0] in {"always", "on-failure"}
        assert service["Install"]["WantedBy"] == ["multi-user.target"]
    for service in (web, projector, migrate):
        assert service["Service"]["EnvironmentFile"] == ["/etc/grantledger/grantledger.env"]
        assert service["Service"]["User"] == ["grantledger"]


def test_the_web_reads_its_tokens_from_a_credential_and_serves_without_the_projector() -> None:
    service = unit("grantledger-web.service")["Service"]

    assert service["LoadCredential"] == ["tokens:/etc/grantledger/tokens"]
    assert set(service["Environment"]) == {"GRANTLEDGER_TOKENS_FILE=%d/tokens",
                                           "GRANTLEDGER_START_PROJECTOR=n"}
    assert service["KillMode"] == ["mixed"]


def test_every_unit_is_confined() -> None:
    for name in UNITS:
        service = unit(name)["Service"]
        assert {key: service[key] for key in (
            "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
            "CapabilityBoundingSet", "SystemCallFilter", "RestrictAddressFamilies")} == {
            "NoNewPrivileges": ["yes"], "ProtectSystem": ["strict"], "ProtectHome": ["yes"],
            "PrivateTmp": ["yes"], "PrivateDevices": ["yes"], "CapabilityBoundingSet": [""],
            "SystemCallFilter": ["@system-service"],
            "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"]}, name


def test_a_projector_silent_for_the_heartbeat_bound_is_restarted_by_systemds_watchdog() -> None:
    service = unit("grantledger-projector.service")["Service"]
    env = (DEPLOY / "systemd" / "grantledger.env").read_text()
    bound = next((line.split("=", 1)[1] for line in env.splitlines()
                  if line.startswith("GRANTLEDGER_MAX_HEARTBEAT_AGE=")), "30")

    assert {key: service[key] for key in ("Type", "NotifyAccess", "WatchdogSec", "Restart")} == {
        "Type": ["notify"], "NotifyAccess": ["main"], "WatchdogSec": [f"{bound}s"],
        "Restart": ["always"]}
