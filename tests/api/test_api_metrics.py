"""/metrics: Prometheus text that a scraper parses, with the series dashboards need."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from support import auth, make_settings

from service.application import utc_now
from service.config import MetricsProjects
from service.demo import NEK_NUMBER, load_demo
from service.reads.projector import NAME, Projector
from service.store.viewstore import RenderedView
from service.web.app import create_app

SCRAPER_TOKEN = "scraper-metrics-token-0123456789"


def samples(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def demo_app(app: Flask) -> Flask:
    application = app.extensions["grantledger"]
    load_demo(application, say=lambda _: None)
    Projector(application).catch_up()
    return app


def with_projects(sqlite_url: str, selection: str) -> Flask:
    return demo_app(create_app(make_settings(
        sqlite_url, metrics_projects=MetricsProjects.parse(selection))))


def test_metrics_count_requests_and_events_and_the_portfolio_as_a_whole(app: Flask) -> None:
    demo_app(app)
    nek = app.extensions["grantledger"].id_for(NEK_NUMBER)
    app.test_client().get(f"/api/v1/projects/{nek}/views/budget", headers=auth("viewer"))

    found = samples(app)

    assert found[("grantledger_http_requests_total", (
        ("endpoint", "/api/v1/projects/<uuid:project_id>/views/budget"), ("method", "GET"),
        ("status", "200")))] >= 1
    assert found[("grantledger_events_appended_total", (("type", "ExpenseRecorded"),))] >= 13
    assert found[("grantledger_projection_lag_events", ())] == 0
    assert ("grantledger_idempotent_replays_total", ()) in found
    assert ("grantledger_conflicts_retried_total", ()) in found
    assert ("grantledger_writes_decided_again_total", ()) in found
    assert [name for name, _ in found if name.startswith("grantledger_project_")] == []


def expected_aggregates(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The aggregates, summed here from the portfolio's rows as the API answers them."""
    body = app.test_client().get("/api/v1/portfolio", headers=auth("viewer")).get_json()
    on = body["on"]
    expected: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {
        ("grantledger_projects", (("phase", phase), ("status", status))): 0
        for phase in ("before_realisation", "realisation", "after_realisation")
        for status in ("ok", "warning", "error")}
    for row in body["projects"]:
        phase = ("before_realisation" if on < row["realisation_start"] else "realisation"
                 if on <= row["realisation_end"] else "after_realisation")
        status = "error" if row["errors"] else "warning" if row["warnings"] else "ok"
        expected[("grantledger_projects", (("phase", phase), ("status", status)))] += 1
        for rule, count in row["flags_by_rule"].items():
            key = ("grantledger_open_flags", (("rule", rule),))
            expected[key] = expected.get(key, 0) + count
    rows = body["projects"]
    expected.update({
        ("grantledger_open_flags_by_severity", (("severity", "error"),)):
            sum(r["errors"] for r in rows),
        ("grantledger_open_flags_by_severity", (("severity", "warning"),)):
            sum(r["warnings"] for r in rows),
        ("grantledger_reports_overdue", ()): sum(r["reports_overdue"] for r in rows),
        ("grantledger_projects_with_reports_overdue", ()):
            sum(1 for r in rows if r["reports_overdue"]),
        ("grantledger_indicators_shortfall", ()): sum(r["indicators_shortfall"] for r in rows),
    })
    return expected


AGGREGATES = ("grantledger_projects", "grantledger_open_flags",
              "grantledger_open_flags_by_severity", "grantledger_reports_overdue",
              "grantledger_projects_with_reports_overdue", "grantledger_indicators_shortfall")


def test_the_aggregate_gauges_sum_every_projects_row(app: Flask) -> None:
    demo_app(app)

    found = samples(app)

    aggregates = {key: value for key, value in found.items() if key[0] in AGGREGATES}
    assert aggregates == expected_aggregates(app)
    assert sum(v for k, v in aggregates.items() if k[0] == "grantledger_projects") == 2
    assert aggregates[("grantledger_reports_overdue", ())] >= 1  # NEK's ZZOU, due 2023


def test_the_aggregates_are_summed_alike_on_postgresql(pg_app: Flask) -> None:
    demo_app(pg_app)

    found = samples(pg_app)

    assert {k: v for k, v in found.items() if k[0] in AGGREGATES} == expected_aggregates(pg_app)


