"""Prometheus metrics, in prometheus-client's multiprocess mode under gunicorn.

Counters and histograms are kept per worker (PROMETHEUS_MULTIPROC_DIR, set by
python:service.web.gunicorn_conf) and summed at scrape time. Figures that live in the database —
the projector's position and lag, and the portfolio's figures — are read from it when scraped,
so every worker reports the same values without custom code in a Grafana board.

The portfolio's gauges are aggregates whatever the number of projects — projects by phase and
compliance status, open flags by rule and by severity, overdue reports, indicators in shortfall
— so that /metrics stays small at a programme's thousands of projects. Series of a project's
own (utilisation, entitlement, open flags, overdue reports, shortfall) are off unless
GRANTLEDGER_METRICS_PROJECTS asks for them: `top:N` (the N projects with the most open
errors, then warnings) or a list of ids and registration numbers (service.config).
"""

from __future__ import annotations

import glob
import json
import os
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

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

from service.config import MetricsProjects
from service.store.portfolio_figures import (
    PortfolioFigures,
    named_rows,
    portfolio_figures,
    top_rows,
)

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
DECIDED_AGAIN = Counter("grantledger_writes_decided_again",
                        "Writes decided again because another process had written to the "
                        "project since the state this one held")
WRITES_IN_TURN = Counter("grantledger_writes_in_turn",
                         "Writes made under the project's lock, decided on the events read "
                         "under it: the project's writes lately lost a race to another process")
BATCHES_HANDED_OFF = Counter("grantledger_batches_handed_off",
                             "Batches of expenses passed to the worker whose slot is their "
                             "project's home, and answered by it")
PROJECTOR_RESTARTS = Counter("grantledger_projector_restarts",
                             "Projector processes started again by `grantledger serve`")


class StoreCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, application: Any, projection: str,
                 projects: MetricsProjects | None = None,
                 replica_position: Callable[[], int | None] | None = None) -> None:
        self.application = application
        self.projection = projection
        self.projects = projects or MetricsProjects()
        # The read replica's position (None: it did not answer), when one is configured.
        self.replica_position = replica_position

    def collect(self) -> Iterator[Metric]:
        queries = self.application.queries
        head = self.application.recorder.max_notification_id() or 0
        status = queries.projection_status(self.projection)
        yield _gauge("grantledger_event_log_position", "Position of the last event", head)
        yield _gauge("grantledger_projection_position", "Position the views reflect",
                     status.position)
        yield _gauge("grantledger_projection_lag_events", "Events the views are behind",
                     head - status.position)
        yield from self._replica_lag(head)
        if status.heartbeat_at is not None:
            age = (datetime.now(UTC) - status.heartbeat_at).total_seconds()
            yield _gauge("grantledger_projector_heartbeat_age_seconds",
                         "Seconds since the projector last showed it was alive", max(0.0, age))
        from service.application import prague_today, utc_now  # it imports these counters

        # What the figures are a function of: the store, the views' position and day, the
        # projects asked for.
        key = (self.application.recorder, status.position, head, prague_today(utc_now()),
               self.projects)
        figures, rows = PORTFOLIO.get(key, lambda: self._portfolio(queries))
        yield from portfolio_gauges(figures)
        yield from project_gauges([json.loads(body) for body in rows])

    def _replica_lag(self, head: int) -> Iterator[Metric]:
        """The read replica's replay lag, in events; absent while it does not answer."""
        position = self.replica_position() if self.replica_position is not None else None
        if position is not None:
            yield _gauge("grantledger_read_replica_lag_events",
                         "Events the read replica has not replayed yet", max(0, head - position))

    def _portfolio(self, queries: Any) -> tuple[PortfolioFigures, list[str]]:
        figures = portfolio_figures(queries)
        if self.projects.named:
            return figures, named_rows(queries, self._named_ids())
        return figures, top_rows(queries, self.projects.top) if self.projects.top else []

    def _named_ids(self) -> list[str]:
        """The projects named by id or by registration number (an id follows from it)."""
        ids = set()
        for name in self.projects.named:
            try:
                ids.add(str(UUID(name)))
            except ValueError:
                ids.add(str(self.application.id_for(name)))
        return sorted(ids)


