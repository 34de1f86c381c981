"""deploy/prometheus and deploy/grafana: promtool checks the configuration and the rules and
runs the rules' unit tests; every dashboard query is valid PromQL; every metric the rules and
the dashboard use is on a real /metrics page of the service."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from deploy_files import DEPLOY, load_yaml, run, tool
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from support import auth

from service.config import MetricsProjects
from service.demo import load_demo
from service.reads.projector import Projector

PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "grantledger.json"
METRIC_NAME = re.compile(r"\b(grantledger_[a-z0-9_]+)\b")


def promtool() -> str:
    return tool("promtool", "apt-get install -y prometheus (Debian's package; .ci/run does)")


def rule_expressions() -> list[str]:
    return [rule["expr"] for group in load_yaml("prometheus/alerts.yml")["groups"]
            for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


def dashboard_expressions() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"]
            for target in panel.get("targets", [])]


def test_promtool_accepts_the_prometheus_configuration_and_its_rules() -> None:
    checked_config = run(promtool(), "check", "config", "prometheus.yml", cwd=PROMETHEUS)
    checked_rules = run(promtool(), "check", "rules", "alerts.yml", cwd=PROMETHEUS)

    assert checked_config.returncode == 0, checked_config.stdout + checked_config.stderr
    assert checked_rules.returncode == 0, checked_rules.stdout + checked_rules.stderr


def test_the_alert_rules_pass_their_unit_tests() -> None:
    tested = run(promtool(), "test", "rules", "alerts.test.yml", cwd=PROMETHEUS)

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.split() == ["Unit", "Testing:", "alerts.test.yml", "SUCCESS"]


def test_the_rules_alert_on_each_condition_operators_act_on() -> None:
    alerts = {rule["alert"]: rule for group in load_yaml("prometheus/alerts.yml")["groups"]
              for rule in group["rules"] if "alert" in rule}

    assert set(alerts) == {
        "GrantledgerDown", "GrantledgerServerErrors", "GrantledgerProjectionLagGrowing",
        "GrantledgerProjectorHeartbeatTooOld", "GrantledgerProjectorRestarting",
        "GrantledgerComplianceFlagsOpened", "GrantledgerReportsOverdue",
        "GrantledgerReadReplicaBehind"}
    assert all({"summary", "description"} <= set(rule["annotations"]) and
               rule["labels"]["severity"] in {"critical", "warning", "info"}
               for rule in alerts.values())


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool checks PromQL in rule files: each query becomes a recording rule, with
    # Grafana's $__rate_interval as a plain range.
    rules = [{"record": f"dashboard:query_{n}", "expr": expr.replace("$__rate_interval", "5m")}
             for n, expr in enumerate(dashboard_expressions())]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    checked = run(promtool(), "check", "rules", "dashboard.yml", cwd=tmp_path)

    assert len(rules) >= 15
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_shows_the_portfolio_and_the_service_from_the_provisioned_datasource(
        ) -> None:
    document = dashboard()
    datasource = load_yaml("grafana/provisioning/datasources/prometheus.yml")["datasources"][0]
    panels = [panel for panel in document["panels"] if panel["type"] != "row"]
    queries = " ".join(dashboard_expressions())

    assert [row["title"] for row in document["panels"] if row["type"] == "row"] == [
        "Portfolio", "Service"]
    assert {panel["datasource"]["uid"] for panel in panels} == {datasource["uid"]}
    assert {target["datasource"]["uid"] for panel in panels for target in panel["targets"]
            } == {datasource["uid"]}
    for shown in ("grantledger_projects", "grantledger_open_flags",
                  "grantledger_reports_overdue", "grantledger_project_budget_utilisation",
                  "grantledger_project_subsidy_entitlement_czk", "grantledger_project_open_flags",
                  "grantledger_http_requests_total", "grantledger_http_request_duration_seconds",
                  'status=~"5.."', "grantledger_projection_lag_events", "grantledger:ready",
                  "grantledger_projector_heartbeat_age_seconds",
                  "grantledger_projector_restarts_total"):
        assert shown in queries, shown
    assert len({panel["id"] for panel in document["panels"]}) == len(document["panels"])


def exposed_metrics(app: Flask) -> set[str]:
    """The sample names of the service's /metrics after a little use: the demo recorded, the
    views projected (with the projector's heartbeat), a view read and a request refused."""
    # The dashboard's per-project panels show the projects GRANTLEDGER_METRICS_PROJECTS names.
    app.config["GRANTLEDGER_SETTINGS"] = replace(app.config["GRANTLEDGER_SETTINGS"],
                                                 metrics_projects=MetricsProjects(top=10))
    application = app.extensions["grantledger"]
    load_demo(application, say=lambda _: None)
    Projector(application).catch_up()
    client = app.test_client()
    assert client.get("/api/v1/portfolio", headers=auth("viewer")).status_code == 200
    assert client.get("/api/v1/portfolio").status_code == 401
    response = client.get("/metrics")
    assert response.status_code == 200
    return {sample.name for family in
            text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def test_every_metric_the_rules_and_the_dashboard_use_is_on_the_metrics_page(
        app: Flask) -> None:
    used = {name for expr in [*rule_expressions(), *dashboard_expressions()]
            for name in METRIC_NAME.findall(expr)}

    exposed = exposed_metrics(app)

    assert {"grantledger_projector_heartbeat_age_seconds",
            "grantledger_projector_restarts_total"} <= used
    # Only with a read replica (tests/integration/test_read_replica.py reads it there).
    assert used - exposed == {"grantledger_read_replica_lag_events"}
