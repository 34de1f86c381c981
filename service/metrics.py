"""Prometheus metrics, in prometheus-client's multiprocess mode under gunicorn.

Counters and histograms are kept per worker (PROMETHEUS_MULTIPROC_DIR, set by
python:service.web.gunicorn_conf) and summed at scrape time. Figures that live in the database —
the projector's position and lag, each project's utilisation, entitlement, open flags, overdue
reports and indicators in shortfall — are read from it when scraped, so every worker reports
the same values without custom code in a Grafana board.
"""

from __future__ import annotations

import glob
import json
import os
import struct
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.registry import Collector

disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series are noise
REQUESTS = Counter("grantledger_http_requests", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("grantledger_http_request_duration_seconds", "HTTP request latency",
                    ["method", "endpoint"],
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
EVENTS_APPENDED = Counter("grantledger_events_appended", "Events appended to the store",
                          ["type"])
IDEMPOTENT_REPLAYS = Counter("grantledger_idempotent_replays",
                             "Commands answered from an idempotency record")
CONFLICTS_RETRIED = Counter("grantledger_conflicts_retried",
                            "Commands retried after a concurrent write to the same project")
PROJECTOR_RESTARTS = Counter("grantledger_projector_restarts",
                             "Projector processes started again by `grantledger serve`")


class StoreCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, application: Any, projection: str) -> None:
        self.application = application
        self.projection = projection

    def collect(self) -> Iterator[Metric]:
        queries = self.application.queries
        head = self.application.recorder.max_notification_id() or 0
        status = queries.projection_status(self.projection)
        yield _gauge("grantledger_event_log_position", "Position of the last event", head)
        yield _gauge("grantledger_projection_position", "Position the views reflect",
                     status.position)
        yield _gauge("grantledger_projection_lag_events", "Events the views are behind",
                     head - status.position)
        if status.heartbeat_at is not None:
            age = (datetime.now(UTC) - status.heartbeat_at).total_seconds()
            yield _gauge("grantledger_projector_heartbeat_age_seconds",
                         "Seconds since the projector last showed it was alive", max(0.0, age))
        yield from _project_gauges(queries.stored_views("portfolio"))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _project_gauges(rows: dict[Any, Any]) -> Iterator[Metric]:
    labels = ["project", "registration_number"]
    utilisation = GaugeMetricFamily("grantledger_project_budget_utilisation",
                                    "Eligible (capped) over planned budget", labels=labels)
    entitlement = GaugeMetricFamily("grantledger_project_subsidy_entitlement_czk",
                                    "Subsidy the eligible expenditure entitles to", labels=labels)
    flags = GaugeMetricFamily("grantledger_project_open_flags", "Compliance flags now open",
                              labels=[*labels, "severity"])
    overdue = GaugeMetricFamily("grantledger_project_reports_overdue",
                                "Reports past due and not submitted", labels=labels)
    shortfall = GaugeMetricFamily("grantledger_project_indicators_shortfall",
                                  "Indicators to achieve, not achieved by the realisation end",
                                  labels=labels)
    for project_id, stored in rows.items():
        row = json.loads(stored.body)
        names = [str(project_id), row["registration_number"]]
        utilisation.add_metric(names, _metric_value(row["utilisation"]))
        entitlement.add_metric(names, _metric_value(row["entitlement"]))
        flags.add_metric([*names, "error"], row["errors"])
        flags.add_metric([*names, "warning"], row["warnings"])
        # A row rendered before version 1.1 has no counts of reports and indicators.
        overdue.add_metric(names, row.get("reports_overdue", 0))
        shortfall.add_metric(names, row.get("indicators_shortfall", 0))
    yield from (utilisation, entitlement, flags, overdue, shortfall)


def _metric_value(text: str) -> float:
    """Prometheus samples are binary floats: exact figures stay in the API, the metric is
    for dashboards."""
    return float(Decimal(text))


def exposition(store: StoreCollector) -> bytes:
    """The metrics page: every worker's counters (multiprocess mode) plus the store's gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        SoundFilesCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_single(store))


class SoundFilesCollector(multiprocess.MultiProcessCollector):
    """prometheus-client's sum of every process's files, skipping those it cannot read: a
    process creates its file empty and fills it a moment later, and one killed in between
    leaves it so (prometheus/client_python#1199); the library's reader then failed every
    scrape (500) until the folder was cleaned. Skipped, not deleted: the file of a process
    still starting is about to be written."""

    def collect(self) -> Iterable[Metric]:
        files = [path for path in glob.glob(os.path.join(self._path, "*.db"))
                 if _readable(path)]
        merged: Iterable[Metric] = self.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        return merged


def _readable(path: str) -> bool:
    try:
        values = MmapedDict.read_all_values_from_file(path)  # type: ignore[no-untyped-call]
        for key, _, _, _ in values:
            json.loads(key)
    except (OSError, struct.error, RuntimeError, ValueError):  # gone, empty, cut short
        return False
    return True


def _single(collector: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
