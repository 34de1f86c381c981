#!/usr/bin/env python3
"""`grantledger import expenses` of a 10,000-row XLSX, timed end to end against a running
service.

    .venv/bin/grantledger serve ...        # a running service (PostgreSQL for figures)
    .venv/bin/python tests/benchmarks/import_bench.py --url http://127.0.0.1:8000 \\
        --token ADMIN_TOKEN [--project ID_OR_NUMBER] [--rows 10000]

What one run does:

1. without `--project`, registers a fresh project through the API (NEK's illustrative lines
   and activities, a registration number of its own, so the token must be allowed to register:
   admin, or give `--manager-token`); with it, imports into that project (a seeded one, such
   as the benchmark's project of 10,000 expenses), with document numbers of this run only;
2. writes the rows as an XLSX workbook the way an accounting program exports it (numbers as
   number cells, dates as date cells, Czech headings), on the project's budget lines and
   activities, all time-eligible, none double financed;
3. runs `grantledger import expenses FILE --project ID --url URL` as its own process, the way
   an accountant does, and times it from start to exit: reading the workbook, the check for
   rows already recorded, every chunk of 500 posted and recorded;
4. prints the import's own summary, then the seconds and rows/s, and checks that the project
   holds every row.

Not part of the test run (pytest collects test_*.py only).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openpyxl

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "api"))

from api_builders import nek_registration  # noqa: E402

from schemas.spreadsheets import IMPORT_COLUMNS  # noqa: E402

API = "/api/v1"


def main() -> int:
    args = _arguments()
    run = time.strftime("%Y%m%d%H%M%S")
    with httpx.Client(base_url=args.url, timeout=120) as client:
        project = _project(client, args, run)
        before = _count(client, args.token, project["id"])
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"bench-{run}.xlsx"
            written = time.perf_counter()
            _workbook(path, project, args.rows, run)
            print(f"wrote {args.rows:,} rows to {path.name} "
                  f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - written:.1f} s")
            seconds, status = _import(args, path, project["id"])
        after = _count(client, args.token, project["id"])
    print(f"import of {args.rows:,} rows: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s "
          f"(exit {status}); the project went from {before:,} to {after:,} expenses")
    return 0 if status == 0 and after - before == args.rows else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default=os.environ.get("GRANTLEDGER_TOKEN"),
                        help="an accountant's or admin's token (default: GRANTLEDGER_TOKEN)")
    parser.add_argument("--manager-token", default=None,
                        help="to register the fresh project (default: --token)")
    parser.add_argument("--project", default=None,
                        help="import into this project (id or registration number) instead "
                             "of a fresh one")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set GRANTLEDGER_TOKEN")
    return args


def _project(client: httpx.Client, args: argparse.Namespace, run: str) -> dict[str, Any]:
    if args.project is None:
        body = nek_registration(registration_number=f"BENCH/IMPORT/{run}", acronym="BENCH")
        created = client.post(f"{API}/projects", json=body,
                              headers=_bearer(args.manager_token or args.token))
        created.raise_for_status()
        args.project = created.json()["id"]
    found = client.get(f"{API}/projects", params={"registration_number": args.project},
                       headers=_bearer(args.token))
    if found.status_code == 200 and found.json()["projects"]:
        args.project = found.json()["projects"][0]["id"]
    response = client.get(f"{API}/projects/{args.project}", headers=_bearer(args.token))
    response.raise_for_status()
    project: dict[str, Any] = response.json()
    return project


def _workbook(path: Path, project: dict[str, Any], rows: int, run: str) -> None:
    """The rows as an accounting program exports them: number and date cells."""
    lines = [line["code"] for line in project["budget_lines"]]
    activities = [None, *(activity["code"] for activity in project["activities"])]
    start = date.fromisoformat(project["eligible_from"])
    days = (date.fromisoformat(project["realisation_end"]) - start).days + 1
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Výdaje")
    sheet.append([column.cs for column in IMPORT_COLUMNS])
    for n in range(rows):
        tax_point = start + timedelta(days=n % days)
        net = Decimal(f"{1000 + n % 9000}.{n % 100:02d}")
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        sheet.append([  # a number cell holds the double nearest to the amount, as in Excel
            f"B{run}-{n:06d}", "faktura", f"Dodavatel {n % 250}", f"{10000000 + n % 250}",
            "CZ", f"Položka {n}", lines[n % len(lines)], activities[n % len(activities)],
            tax_point, float(net), float(vat), None, tax_point + timedelta(days=14),
        ])
    book.save(path)


def _import(args: argparse.Namespace, path: Path, project_id: str) -> tuple[float, int]:
    command = [sys.executable, "-m", "service.cli", "import", "expenses", str(path),
               "--project", project_id, "--url", args.url]
    started = time.perf_counter()
    result = subprocess.run(command, env={**os.environ, "GRANTLEDGER_TOKEN": args.token},
                            cwd=REPO, stdin=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started, result.returncode


def _count(client: httpx.Client, token: str, project_id: str) -> int:
    count, cursor = 0, None
    while True:
        params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/projects/{project_id}/expenses", params=params,
                          headers=_bearer(token))
        page.raise_for_status()
        count += len(page.json()["expenses"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return count


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


if __name__ == "__main__":
    sys.exit(main())