class SnapshotCache:
    """The portfolio's figures as last read, per process. Reading them takes a few dozen kept
    sums (and the rows of the projects asked for by name or as the top N), milliseconds; a
    slow store must still not hold every scrape. So they are read again only
    when the views have moved, and, once a read has taken longer than SYNC_SECONDS, at most
    every REFRESH_SECONDS and in a thread of their own, a scrape meanwhile answering at once
    with the figures it has (dashboards and alerts look at minutes, not seconds)."""

    SYNC_SECONDS = 0.1
    REFRESH_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Any = None
        self._key: Any = None
        self._summed_at = 0.0
        self._took = 0.0
        self._refreshing = False

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            snapshot, same = self._snapshot, self._key == key
            if snapshot is not None and (same or self._refreshing):
                return snapshot
            slow = self._took >= self.SYNC_SECONDS
            if snapshot is not None and slow:
                if time.monotonic() - self._summed_at >= self.REFRESH_SECONDS:
                    self._refreshing = True
                    threading.Thread(target=self._refresh, args=(key, compute), daemon=True,
                                     name="metrics-portfolio").start()
                return snapshot
        return self._refresh(key, compute)

    def _refresh(self, key: Any, compute: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            snapshot = compute()
        finally:
            with self._lock:
                self._refreshing = False
        with self._lock:
            self._snapshot, self._key = snapshot, key
            self._summed_at, self._took = time.monotonic(), time.monotonic() - started
        return snapshot

    def clear(self) -> None:
        with self._lock:
            self._snapshot = self._key = None
            self._took = 0.0


PORTFOLIO = SnapshotCache()


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


PHASES = ("before_realisation", "realisation", "after_realisation")
STATUSES = ("ok", "warning", "error")


def portfolio_gauges(figures: PortfolioFigures) -> Iterator[Metric]:
    """Every project counted, in a fixed number of series whatever their number (the phase
    judged on the day the views were rendered for; the status `error` with an open error flag,
    else `warning` with a warning, else `ok`)."""
    by_phase = GaugeMetricFamily("grantledger_projects",
                                 "Projects by phase and compliance status",
                                 labels=["phase", "status"])
    for phase in PHASES:
        for status in STATUSES:
            by_phase.add_metric([phase, status], figures.projects.get((phase, status), 0))
    by_rule = GaugeMetricFamily("grantledger_open_flags", "Open compliance flags by rule, "
                                "over every project", labels=["rule"])
    for rule, count in sorted(figures.flags_by_rule.items()):
        by_rule.add_metric([rule], count)
    by_severity = GaugeMetricFamily("grantledger_open_flags_by_severity",
                                    "Open compliance flags by severity, over every project",
                                    labels=["severity"])
    by_severity.add_metric(["error"], figures.errors)
    by_severity.add_metric(["warning"], figures.warnings)
    yield from (by_phase, by_rule, by_severity)
    yield _gauge("grantledger_reports_overdue", "Reports past due and not submitted, over "
                 "every project", figures.reports_overdue)
    yield _gauge("grantledger_projects_with_reports_overdue", "Projects with a report past "
                 "due and not submitted", figures.projects_with_reports_overdue)
    yield _gauge("grantledger_indicators_shortfall", "Indicators to achieve, not achieved by "
                 "the realisation end, over every project", figures.indicators_shortfall)


def project_gauges(rows: list[dict[str, Any]]) -> Iterator[Metric]:
    """The series of the projects GRANTLEDGER_METRICS_PROJECTS asks for."""
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
    for row in rows:
        names = [str(row["project_id"]), row["registration_number"]]
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
