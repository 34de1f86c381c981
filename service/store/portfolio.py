"""The portfolio's index: one row per project, with the columns the portfolio's paging,
filters and totals need and the row's JSON as the API sends it (created by
service.store.migrate, version 4).

The projector writes a project's index row in the transaction that stores its views
(service.store.viewstore), so the two never disagree. A page is a range of the index in the
order of registration (`registered`: the position of the project's first event), bodies and
all: one index range, not a look-up per row in the views' table (at 100,000 projects a page of
1,000 read in 7 ms instead of 16). Money is held in haléře (BIGINT), so that both backends sum
it exactly. The open flags by rule are a second table, keyed by rule, for `?flag=`.

A dashboard's usual questions — every project, those with a flag of one rule, with or without
an overdue report — are answered from sums the projector keeps (`grantledger_portfolio_sums`,
one row per question, moved by each project's change in the same transaction), so they cost
one look-up however many projects there are; a principal's own projects (its grants), a
beneficiary's and combined filters are summed by the database over their rows, found by index.
Since version 6 the kept sums also count what /metrics reports (service.store.portfolio_figures):
projects by phase and status, errors, warnings, overdue reports, indicators short of target,
and each rule's flags, so that a scrape reads a few dozen rows at any number of projects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from service.store.viewstore import (
    FLAGS_TABLE,
    PORTFOLIO_TABLE,
    SUMS_TABLE,
    TRACKING_TABLE,
)

CREATE_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {PORTFOLIO_TABLE} ("
    "project_id TEXT PRIMARY KEY, registered BIGINT NOT NULL, position BIGINT NOT NULL, "
    "on_date TEXT NOT NULL, registration_number TEXT NOT NULL, beneficiary_ico TEXT, "
    "realisation_start TEXT NOT NULL, realisation_end TEXT NOT NULL, "
    "planned BIGINT NOT NULL, eligible BIGINT NOT NULL, entitlement BIGINT NOT NULL, "
    "flag_count INTEGER NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL, "
    "reports_overdue INTEGER NOT NULL, indicators_shortfall INTEGER NOT NULL, "
    "body TEXT NOT NULL)",
    f"CREATE UNIQUE INDEX IF NOT EXISTS {PORTFOLIO_TABLE}_registered_idx "
    f"ON {PORTFOLIO_TABLE} (registered)",
    f"CREATE INDEX IF NOT EXISTS {PORTFOLIO_TABLE}_ico_idx "
    f"ON {PORTFOLIO_TABLE} (beneficiary_ico, registered)",
    f"CREATE INDEX IF NOT EXISTS {PORTFOLIO_TABLE}_overdue_idx "
    f"ON {PORTFOLIO_TABLE} (registered) WHERE reports_overdue > 0",
    f"CREATE INDEX IF NOT EXISTS {PORTFOLIO_TABLE}_on_time_idx "
    f"ON {PORTFOLIO_TABLE} (registered) WHERE reports_overdue = 0",
    f"CREATE INDEX IF NOT EXISTS {PORTFOLIO_TABLE}_on_idx ON {PORTFOLIO_TABLE} (on_date)",
    f"CREATE TABLE IF NOT EXISTS {FLAGS_TABLE} ("
    "rule TEXT NOT NULL, registered BIGINT NOT NULL, project_id TEXT NOT NULL, "
    "flags INTEGER NOT NULL, PRIMARY KEY (rule, registered))",
    f"CREATE INDEX IF NOT EXISTS {FLAGS_TABLE}_project_idx ON {FLAGS_TABLE} (project_id)",
    f"CREATE TABLE IF NOT EXISTS {SUMS_TABLE} ("
    "key TEXT PRIMARY KEY, projects BIGINT NOT NULL, budget BIGINT NOT NULL, "
    "eligible BIGINT NOT NULL, entitlement BIGINT NOT NULL, open_flags BIGINT NOT NULL)",
)
# What a project adds to each kept sum: itself, its budget, eligible and entitlement
# (haléře), its open flags; and since version 6, for /metrics, its errors, warnings, overdue
# reports, whether it has one, its indicators short of their targets and, under a rule's key,
# its flags of that rule.
SUMMED = ("projects", "budget", "eligible", "entitlement", "open_flags", "errors", "warnings",
          "reports_overdue", "late", "shortfall", "rule_flags")
TOTALLED = SUMMED[:5]  # what the portfolio's totals answer
ADDED_IN_6 = SUMMED[5:]
# A project's phase on its row's day and its status by its flags' severity (in SQL for the
# migration that first sums them, in Python as the projector moves them).
PHASE_SQL = ("CASE WHEN on_date < realisation_start THEN 'before_realisation' "
             "WHEN on_date <= realisation_end THEN 'realisation' ELSE 'after_realisation' END")
STATUS_SQL = "CASE WHEN errors > 0 THEN 'error' WHEN warnings > 0 THEN 'warning' ELSE 'ok' END"
_SUMMED_SQL = ("COUNT(*), SUM(p.planned), SUM(p.eligible), SUM(p.entitlement), "
               "SUM(p.flag_count), SUM(p.errors), SUM(p.warnings), SUM(p.reports_overdue), "
               "SUM(CASE WHEN p.reports_overdue > 0 THEN 1 ELSE 0 END), "
               "SUM(p.indicators_shortfall)")
# Every kept sum made afresh from the index's rows (what the projector's moves keep).
RESUM_STATEMENTS = (
    f"DELETE FROM {SUMS_TABLE}",
    f"INSERT INTO {SUMS_TABLE} (key, {', '.join(SUMMED)}) SELECT p.key, {_SUMMED_SQL}, 0 "
    f"FROM (SELECT 'all' AS key, * FROM {PORTFOLIO_TABLE} UNION ALL "
    "SELECT CASE WHEN reports_overdue > 0 THEN 'overdue:true' ELSE 'overdue:false' END, * "
    f"FROM {PORTFOLIO_TABLE} UNION ALL SELECT 'status:' || {PHASE_SQL} || ':' || {STATUS_SQL}, "
    f"* FROM {PORTFOLIO_TABLE}) AS p GROUP BY p.key",
    f"INSERT INTO {SUMS_TABLE} (key, {', '.join(SUMMED)}) SELECT 'flag:' || f.rule, "
    f"{_SUMMED_SQL}, SUM(f.flags) FROM {FLAGS_TABLE} AS f JOIN {PORTFOLIO_TABLE} AS p "
    "ON p.project_id = f.project_id GROUP BY f.rule",
)
CENTS = 100
_UPSERT_COLUMNS = ("position", "on_date", "registration_number", "beneficiary_ico",
                   "realisation_start", "realisation_end", "planned", "eligible", "entitlement",
                   "flag_count", "errors", "warnings", "reports_overdue", "indicators_shortfall",
                   "body")


@dataclass(frozen=True)
class PortfolioEntry:
    """A project's index row: its rendered portfolio row's figures and its beneficiary's IČO."""

    project_id: UUID
    position: int
    on: date
    beneficiary_ico: str | None
    row: dict[str, Any]
    body: str

    @classmethod
    def of(cls, body: str, on: date, beneficiary_ico: str | None) -> PortfolioEntry:
        """From the row exactly as the API sends it (its amounts to the haléř)."""
        row = json.loads(body)
        return cls(UUID(row["project_id"]), int(row["position"]), on, beneficiary_ico, row,
                   body)

    def contribution(self) -> dict[str, list[int]]:
        row = self.row
        return Standing(
            [haler(row["planned"]), haler(row["eligible_capped"]), haler(row["entitlement"]),
             row["flag_count"], row["errors"], row["warnings"], row["reports_overdue"],
             row["indicators_shortfall"]],
            phase(self.on.isoformat(), row["realisation_start"], row["realisation_end"]),
            dict(row["flags_by_rule"])).contribution()

    def values(self) -> list[Any]:
        row = self.row
        return [self.position, self.on.isoformat(), row["registration_number"],
                self.beneficiary_ico, row["realisation_start"], row["realisation_end"],
                haler(row["planned"]), haler(row["eligible_capped"]),
                haler(row["entitlement"]), row["flag_count"], row["errors"], row["warnings"],
                row["reports_overdue"], row["indicators_shortfall"], self.body]


