"""Transcodings for what the library's JSON transcoder lacks: dates, the domain's records and
its persistent maps (snapshots hold them)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding
from immutables import Map

from domain.records import RECORD_TYPES


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class RecordAsDict(Transcoding):
    """A frozen record of the aggregate's state (snapshots hold them) as a dict of its fields."""

    def __init__(self, record_type: type) -> None:
        self.type = record_type
        self.name = f"record_{record_type.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        # JSON has no tuples: the records' sequences come back as lists.
        return self.type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class MapAsDict(Transcoding):
    """A persistent map (a project's expenses) as a dict; its values are transcoded in turn."""

    type = Map
    name = "persistent_map"

    def encode(self, obj: Map[str, Any]) -> dict[str, Any]:
        return dict(obj)

    def decode(self, data: dict[str, Any]) -> Map[str, Any]:
        return Map(data)


def register_ledger_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(MapAsDict())
    for record_type in RECORD_TYPES:
        transcoder.register(RecordAsDict(record_type))
