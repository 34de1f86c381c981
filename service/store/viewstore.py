"""The materialised views' tables, in the event store's own database (created by
service.store.migrate).

`grantledger_views` holds each project's rendered views (JSON, for the reference day they
were rendered on) with the position they reflect; `grantledger_portfolio` (with its flags by
rule and its kept sums) the portfolio's index, written with them (service.store.portfolio);
`grantledger_tracking` the position each projection has applied up to;
`grantledger_checkpoints` a project's folded read model every
few hundred events, so that `as_of` replays start near the moment asked for. A batch of views
and its tracking position commit in one transaction, guarded by compare-and-set on the
position, so each event is applied exactly once and a second projector is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from service.store.portfolio import PortfolioEntry

VIEWS_TABLE = "grantledger_views"
TRACKING_TABLE = "grantledger_tracking"
CHECKPOINTS_TABLE = "grantledger_checkpoints"
# The portfolio's index and its open flags by rule (service.store.portfolio).
PORTFOLIO_TABLE = "grantledger_portfolio"
FLAGS_TABLE = "grantledger_portfolio_flags"
SUMS_TABLE = "grantledger_portfolio_sums"
# Where a committed batch is announced (PostgreSQL NOTIFY), for the web processes' caches.
VIEWS_CHANNEL = "grantledger_views"
EVERY_PROJECT = "*"
# A tracking row that holds the shape the stored views were rendered in, not a position.
FORMAT_ROW = "views-format"
# PostgreSQL refuses payloads of 8,000 bytes or more; past this many, "every project".
MAX_PAYLOAD = 7000


def moment_text(moment: datetime) -> str:
    """A UTC moment as fixed-width text, so that the database compares moments as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def text_moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)


def announcement(reached: int, project_ids: Iterable[UUID]) -> str:
    payload = f"{reached}:{','.join(map(str, project_ids))}"
    return payload if len(payload) <= MAX_PAYLOAD else f"{reached}:{EVERY_PROJECT}"


def parse_announcement(payload: str) -> tuple[int, set[UUID] | None]:
    """The position reached and the projects announced (None: every project)."""
    reached, _, ids = payload.partition(":")
    if ids == EVERY_PROJECT:
        return int(reached), None
    return int(reached), {UUID(text) for text in ids.split(",") if text}


class TrackingConflictError(RuntimeError):
    """Another projector moved the position first; this batch was not applied."""


@dataclass(frozen=True)
class ProjectionStatus:
    """Where a projection has got to, and when its projector last showed it was alive."""

    position: int
    heartbeat_at: datetime | None


@dataclass(frozen=True)
class StoredView:
    position: int
    on: date
    body: str


@dataclass(frozen=True)
class Checkpoint:
    project_id: UUID
    version: int
    position: int
    recorded_at: datetime
    state: bytes


@dataclass(frozen=True)
class RenderedView:
    project_id: UUID
    view: str
    position: int
    on: date
    body: str


