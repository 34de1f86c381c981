"""What one POST of an expense costs the worker, in-process on PostgreSQL: CPU per request and
round trips to the server per request, and where the CPU goes (cProfile).

    .venv/bin/python tests/benchmarks/write_profile.py [--requests 1000] [--profile 25]
        [--sort cumulative] [--expenses 10000] [--batches 20]

It makes a database of its own on the server (127.0.0.1:5432 by default) and drops it after.
The app runs in this process through Flask's test client, one request at a time, each with an
`Idempotency-Key`, into one project that already holds 100 expenses (or `--expenses`, posted
in batches of 500, then 100 more one by one to warm up); with `--batches N`, N batches of 500
posted into it instead of single expenses, CPU per expense; the round trips are
counted by a TCP proxy in front of the server (tests/tcp_proxy.py) in a second pass, so that
its threads are not in the CPU figures. The garbage collector runs at the service's thresholds
(service.collector). CPU time is steadier than the clock's on a busy
machine; it is the process's (the view feed's reads and other threads' work a write causes
included) and the request's own thread's.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
import uuid
from pathlib import Path

import psycopg
from flask import Flask
from flask.testing import FlaskClient

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS / "api")]

from api_builders import bearer, expense_body, register_nek  # noqa: E402
from support import make_settings  # noqa: E402
from tcp_proxy import PostgresProxy  # noqa: E402

from service.collector import tune_collector  # noqa: E402
from service.web.app import create_app  # noqa: E402

WARM = 100
BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--expenses", type=int, default=WARM,
                        help=f"expenses in the project before the POSTs ({WARM})")
    parser.add_argument("--profile", type=int, default=0, metavar="ROWS",
                        help="print cProfile's top ROWS functions (by own time)")
    parser.add_argument("--sort", default="tottime",
                        help="the order of --profile's rows: tottime, cumulative…")
    parser.add_argument("--batches", type=int, default=0,
                        help="post this many batches of 500 instead of single expenses")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    args = parser.parse_args()
    tune_collector()  # as in the service's processes
    database = f"write_profile_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@{args.pg_host}:{args.pg_port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        url = f"postgresql://postgres@{args.pg_host}:{args.pg_port}/{database}"
        if args.batches:
            _profile_batches(url, args)
            return
        cpu, thread, profile = _cpu_per_post(url, args.requests, args.profile > 0,
                                             args.expenses)
        proxy = PostgresProxy(args.pg_port, args.pg_host)
        try:
            trips = _round_trips_per_post(proxy.url(database), proxy, min(args.requests, 200),
                                          args.expenses)
        finally:
            proxy.close()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"POST an expense into a project of {args.expenses:,}: {cpu * 1000:.2f} ms of the "
          f"process's CPU a request ({thread * 1000:.2f} ms in the request's thread), "
          f"{trips:.2f} round trips to PostgreSQL a request ({args.requests} requests)")
    if profile is not None:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.profile)


def _posting(url: str, number: str, expenses: int) -> tuple[Flask, str, FlaskClient]:
    """A project of `expenses` expenses (posted in batches), and the first POSTs made."""
    app = create_app(make_settings(url))
    client = app.test_client()
    project = register_nek(client, registration_number=number)
    for start in range(0, expenses, BATCH):
        _post_batch(client, project, [f"SEED-{number[-1]}-{n}"
                                      for n in range(start, min(expenses, start + BATCH))])
    for n in range(WARM):
        _post(client, project, f"WARM-{number[-1]}-{n}")
    return app, project, client


def _post(client: FlaskClient, project: str, document: str) -> None:
    response = client.post(
        f"/api/v1/projects/{project}/expenses", json=expense_body(document_number=document,
                                                                  amount_net="10.00"),
        headers=bearer("accountant", Idempotency_Key=document))
    assert response.status_code == 201, response.get_data(as_text=True)


def _cpu_per_post(url: str, requests: int, profiled: bool,
                  expenses: int) -> tuple[float, float, cProfile.Profile | None]:
    """CPU a request, the process's (the view feed's and other threads' work per write
    included) and the requests' own thread's, timed without a profiler; then, if `profiled`,
    as many requests again under cProfile counting CPU time (not the clock's: waits for the
    server are not in it)."""
    app, project, client = _posting(url, "CZ.01.1.02/0.0/0.0/16_000/0000901", expenses)
    started, own = time.process_time(), time.thread_time()
    for n in range(requests):
        _post(client, project, f"P-{n}")
    cpu = (time.process_time() - started) / requests
    thread = (time.thread_time() - own) / requests
    profile = None
    if profiled:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for n in range(requests):
            _post(client, project, f"Q-{n}")
        profile.disable()
    app.extensions["grantledger"].close()
    return cpu, thread, profile


def _post_batch(client: FlaskClient, project: str, documents: list[str]) -> None:
    """One batch: an expense of 10.00 for each document number."""
    response = client.post(f"/api/v1/projects/{project}/expenses/batch", json={
        "expenses": [expense_body(document_number=document, amount_net="10.00")
                     for document in documents]}, headers=bearer("accountant"))
    assert response.status_code == 201, response.get_data(as_text=True)


def _profile_batches(url: str, args: argparse.Namespace) -> None:
    """CPU per expense of `args.batches` batches of 500 (the process's and the request's
    thread's), then as many again under cProfile if asked."""
    app, project, client = _posting(url, "CZ.01.1.02/0.0/0.0/16_000/0000903", args.expenses)
    expenses = args.batches * BATCH
    started, own = time.process_time(), time.thread_time()
    for n in range(args.batches):
        _post_batch(client, project, [f"B{n}-{i}" for i in range(BATCH)])
    cpu, thread = time.process_time() - started, time.thread_time() - own
    print(f"POST a batch of {BATCH} into a project of {args.expenses:,}+: "
          f"{cpu / expenses * 1e6:.0f} µs of the process's CPU an expense "
          f"({thread / expenses * 1e6:.0f} µs in the request's thread; {args.batches} batches)")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for n in range(args.batches):
            _post_batch(client, project, [f"C{n}-{i}" for i in range(BATCH)])
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.profile)
    app.extensions["grantledger"].close()


def _round_trips_per_post(url: str, proxy: PostgresProxy, requests: int,
                          expenses: int) -> float:
    app, project, client = _posting(url, "CZ.01.1.02/0.0/0.0/16_000/0000902", expenses)
    before = proxy.turns
    for n in range(requests):
        _post(client, project, f"R-{n}")
    trips = float(proxy.turns - before) / requests
    app.extensions["grantledger"].close()
    return trips


if __name__ == "__main__":
    main()