def test_a_named_project_gets_series_of_its_own(sqlite_url: str) -> None:
    app = with_projects(sqlite_url, NEK_NUMBER)
    nek = app.extensions["grantledger"].id_for(NEK_NUMBER)

    found = samples(app)

    labels = (("project", str(nek)), ("registration_number", NEK_NUMBER))
    assert found[("grantledger_project_subsidy_entitlement_czk", labels)] == 2595000
    assert found[("grantledger_project_budget_utilisation", labels)] == 0.6674
    assert found[("grantledger_project_open_flags", (*labels, ("severity", "warning")))] >= 1
    assert found[("grantledger_project_reports_overdue", labels)] == 1  # ZZOU, due 2023
    assert found[("grantledger_project_indicators_shortfall", labels)] == 0
    assert {dict(k[1])["project"] for k in found if k[0].startswith("grantledger_project_")
            } == {str(nek)}
    app.extensions["grantledger"].close()


def test_top_n_are_the_projects_with_the_most_open_errors(sqlite_url: str) -> None:
    app = with_projects(sqlite_url, "top:1")
    rows = app.test_client().get("/api/v1/portfolio", headers=auth("viewer")).get_json()
    first = min(rows["projects"], key=lambda r: (-r["errors"], -r["warnings"],
                                                 r["registration_number"]))

    found = samples(app)

    assert {dict(k[1])["project"] for k in found if k[0] == "grantledger_project_open_flags"
            } == {first["project_id"]}
    app.extensions["grantledger"].close()


def test_top_n_on_postgresql(pg_app: Flask) -> None:
    demo_app(pg_app)
    pg_app.config["GRANTLEDGER_SETTINGS"] = replace(
        pg_app.config["GRANTLEDGER_SETTINGS"], metrics_projects=MetricsProjects(top=5))

    found = samples(pg_app)

    assert len({dict(k[1])["project"] for k in found
                if k[0] == "grantledger_project_budget_utilisation"}) == 2


def test_metrics_can_require_a_token(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, metrics_token=SCRAPER_TOKEN))

    refused = app.test_client().get("/metrics")
    allowed = app.test_client().get("/metrics",
                                    headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"})

    assert (refused.status_code, allowed.status_code) == (401, 200)
    app.extensions["grantledger"].close()


def test_a_portfolio_row_rendered_before_version_1_1_counts_no_reports(sqlite_url: str) -> None:
    app = with_projects(sqlite_url, NEK_NUMBER)
    application = app.extensions["grantledger"]
    nek = application.id_for(NEK_NUMBER)
    stored = application.queries.stored_view(nek, "portfolio")
    assert stored is not None
    row = json.loads(stored.body)
    del row["reports_overdue"], row["indicators_shortfall"], row["flags_by_rule"]
    position = application.queries.projection_position(NAME)
    application.queries.save_projection_batch(
        NAME, position, position,
        [RenderedView(nek, "portfolio", stored.position, stored.on, json.dumps(row))], [],
        utc_now())

    found = samples(app)

    labels = (("project", str(nek)), ("registration_number", NEK_NUMBER))
    assert (found[("grantledger_project_reports_overdue", labels)],
            found[("grantledger_project_open_flags", (*labels, ("severity", "error")))]) == (
        0, row["errors"])
    app.extensions["grantledger"].close()


def test_metrics_skip_the_empty_or_cut_short_files_of_processes_killed_as_they_started(
        app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prometheus/client_python#1199: a process creates its metrics file empty and fills it a
    moment later; killed in between, it leaves the file so, and the library's reader failed
    every scrape until the folder was cleaned."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    key = json.dumps(["grantledger_probe", "grantledger_probe_total", {}, "a probe"])
    sound = MmapedDict(str(folder / "counter_101.db"))
    sound.write_value(key, 7.0, 0.0)
    sound.close()
    (folder / "counter_102.db").write_bytes(b"")  # created, never written
    cut = folder / "counter_103.db"
    cut.write_bytes((folder / "counter_101.db").read_bytes()[:20])  # a header, half a key
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    with pytest.raises(struct.error):  # what the library's own reader does with them
        MultiProcessCollector(None).collect()

    found = samples(app)

    assert found[("grantledger_probe_total", ())] == 7.0
    assert found[("grantledger_projection_lag_events", ())] == 0
    assert sorted(path.name for path in folder.iterdir()) == [
        "counter_101.db", "counter_102.db", "counter_103.db"]  # a starting process's file kept