class ViewStoreQueries:
    """The views' statements, shared by both backends (see service.store.recorders)."""

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    def _sql(self, statement: str) -> Any:
        raise NotImplementedError

    def _rowcount(self, cursor: Any) -> int:
        raise NotImplementedError

    def _announce(self, cursor: Any, payload: str) -> None:
        """Tells listeners, when the transaction commits, which views changed (PostgreSQL)."""

    def save_portfolio_entries(self, cursor: Any, entries: Sequence[PortfolioEntry]) -> None:
        raise NotImplementedError

    def tracked_position(self, name: str) -> int:
        """Where a projection has got to (0 before its first batch)."""
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(f"INSERT INTO {TRACKING_TABLE} (name, position) "
                                     "VALUES (%s, 0) ON CONFLICT DO NOTHING"), [name])
            cursor.execute(self._sql(f"SELECT position FROM {TRACKING_TABLE} WHERE name = %s"),
                           [name])
            return int(cursor.fetchone()["position"])

    def projection_position(self, name: str) -> int:
        """Where a projection has got to, read only (0 if it never ran)."""
        return self.projection_status(name).position

    def projection_status(self, name: str) -> ProjectionStatus:
        """Where a projection has got to and its projector's last heartbeat, read only."""
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"SELECT position, heartbeat_at FROM {TRACKING_TABLE} "
                                     "WHERE name = %s"), [name])
            row = cursor.fetchone()
        if row is None:
            return ProjectionStatus(0, None)
        beat = row["heartbeat_at"]
        return ProjectionStatus(int(row["position"]), text_moment(beat) if beat else None)

    def record_heartbeat(self, name: str, at: datetime) -> None:
        """The projector is alive and has applied the log as far as it has seen it."""
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(f"UPDATE {TRACKING_TABLE} SET heartbeat_at = %s "
                                     "WHERE name = %s"), [moment_text(at), name])

    def views_format(self) -> int:
        """The shape (service.reads.rendering.VIEWS_FORMAT) the stored views were rendered
        in; 0 when none was recorded (views of version 1.0, or none yet)."""
        return self.projection_position(FORMAT_ROW)

    def save_views_format(self, views_format: int) -> None:
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(f"INSERT INTO {TRACKING_TABLE} (name, position) "
                                     "VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET "
                                     "position = excluded.position"), [FORMAT_ROW, views_format])

    def save_projection_batch(self, name: str, expected: int, reached: int,
                              views: Sequence[RenderedView],
                              checkpoints: Sequence[Checkpoint], at: datetime,
                              portfolio: Sequence[PortfolioEntry] = ()) -> None:
        """Stores a batch's views, their portfolio index rows and checkpoints and moves the
        position from `expected` to `reached`, with a heartbeat at `at`, all or nothing;
        raises TrackingConflictError if it was not at `expected`."""
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(f"UPDATE {TRACKING_TABLE} SET position = %s, "
                                     "heartbeat_at = %s WHERE name = %s AND position = %s"),
                           [reached, moment_text(at), name, expected])
            if self._rowcount(cursor) != 1:
                raise TrackingConflictError(f"{name} is no longer at position {expected}")
            # Each statement's rows are sent at once (psycopg pipelines `executemany`).
            if views:
                cursor.executemany(self._sql(
                    f"INSERT INTO {VIEWS_TABLE} (project_id, view, position, on_date, body) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (project_id, view) DO UPDATE SET "
                    "position = excluded.position, on_date = excluded.on_date, "
                    "body = excluded.body"),
                    [[str(view.project_id), view.view, view.position, view.on.isoformat(),
                      view.body] for view in views])
            self.save_portfolio_entries(cursor, portfolio)
            if checkpoints:
                cursor.executemany(self._sql(
                    f"INSERT INTO {CHECKPOINTS_TABLE} "
                    "(project_id, version, position, recorded_at, state) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"),
                    [[str(point.project_id), point.version, point.position,
                      moment_text(point.recorded_at), point.state] for point in checkpoints])
            self._announce(cursor, announcement(reached, {view.project_id for view in views}))

    def reset_projection(self, name: str) -> None:
        """Forgets every view and checkpoint, so the projection starts again from the log."""
        with self._cursor(commit=True) as cursor:
            for table in (VIEWS_TABLE, CHECKPOINTS_TABLE, PORTFOLIO_TABLE, FLAGS_TABLE,
                          SUMS_TABLE):
                cursor.execute(self._sql(f"DELETE FROM {table}"), [])
            cursor.execute(self._sql(f"DELETE FROM {TRACKING_TABLE} WHERE name = %s"), [name])

    def stored_view(self, project_id: UUID, view: str) -> StoredView | None:
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"SELECT position, on_date, body FROM {VIEWS_TABLE} "
                                     "WHERE project_id = %s AND view = %s"),
                           [str(project_id), view])
            row = cursor.fetchone()
        if row is None:
            return None
        return StoredView(int(row["position"]), date.fromisoformat(row["on_date"]), row["body"])

    def views_rendered_on(self) -> date | None:
        """The day every stored view was rendered for, if there are views and all were for
        the same day."""
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"SELECT MIN(on_date) AS first, MAX(on_date) AS last "
                                     f"FROM {VIEWS_TABLE}"), [])
            row = cursor.fetchone()
        if row is None or row["first"] is None or row["first"] != row["last"]:
            return None
        return date.fromisoformat(row["first"])

    def views_of(self, project_ids: Iterable[UUID] | None,
                 names: Iterable[str] | None = None) -> list[RenderedView]:
        """Every view of these projects (None: of every project); only `names` if given."""
        statement = f"SELECT project_id, view, position, on_date, body FROM {VIEWS_TABLE}"
        params = [str(project_id) for project_id in project_ids or ()]
        if project_ids is not None:
            if not params:
                return []
            statement += f" WHERE project_id IN ({', '.join(['%s'] * len(params))})"
        if names is not None:
            wanted = sorted(names)
            statement += " AND" if project_ids is not None else " WHERE"
            statement += f" view IN ({', '.join(['%s'] * len(wanted))})"
            params += wanted
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            rows = cursor.fetchall()
        return [RenderedView(UUID(row["project_id"]), row["view"], int(row["position"]),
                             date.fromisoformat(row["on_date"]), row["body"]) for row in rows]

    def stored_views(self, view: str) -> dict[UUID, StoredView]:
        """One view of every project."""
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"SELECT project_id, position, on_date, body "
                                     f"FROM {VIEWS_TABLE} WHERE view = %s"), [view])
            rows = cursor.fetchall()
        return {UUID(row["project_id"]): StoredView(int(row["position"]),
                                                    date.fromisoformat(row["on_date"]),
                                                    row["body"]) for row in rows}

    def latest_checkpoint(self, project_id: UUID, *, recorded_by: datetime | None = None,
                          position_at_most: int | None = None) -> Checkpoint | None:
        """The project's last checkpoint; or its last one recorded no later than a moment, or
        taken no later than a global position."""
        statement = (f"SELECT version, position, recorded_at, state FROM {CHECKPOINTS_TABLE} "
                     "WHERE project_id = %s")
        params: list[Any] = [str(project_id)]
        if recorded_by is not None:
            statement += " AND recorded_at <= %s"
            params.append(moment_text(recorded_by))
        if position_at_most is not None:
            statement += " AND position <= %s"
            params.append(position_at_most)
        statement += " ORDER BY version DESC LIMIT 1"
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            row = cursor.fetchone()
        if row is None:
            return None
        return Checkpoint(project_id, int(row["version"]), int(row["position"]),
                          text_moment(row["recorded_at"]), bytes(row["state"]))