def haler(amount: str) -> int:
    return int(Decimal(amount) * CENTS)


def crowns(haler_sum: Any) -> Decimal:
    return (Decimal(int(haler_sum or 0)) / CENTS).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class PortfolioFilter:
    """Which projects a portfolio answer is about: those of `visible` (None: every one)
    matching the filters given, leaving out `excluded` (read elsewhere)."""

    visible: frozenset[UUID] | None = None
    flag: str | None = None
    beneficiary_ico: str | None = None
    overdue: bool | None = None
    excluded: frozenset[UUID] = field(default_factory=frozenset)

    def matches(self, row: dict[str, Any], beneficiary_ico: str | None) -> bool:
        """The same test on a row folded outside the index."""
        return ((self.visible is None or UUID(str(row["project_id"])) in self.visible)
                and (self.flag is None or row["flags_by_rule"].get(self.flag, 0) > 0)
                and (self.beneficiary_ico is None or beneficiary_ico == self.beneficiary_ico)
                and (self.overdue is None or (row["reports_overdue"] > 0) == self.overdue))


@dataclass(frozen=True)
class PortfolioState:
    """Where the log (`head`) and a projection (`projected`) are, and the day every index row
    is for (None: no rows, or rows of different days)."""

    head: int
    projected: int
    day: date | None


