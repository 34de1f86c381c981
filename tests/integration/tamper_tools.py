"""What someone with write access to the database can do to the stored events, with plain SQL
(sqlite3, psycopg) and no help from the service: change bytes, delete rows, swap rows, and
rewrite the history re-hashed by the documented recipe (docs/AUDIT.md)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

ENVELOPE = {"timestamp", "originator_topic", "recorded_by", "previous_hash", "hash"}


class RawStore:
    """The events table of one backend: `stored_events` (SQLite: the id as hex text) or
    `ledgerapplication_events` (PostgreSQL: a uuid column)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:///")
        self.table = "stored_events" if self.sqlite else "ledgerapplication_events"
        self.mark = "?" if self.sqlite else "%s"

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.sqlite:
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                with conn:
                    yield conn
            finally:
                conn.close()
        else:
            import psycopg

            with psycopg.connect(self.url) as conn:
                yield conn

    def _id(self, project_id: str) -> Any:
        return UUID(project_id).hex if self.sqlite else UUID(project_id)

    def rows(self, project_id: str) -> dict[int, tuple[str, bytes]]:
        """Each version's topic and state bytes."""
        with self._connection() as conn:
            found = conn.execute(
                f"SELECT originator_version, topic, state FROM {self.table} "
                f"WHERE originator_id = {self.mark} ORDER BY originator_version",
                (self._id(project_id),)).fetchall()
        return {int(v): (str(t), bytes(s)) for v, t, s in found}

    def write(self, project_id: str, version: int, topic: str, state: bytes) -> None:
        with self._connection() as conn:
            conn.execute(
                f"UPDATE {self.table} SET topic = {self.mark}, state = {self.mark} "
                f"WHERE originator_id = {self.mark} AND originator_version = {self.mark}",
                (topic, state, self._id(project_id), version))

    def delete(self, project_id: str, version: int) -> None:
        with self._connection() as conn:
            conn.execute(f"DELETE FROM {self.table} WHERE originator_id = {self.mark} "
                         f"AND originator_version = {self.mark}", (self._id(project_id), version))

    # ---- the four kinds of tampering ------------------------------------------------------

    def change_one_byte(self, project_id: str, version: int, old: bytes, new: bytes) -> None:
        """Replaces the first occurrence of `old` in the state by `new`, of the same length."""
        topic, state = self.rows(project_id)[version]
        assert len(old) == len(new) and old in state
        self.write(project_id, version, topic, state.replace(old, new, 1))

    def swap(self, project_id: str, first: int, second: int) -> None:
        rows = self.rows(project_id)
        self.write(project_id, first, *rows[second])
        self.write(project_id, second, *rows[first])

    def rewrite_and_rehash(self, project_id: str, version: int, **data: str) -> None:
        """Sets some data of one event (amounts, as strings) and re-hashes the chain from it on,
        by the documented recipe (docs/AUDIT.md), recorded claim heads included: a careful
        forger."""
        rows = self.rows(project_id)
        previous = json.loads(rows[version - 1][1])["hash"] if version > 1 else "0" * 64
        new_hashes: dict[int, str] = {}
        for v in range(version, max(rows) + 1):
            topic, state_bytes = rows[v]
            state = json.loads(state_bytes)
            for name, value in data.items() if v == version else ():
                state[name] = {"_type_": "decimal_str", "_data_": value}
            head = state.get("chain_head")
            if isinstance(head, dict) and head["version"] in new_hashes:
                head["hash"] = new_hashes[head["version"]]
            state["previous_hash"] = previous
            state["hash"] = previous = new_hashes[v] = recipe_hash(project_id, v, topic, state)
            self.write(project_id, v, topic, json.dumps(state, ensure_ascii=False).encode())


def recipe_hash(project_id: str, version: int, topic: str, state: dict[str, Any]) -> str:
    """The README's recipe applied to a stored row (the library's JSON, whose typed values
    are `{"_type_": …, "_data_": …}`)."""
    document = {
        "type": topic.rsplit(".", 1)[1], "project": project_id, "version": version,
        "recorded_at": state["timestamp"]["_data_"], "recorded_by": state["recorded_by"],
        "data": {k: _plain(v) for k, v in state.items() if k not in ENVELOPE},
        "previous_hash": state["previous_hash"],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"_type_", "_data_"}:
        data = value["_data_"]
        return str(UUID(data)) if value["_type_"] == "uuid_hex" else _plain(data)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
