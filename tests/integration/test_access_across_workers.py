"""A grant changed or revoked through one web worker holds from the next request in every
worker: `grantledger serve` with three workers and its projector on PostgreSQL, each worker
having read (and kept) the grant before it changed."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import serving

from domain.project import project_id_for

ADMIN = "access-test-admin-token-0123456789"
JANA = "access-test-jana-token-0123456789ab"
NUMBER = "CZ.01.1.02/0.0/0.0/16_000/0000001"  # examples/register-project.json
REQUESTS = 30  # enough for each of three workers to answer some
REGISTRATION = Path(__file__).resolve().parents[2] / "examples" / "register-project.json"
EXPENSE = Path(__file__).resolve().parents[2] / "examples" / "expense.json"


def call(url: str, token: str, body: Any = None) -> int:
    """The status of a request on a connection of its own (so the workers share them)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def base(tmp_path: Path, postgres_url: str) -> Iterator[str]:
    with serving(tmp_path, 3, GRANTLEDGER_DATABASE_URL=postgres_url,
                 GRANTLEDGER_ACCESS_LOG="off",
                 GRANTLEDGER_TOKENS=f"ops:admin:{ADMIN},jana:none:{JANA}") as (url, _):
        yield url


@pytest.mark.postgres
def test_a_changed_and_a_revoked_grant_hold_from_the_next_request_in_every_worker(
        base: str) -> None:
    api = f"{base}/api/v1"
    project = f"{api}/projects/{project_id_for(NUMBER)}"
    expense = json.loads(EXPENSE.read_text())
    assert call(f"{api}/projects", ADMIN, json.loads(REGISTRATION.read_text())) == 201
    assert call(f"{project}/access", ADMIN, {"subject": "jana", "role": "accountant"}) == 201
    granted = [call(f"{project}/views/budget", JANA) for _ in range(REQUESTS)]

    assert call(f"{project}/access", ADMIN, {"subject": "jana", "role": "viewer"}) == 201
    changed = [call(f"{project}/expenses", JANA, expense) for _ in range(REQUESTS)]
    still_reads = [call(f"{project}/views/budget", JANA) for _ in range(REQUESTS)]

    assert call(f"{project}/access/revocation", ADMIN,
                {"subject": "jana", "reason": "left NEK"}) == 201
    revoked = [call(f"{project}/views/budget", JANA) for _ in range(REQUESTS)]

    assert (set(granted), set(changed), set(still_reads), set(revoked)) == (
        {200}, {403}, {200}, {404})