@dataclass(frozen=True)
class Totals:
    projects: int
    budget: Decimal
    eligible: Decimal
    entitlement: Decimal
    open_flags: int

    def minus(self, other: Totals) -> Totals:
        return Totals(self.projects - other.projects, self.budget - other.budget,
                      self.eligible - other.eligible, self.entitlement - other.entitlement,
                      self.open_flags - other.open_flags)


def _totals(sums: list[Any]) -> Totals:
    projects, budget, eligible, entitlement, open_flags = sums[:len(TOTALLED)]
    return Totals(int(projects or 0), crowns(budget), crowns(eligible), crowns(entitlement),
                  int(open_flags or 0))


def sums_key(where: PortfolioFilter) -> str | None:
    """The kept sums that answer a question, if any: every project, or those with a flag of
    one rule, or with (or without) an overdue report; None for the others."""
    if where.visible is not None or where.beneficiary_ico is not None or (
            where.flag is not None and where.overdue is not None):
        return None
    if where.flag is not None:
        return f"flag:{where.flag}"
    return "all" if where.overdue is None else f"overdue:{str(where.overdue).lower()}"


def phase(on: str, start: str, end: str) -> str:
    """As PHASE_SQL: ISO dates compare as text."""
    return "before_realisation" if on < start else "realisation" if on <= end else (
        "after_realisation")


def status(errors: int, warnings: int) -> str:
    """As STATUS_SQL."""
    return "error" if errors > 0 else "warning" if warnings > 0 else "ok"


@dataclass(frozen=True)
class Standing:
    """A project's index row as the kept sums count it: its figures (budget, eligible,
    entitlement in haléře, open flags, errors, warnings, overdue reports, indicators short),
    its phase and its open flags by rule."""

    figures: list[int]
    phase: str
    rules: dict[str, int]

    def contribution(self) -> dict[str, list[int]]:
        """What it adds to each kept sum (SUMMED's columns, by key)."""
        planned, eligible, entitlement, flags, errors, warnings, overdue, short = self.figures
        added = [1, planned, eligible, entitlement, flags, errors, warnings, overdue,
                 int(overdue > 0), short, 0]
        keys = ["all", f"overdue:{str(overdue > 0).lower()}",
                f"status:{self.phase}:{status(errors, warnings)}"]
        return {**{key: added for key in keys},
                **{f"flag:{rule}": [*added[:-1], count] for rule, count in self.rules.items()}}


def _move(changes: dict[str, list[int]], contributions: dict[str, list[int]],
          sign: int) -> None:
    for key, added in contributions.items():
        held = changes.setdefault(key, [0] * len(SUMMED))
        for n, value in enumerate(added):
            held[n] += sign * int(value)


