"""The documented recipe for the hashed bytes (docs/AUDIT.md), implemented here from its
words alone (no domain.hashing, no json.dumps), gives the service's hashes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from api_builders import command, get, project_path, record_expense, register_nek
from flask.testing import FlaskClient

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "AUDIT.md"
MEMBER = re.compile(r"^\s+- `(\w+)`: the event's `(\w+)`", re.MULTILINE)
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "\b": "\\b", "\f": "\\f"}


def recipe_members() -> dict[str, str]:
    """Step 1 of "The exact bytes hashed": each member and the event field it is taken from."""
    section = RECIPE.read_text(encoding="utf-8").split("## The exact bytes hashed", 1)[1]
    step_one = section.split("\n2. ", 1)[0]
    return dict(MEMBER.findall(step_one))


def canonical(value: Any) -> str:
    """Step 2, word for word: sorted keys, no white space, only quote, backslash and control
    characters escaped (short forms, else \\u00xx in lowercase hex), integers, true/false/null."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + "".join(
            SHORT_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 else c)
            for c in value) + '"'
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{canonical(k)}:{canonical(value[k])}"
                              for k in sorted(value)) + "}"
    raise AssertionError(f"the recipe has no rule for {type(value).__name__}")


def recomputed_hash(event: dict[str, Any]) -> str:
    document = {member: event[field] for member, field in recipe_members().items()}
    document["recorded_at"] = document["recorded_at"].removesuffix("Z") + "+00:00"
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()


def test_the_recipe_names_the_seven_members_of_the_hashed_document() -> None:
    assert recipe_members() == {
        "type": "type", "project": "project_id", "version": "version",
        "recorded_at": "recorded_at", "recorded_by": "recorded_by", "data": "data",
        "previous_hash": "previous_hash"}


def test_the_recipe_gives_every_hash_of_the_service(
        client: FlaskClient, frozen: Callable[[str], AbstractContextManager[None]]) -> None:
    with frozen("2017-02-10 09:00:00"):  # a moment without a fraction of a second
        project_id = register_nek(client)
    expense = record_expense(
        client, project_id, "TRAVEL", "1234.50",
        description='Workshop "Chytré sítě" in Plzeň\\Brno,\tday 1\nday 2 \x1f – 100 %')
    command(client, project_id, f"expenses/{expense}/reversal",
            {"reason": "zaúčtováno dvakrát"}, role="accountant")

    events = get(client, project_path(project_id, "events"), "auditor").json["events"]

    assert events[0]["recorded_at"] == "2017-02-10T09:00:00Z"
    assert [recomputed_hash(e) for e in events] == [e["hash"] for e in events]
    assert events[0]["previous_hash"] == "0" * 64
    assert [e["previous_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