class PortfolioQueries:
    """The index's statements, shared by both backends (see service.store.recorders)."""

    events_table_name: str

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    def _sql(self, statement: str) -> Any:
        raise NotImplementedError

    def _position_column(self) -> str:
        raise NotImplementedError

    def _id_param(self, originator_id: UUID) -> Any:
        raise NotImplementedError

    def _among(self, column: str, ids: Sequence[Any]) -> tuple[str, list[Any]]:
        """`column` is one of `ids`, for any number of them: one parameter, a JSON array."""
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]

    def save_portfolio_entries(self, cursor: Any, entries: Sequence[PortfolioEntry]) -> None:
        """Writes index rows in the caller's transaction (the views' batch): a statement per
        kind of change for the whole batch, each of many rows sent at once (psycopg
        pipelines `executemany`), not a round trip per row: at 100,000 projects the rows'
        round trips were a quarter of the projector's first pass."""
        latest = {str(entry.project_id): entry for entry in entries}
        if not latest:
            return
        changes: dict[str, list[int]] = {}
        for stored in self._stored_contributions(cursor, list(latest)).values():
            _move(changes, stored, -1)
        for entry in latest.values():
            _move(changes, entry.contribution(), 1)
        registered = (f"(SELECT {self._position_column()} FROM {self.events_table_name} "
                      "WHERE originator_id = %s AND originator_version = 1)")
        columns = ", ".join(_UPSERT_COLUMNS)
        updates = ", ".join(f"{name} = excluded.{name}" for name in _UPSERT_COLUMNS)
        marks = ", ".join(["%s"] * len(_UPSERT_COLUMNS))
        cursor.executemany(self._sql(
            f"INSERT INTO {PORTFOLIO_TABLE} (project_id, registered, {columns}) "
            f"VALUES (%s, {registered}, {marks}) "
            f"ON CONFLICT (project_id) DO UPDATE SET {updates}"),
            [[project, self._id_param(entry.project_id), *entry.values()]
             for project, entry in latest.items()])
        among, params = self._among("project_id", list(latest))
        cursor.execute(self._sql(f"DELETE FROM {FLAGS_TABLE} WHERE {among}"), params)
        flags = [[rule, count, project] for project, entry in latest.items()
                 for rule, count in sorted(entry.row["flags_by_rule"].items())]
        if flags:
            cursor.executemany(self._sql(
                f"INSERT INTO {FLAGS_TABLE} (rule, registered, project_id, flags) "
                f"SELECT %s, registered, project_id, %s FROM {PORTFOLIO_TABLE} "
                "WHERE project_id = %s"), flags)
        self._save_sums(cursor, changes)

    def _stored_contributions(self, cursor: Any,
                              projects: list[str]) -> dict[str, dict[str, list[int]]]:
        """What each of these projects' stored index rows adds to each of the kept sums, in
        one statement (a new project has none)."""
        among, params = self._among("p.project_id", projects)
        cursor.execute(self._sql(
            "SELECT p.project_id, p.planned, p.eligible, p.entitlement, p.flag_count, "
            "p.errors, p.warnings, p.reports_overdue, p.indicators_shortfall, p.on_date, "
            f"p.realisation_start, p.realisation_end, f.rule, f.flags FROM {PORTFOLIO_TABLE} "
            f"AS p LEFT JOIN {FLAGS_TABLE} AS f ON f.project_id = p.project_id WHERE {among}"),
            params)
        rows: dict[str, list[Any]] = {}
        for row in cursor.fetchall():
            rows.setdefault(row["project_id"], []).append(row)
        return {project: _standing(held).contribution() for project, held in rows.items()}

    def _save_sums(self, cursor: Any, changes: dict[str, list[int]]) -> None:
        columns = ", ".join(SUMMED)
        moved = ", ".join(f"{name} = {SUMS_TABLE}.{name} + excluded.{name}" for name in SUMMED)
        marks = ", ".join(["%s"] * (len(SUMMED) + 1))
        moves = [[key, *change] for key, change in sorted(changes.items()) if any(change)]
        if moves:
            cursor.executemany(self._sql(
                f"INSERT INTO {SUMS_TABLE} (key, {columns}) VALUES ({marks}) "
                f"ON CONFLICT (key) DO UPDATE SET {moved}"), moves)

    def portfolio_state(self, projection: str) -> PortfolioState:
        """The log's head, the projection's position and the index's day, in one statement
        (each a look-up at one end of an index): a page then takes three round trips."""
        pos = self._position_column()
        statement = (f"SELECT (SELECT MAX({pos}) FROM {self.events_table_name}) AS head, "
                     f"(SELECT position FROM {TRACKING_TABLE} WHERE name = %s) AS projected, "
                     f"(SELECT MIN(on_date) FROM {PORTFOLIO_TABLE}) AS first, "
                     f"(SELECT MAX(on_date) FROM {PORTFOLIO_TABLE}) AS last")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [projection])
            row = cursor.fetchone()
        first, last = row["first"], row["last"]
        day = date.fromisoformat(first) if first is not None and first == last else None
        return PortfolioState(int(row["head"] or 0), int(row["projected"] or 0), day)

    def portfolio_page(self, where: PortfolioFilter, after: int,
                       limit: int) -> list[tuple[int, str]]:
        """Up to `limit` stored rows registered after position `after`, in that order: each
        with its registration position."""
        condition, params = self._where(where)
        statement = (f"SELECT p.registered, p.body FROM {PORTFOLIO_TABLE} AS p "
                     f"WHERE p.registered > %s{condition} ORDER BY p.registered LIMIT %s")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [after, *params, limit])
            return [(int(row["registered"]), row["body"]) for row in cursor.fetchall()]

    def portfolio_totals(self, where: PortfolioFilter) -> Totals:
        """The sums over every stored row that matches: kept, less the rows `excluded`, if
        they are of a question the projector keeps sums for; else made by the database."""
        key = sums_key(where)
        if key is None:
            return self._summed(where)
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"SELECT {', '.join(TOTALLED)} FROM {SUMS_TABLE} "
                                     "WHERE key = %s"), [key])
            row = cursor.fetchone()
        kept = _totals([row[name] for name in TOTALLED] if row else [0] * len(TOTALLED))
        if not where.excluded:
            return kept
        return kept.minus(self._summed(replace(where, visible=where.excluded,
                                               excluded=frozenset())))

    def _summed(self, where: PortfolioFilter) -> Totals:
        condition, params = self._where(where)
        statement = ("SELECT COUNT(*) AS projects, SUM(p.planned) AS budget, "
                     "SUM(p.eligible) AS eligible, SUM(p.entitlement) AS entitlement, "
                     f"SUM(p.flag_count) AS open_flags FROM {PORTFOLIO_TABLE} AS p "
                     f"WHERE 1 = 1{condition}")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            row = cursor.fetchone()
        return _totals([row[name] for name in TOTALLED])

    def registrations(self, after: int, limit: int,
                      visible: frozenset[UUID] | None) -> list[tuple[int, UUID]]:
        """Up to `limit` projects registered after position `after` (of `visible`), in the
        order of registration, each with its registration position."""
        pos = self._position_column()
        statement = (f"SELECT {pos} AS position, originator_id FROM {self.events_table_name} "
                     f"WHERE originator_version = 1 AND {pos} > %s")
        params: list[Any] = [after]
        if visible is not None:
            among, more = self._among("originator_id", [_stored_id(self, i) for i in visible])
            statement, params = f"{statement} AND {among}", [*params, *more]
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"{statement} ORDER BY {pos} LIMIT %s"), [*params, limit])
            return [(int(row["position"]), UUID(str(row["originator_id"])))
                    for row in cursor.fetchall()]

    def registration_positions(self, project_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Where each of these projects was registered (those that are)."""
        if not project_ids:
            return {}
        among, params = self._among("originator_id",
                                    [_stored_id(self, i) for i in project_ids])
        statement = (f"SELECT {self._position_column()} AS position, originator_id "
                     f"FROM {self.events_table_name} WHERE originator_version = 1 AND {among}")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            return {UUID(str(row["originator_id"])): int(row["position"])
                    for row in cursor.fetchall()}

    def _where(self, where: PortfolioFilter) -> tuple[str, list[Any]]:
        conditions, params = [], []
        if where.visible is not None:
            among, more = self._among("p.project_id", sorted(map(str, where.visible)))
            conditions.append(among)
            params += more
        if where.excluded:
            among, more = self._among("p.project_id", sorted(map(str, where.excluded)))
            conditions.append(f"NOT ({among})")
            params += more
        if where.flag is not None:
            conditions.append(f"EXISTS (SELECT 1 FROM {FLAGS_TABLE} AS f "
                              "WHERE f.rule = %s AND f.registered = p.registered)")
            params.append(where.flag)
        if where.beneficiary_ico is not None:
            conditions.append("p.beneficiary_ico = %s")
            params.append(where.beneficiary_ico)
        if where.overdue is not None:
            conditions.append("p.reports_overdue > 0" if where.overdue
                              else "p.reports_overdue = 0")
        return "".join(f" AND {condition}" for condition in conditions), params


def _standing(rows: list[Any]) -> Standing:
    """A stored index row (one per open flag's rule, joined) as the kept sums count it."""
    first = rows[0]
    return Standing([int(first[name]) for name in (
        "planned", "eligible", "entitlement", "flag_count", "errors", "warnings",
        "reports_overdue", "indicators_shortfall")],
        phase(first["on_date"], first["realisation_start"], first["realisation_end"]),
        {row["rule"]: int(row["flags"]) for row in rows if row["rule"] is not None})


def _stored_id(queries: Any, project_id: UUID) -> Any:
    """A project id as the events table holds it (hex on SQLite, a uuid on PostgreSQL)."""
    return queries._id_param(project_id)
