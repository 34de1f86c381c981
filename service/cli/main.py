"""The `grantledger` command: serve, migrate, projector, projections, demo, verify, copy,
import, token, feed-key.

Exit status: 0 done; 1 only `verify` finding a chain broken (or `import` refusing rows); 2 the
command could not run (bad configuration or arguments, the store unreachable or failing), said
in one line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Sequence
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from service.cli.access import add_parser as access_parser
from service.collector import tune_collector
from service.config import TOKEN_ROLES, ConfigurationError, Settings
from service.logs import setup_logging
from service.store.database import StoreError, StoreUrl, one_line

YES = ("y", "yes", "1", "true")
DEFAULT_URL = "http://127.0.0.1:8000"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # The services log what they do; a command prints its own output, and logs only trouble.
    command = args.run.__name__.removesuffix("_command")
    setup_logging(command, "INFO" if command in ("serve", "projector") else "WARNING")
    tune_collector()
    try:
        return int(args.run(args))
    except (ConfigurationError, StoreError) as error:
        print(f"grantledger: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if not _is_store_failure(error):
            raise
        print(f"grantledger: the store {_masked_store()} failed: {one_line(error)}",
              file=sys.stderr)
        return 2


def _is_store_failure(error: Exception) -> bool:
    """The database failing under a command (connection lost, server shut down)."""
    import sqlite3

    import psycopg
    from eventsourcing.persistence import PersistenceError

    return isinstance(error, PersistenceError | psycopg.Error | sqlite3.Error)


def _masked_store() -> str:
    try:
        return StoreUrl(Settings.from_env().database_url).masked
    except ConfigurationError:
        return "(misconfigured)"


ENVIRONMENT = """\
environment (every setting; the README's configuration table says more):
  GRANTLEDGER_DATABASE_URL       the store: sqlite:///grantledger.db (default) or
                                 postgresql://user:password@host:port/db?options
  GRANTLEDGER_READ_DATABASE_URL  a streaming replica of that PostgreSQL store, for views,
                                 lists and history (default: none; reads go to the store)
  GRANTLEDGER_TOKENS             name:role:token,... (roles viewer, accountant, manager,
                                 auditor, admin, or none: only roles granted on projects;
                                 tokens of 24+ characters)
  GRANTLEDGER_TOKENS_FILE        a file of such entries, one a line
  GRANTLEDGER_OIDC_ISSUER        an OpenID Connect issuer whose access tokens are accepted
  GRANTLEDGER_OIDC_AUDIENCE      the audience those tokens must name (required with it)
  GRANTLEDGER_OIDC_ROLES_CLAIM   the claim listing global roles (default grantledger_roles)
  GRANTLEDGER_SESSION_SECRET     signs the pages' session cookie, 24+ characters (default:
                                 no sign-in to the pages; serve --dev: a random one)
  GRANTLEDGER_OIDC_CLIENT_ID, GRANTLEDGER_OIDC_CLIENT_SECRET  the pages' OIDC client
  GRANTLEDGER_OIDC_SCOPES        the scopes the pages' sign-in asks for (openid profile)
  GRANTLEDGER_TOKEN_SIGN_IN      y: the pages offer the static-token form (default: y
                                 without an issuer; serve --dev: y)
  GRANTLEDGER_METRICS_TOKEN      bearer token /metrics requires (default: open)
  GRANTLEDGER_METRICS_PROJECTS   per-project series on /metrics: off (default), top:N,
                                 or a comma-separated list of ids or registration numbers
  GRANTLEDGER_FEED_SECRET        derives the calendar feeds' keys (default: no feed keys)
  GRANTLEDGER_PROXY_HOPS         proxies trusted for X-Forwarded-* (default 0)
  GRANTLEDGER_ACCESS_LOG         the JSON access log: - (stdout, default), off, or a file
  GRANTLEDGER_LOG_LEVEL          gunicorn's log level (default info)
  GRANTLEDGER_BIND               where serve listens (default 127.0.0.1:8000; --host and
                                 --port override it when given)
  GRANTLEDGER_WORKERS            gunicorn workers (default: one per core; serve --workers)
  GRANTLEDGER_THREADS            threads per worker (default 8)
  GRANTLEDGER_WORKER_CLASS       gunicorn worker class (default gthread)
  GRANTLEDGER_CONTROL_SOCKET     a path for gunicorn's control socket (default off)
  GRANTLEDGER_BATCH_AFFINITY     y (default): each project's batches are decided in one
                                 of several workers; n: where they arrive
  GRANTLEDGER_START_PROJECTOR    y (default): serve runs the projector too; n: not
  GRANTLEDGER_MAX_HEARTBEAT_AGE  seconds the projector may be silent before /health/ready
                                 is 503 (default 30)
  GRANTLEDGER_MAX_PROJECTION_LAG events the views may lag before /health/ready is 503
                                 (default 10000)
  GRANTLEDGER_MIN_POSITION_TIMEOUT  seconds a read with min_position waits (default 5)
  GRANTLEDGER_PROJECTOR_BATCH    events the projector folds per transaction (default 1000)
  GRANTLEDGER_VIEW_CACHE_MB      megabytes of views each web worker keeps (default 32)
  GRANTLEDGER_URL, GRANTLEDGER_TOKEN  the service and token of `grantledger import`
  GRANTLEDGER_MIGRATE            internal: n in gunicorn's workers (the master migrated)
  PROMETHEUS_MULTIPROC_DIR       where the processes' metrics are summed (default: a
                                 temporary folder)
  PG*, POSTGRES_*, SQLITE_LOCK_TIMEOUT  libpq's and the event store's own settings

exit status: 0 done; 1 verify found a broken chain, or import refused rows; 2 the command
could not run (said in one line).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grantledger", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Event-sourced grant-compliance ledger for OP PIK projects. "
                    "`grantledger COMMAND --help` tells more of each command.",
        epilog=ENVIRONMENT)
    parser.add_argument("--version", action="version",
                        version=f"grantledger {package_version('grantledger')}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = _command(
        commands, "serve", "run the service under gunicorn, with the projector beside it",
        "Migrates the store, then runs the web service under gunicorn and (unless "
        "GRANTLEDGER_START_PROJECTOR=n) the projector, restarting the projector when it "
        "exits. Listens on GRANTLEDGER_BIND (default 127.0.0.1:8000); --host and --port "
        "replace its host or port when given. Exit 2 when it cannot start (no tokens, the "
        "address in use, the store unreachable).")
    serve.add_argument("--host", default=None,
                       help="the address to listen on (default: GRANTLEDGER_BIND's, else "
                            "127.0.0.1; 0.0.0.0 for every interface)")
    serve.add_argument("--port", type=int, default=None,
                       help="the port to listen on (default: GRANTLEDGER_BIND's, else 8000)")
    serve.add_argument("--workers", type=int, default=None,
                       help="gunicorn workers (default: GRANTLEDGER_WORKERS, else one per "
                            "core)")
    serve.add_argument("--dev", action="store_true",
                       help="without configured tokens: create and print an admin token")
    serve.set_defaults(run=serve_command)

    migrate = _command(
        commands, "migrate", "create or upgrade the store's tables",
        "Creates the store's tables on first use and applies each missing schema version "
        "once, under a lock (serve, projector, demo and copy do it too; safe to run at any "
        "time, by several processes at once). Prints the schema version reached.")
    migrate.set_defaults(run=migrate_command)

    demo = _command(
        commands, "demo", "load the two reference projects into the store",
        "Records NEK – OPEIC (CZ.01.1.02/0.0/0.0/15_009/0002300) and Nanoprogress, with "
        "illustrative budget lines, expenses, claims and reports (docs/DOMAIN.md, the worked "
        "example), into GRANTLEDGER_DATABASE_URL; then `grantledger serve --dev` serves them "
        "(GRANTLEDGER_BIND or --port to move off a busy port).")
    demo.set_defaults(run=demo_command)

    projector = _command(
        commands, "projector", "keep the materialised views current (one per database)",
        "Folds new events into the stored views, in batches of GRANTLEDGER_PROJECTOR_BATCH, "
        "and announces them to the web workers; runs until SIGTERM. `serve` runs one unless "
        "GRANTLEDGER_START_PROJECTOR=n; a second one on the same database is harmless.")
    projector.set_defaults(run=projector_command)

    projections = _command(
        commands, "projections", "rebuild the views or show their lag",
        "status: the position the views reflect and how far behind the log they are. "
        "rebuild: render every project's views again from the events (after restoring a "
        "backup, or to check the stored views).")
    projections.add_argument("action", choices=("rebuild", "status"),
                             help="status: show the lag; rebuild: render every view again")
    projections.set_defaults(run=projections_command)

    verify = commands.add_parser(
        "verify", help="recompute the projects' hash chains; exit 1 if any is broken")
    verify.add_argument("--project", default=None,
                        help="one project (its id or registration number); default: every one")
    verify.add_argument("--digest", default=None, metavar="VERSION:HASH",
                        help="a chain head saved earlier: check that it is still on the chain")
    verify.set_defaults(run=verify_command)

    copy = commands.add_parser(
        "copy", help="copy a whole ledger (events byte for byte, idempotency records) into "
                     "an empty store, then rebuild the views there")
    copy.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="the store to copy (sqlite:///file.db or postgresql://…)")
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="an empty store (created and migrated if need be)")
    copy.set_defaults(run=copy_command)

    _import_parser(commands)
    access_parser(commands)

    token = commands.add_parser("token", help="print a new random token for a role")
    token.add_argument("--role", choices=TOKEN_ROLES, default="viewer",
                       help="a global role, or none: only the roles granted on projects")
    token.add_argument("--name", default=None, help="the principal's name (default: the role)")
    token.add_argument("--entry", action="store_true",
                       help="print the name:role:token line of a tokens file instead")
    token.set_defaults(run=token_command)

    feed = commands.add_parser(
        "feed-key", help="print the read-only calendar feed key of a principal "
                         "(needs GRANTLEDGER_FEED_SECRET)")
    feed.add_argument("--name", required=True,
                      help="the principal's name, as in GRANTLEDGER_TOKENS")
    feed.set_defaults(run=feed_key_command)
    return parser


def _command(commands: Any, name: str, summary: str, description: str) -> Any:
    return commands.add_parser(name, help=summary, description=description)


def _import_parser(commands: Any) -> None:
    from service.cli.importer import CHUNK_ROWS
    from service.cli.speech import LANGUAGES, language_of

    importing = commands.add_parser("import", help="import records from a spreadsheet")
    what = importing.add_subparsers(required=True, metavar="WHAT")
    expenses = what.add_parser(
        "expenses", help="post the expenses of a CSV or XLSX file to a running service",
        description="Posts the rows of a CSV or XLSX file (the columns of the template at "
                    "GET …/templates/expenses) to a running service, in chunks of at most 500 "
                    "rows, each recorded whole or not at all. Refused rows are reported by row "
                    "and column, and in FILE.refused.csv beside the file. Exit 0: every row "
                    "recorded (or already was); 1: rows refused; 2: it could not run.")
    expenses.add_argument("file", type=Path, metavar="FILE",
                          help="a CSV (UTF-8 or Windows-1250) or XLSX file with a heading row")
    expenses.add_argument("--project", required=True,
                          help="the project's id or registration number")
    expenses.add_argument("--url", default=os.environ.get("GRANTLEDGER_URL", DEFAULT_URL),
                          help=f"the service (default: GRANTLEDGER_URL or {DEFAULT_URL})")
    expenses.add_argument("--token", default=None,
                          help="an accountant's token (default: GRANTLEDGER_TOKEN)")
    expenses.add_argument("--dry-run", action="store_true",
                          help="check every row against the service and record nothing; "
                               "also warn of tax points outside the eligibility window and "
                               "of IČO check digits that are wrong")
    expenses.add_argument("--encoding", default=None,
                          help="of a CSV file (default: detected; utf-8 or cp1250)")
    expenses.add_argument("--delimiter", default=None, choices=(";", ",", "tab"),
                          help="of a CSV file (default: detected)")
    expenses.add_argument("--chunk-size", type=_chunk_size, default=CHUNK_ROWS,
                          metavar=f"1..{CHUNK_ROWS}", help=f"rows per batch (default {CHUNK_ROWS})")
    expenses.add_argument("--lang", choices=LANGUAGES, default=language_of(os.environ),
                          help="the language of its messages, summary and refused-rows file "
                               "(default: cs where LC_ALL, LC_MESSAGES or LANG names Czech, "
                               "else en)")
    expenses.set_defaults(run=import_expenses_command)


def _chunk_size(text: str) -> int:
    from service.cli.importer import CHUNK_ROWS

    if not text.isdigit() or not 1 <= int(text) <= CHUNK_ROWS:
        raise argparse.ArgumentTypeError(f"a chunk is 1 to {CHUNK_ROWS} rows, not {text}")
    return int(text)


def import_expenses_command(args: argparse.Namespace) -> int:
    import httpx

    from service.cli.importer import ImportOptions, import_expenses
    from service.cli.speech import gettext, speaking

    token = args.token or os.environ.get("GRANTLEDGER_TOKEN")
    if not token:
        with speaking(args.lang):
            print("grantledger import: " + gettext("no token: give --token or set "
                                                   "GRANTLEDGER_TOKEN"), file=sys.stderr)
        return 2
    options = ImportOptions(
        file=args.file, project=args.project, dry_run=args.dry_run, encoding=args.encoding,
        delimiter="\t" if args.delimiter == "tab" else args.delimiter,
        chunk_rows=args.chunk_size, lang=args.lang)
    with httpx.Client(base_url=args.url, headers={"Authorization": f"Bearer {token}"},
                      timeout=httpx.Timeout(300.0, connect=10.0)) as client:
        return import_expenses(options, client)


def serve_command(args: argparse.Namespace) -> int:
    from service.cli.binding import bind_address, check_free
    from service.demo_people import PEOPLE
    from service.web.pages.config import PagesSettings

    settings = Settings.from_env()
    PagesSettings.from_env()  # a bad setting of the pages stops `serve` here, in one line
    bind = bind_address(os.environ, args.host, args.port)
    check_free(bind)  # before a token is made or printed
    _check_store(settings)
    if not settings.tokens and not args.dev:
        print("grantledger: no GRANTLEDGER_TOKENS configured; set them (see `grantledger "
              "token`) or start with --dev for a throwaway admin token", file=sys.stderr)
        return 2
    if args.dev:  # the pages: a throwaway session secret, and the token form even with OIDC
        os.environ.setdefault("GRANTLEDGER_SESSION_SECRET", secrets.token_urlsafe(32))
        os.environ["GRANTLEDGER_TOKEN_SIGN_IN"] = "y"
    tokens = len(settings.tokens)
    if not settings.tokens:
        token = secrets.token_urlsafe(24)
        people = {person: secrets.token_urlsafe(24) for person in PEOPLE}
        os.environ["GRANTLEDGER_TOKENS"] = ",".join(
            [f"dev:admin:{token}"] + [f"{p.name}:{p.global_role}:{t}" for p, t in people.items()])
        tokens = 1 + len(people)
        _print_dev_banner(bind, token, people)
    os.environ["GRANTLEDGER_BIND"] = bind
    if args.workers:
        os.environ["GRANTLEDGER_WORKERS"] = str(args.workers)
    start_projector = os.environ.get("GRANTLEDGER_START_PROJECTOR", "y").lower() in YES
    print(_startup_line(settings, bind, tokens, start_projector), file=sys.stderr)
    sys.stdout.flush()
    from service.cli.serve import run_supervised

    return run_supervised(start_projector)


def _startup_line(settings: Settings, bind: str, tokens: int, start_projector: bool) -> str:
    """What an operator checks first in the log: which release, which store, how many
    processes and tokens."""
    import multiprocessing

    workers = os.environ.get("GRANTLEDGER_WORKERS") or str(multiprocessing.cpu_count())
    threads = os.environ.get("GRANTLEDGER_THREADS") or "8"
    projector = "the projector beside it" if start_projector else "no projector"
    replica = (f", reads from the replica {StoreUrl(settings.read_database_url).masked}"
               if settings.read_database_url else "")
    return (f"grantledger {package_version('grantledger')} serving on {bind}: store "
            f"{StoreUrl(settings.database_url).masked}{replica}, {_count(workers, 'worker')} × "
            f"{_count(threads, 'thread')}, {_count(tokens, 'token')}, {projector}")


def _count(number: int | str, noun: str) -> str:
    return f"{number} {noun}" if str(number) == "1" else f"{number} {noun}s"


def _print_dev_banner(bind: str, token: str, people: dict[Any, str]) -> None:
    host, _, port = bind.rpartition(":")
    shown = "127.0.0.1" if host in ("0.0.0.0", "[::]", "") else host
    base = bind if bind.startswith("unix:") else f"http://{shown}:{port}"
    print(f"""Grantledger (development mode) on {base}
  admin token:  {token}
  API docs:     {base}/docs   (OpenAPI: {base}/openapi.json)
  pages:        {base}/app/   (sign in with the admin token)
  portfolio:    curl -H 'Authorization: Bearer {token}' {base}/api/v1/portfolio
  the demo's people (`grantledger demo` grants them their roles):""")
    for person, person_token in people.items():
        print(f"    {person.name:<15} {person_token}  {person.who}")
    print("Stop with Ctrl-C.")


def _check_store(settings: Settings) -> None:
    """Fails now, in one line, when the store cannot be reached or migrated, rather than in
    gunicorn's master after the banner."""
    from service.store.database import check_reachable
    from service.store.migrate import migrate

    check_reachable(StoreUrl(settings.database_url))
    migrate(settings.database_url)


def migrate_command(args: argparse.Namespace) -> int:
    from service.store.database import check_reachable
    from service.store.migrate import LATEST, migrate, schema_versions

    settings = Settings.from_env()
    store = StoreUrl(settings.database_url)
    check_reachable(store)
    applied = migrate(settings.database_url)
    for step in applied:
        print(f"{store.masked}: applied version {step.version}: {step.description}")
    current = max((version for version, _, _ in schema_versions(settings.database_url)),
                  default=0)
    print(f"{store.masked}: at schema version {current} (this grantledger's latest: {LATEST})")
    return 0


def demo_command(args: argparse.Namespace) -> int:
    from service.demo import load_demo

    settings = Settings.from_env()
    application = _application(settings)
    print(f"Loading the demo projects into {StoreUrl(settings.database_url).masked}")
    load_demo(application)
    application.close()
    return 0


def _application(settings: Settings | None = None, *, migrating: bool = True) -> Any:
    from service.bootstrap import open_ledger

    return open_ledger(settings or Settings.from_env(), migrating=migrating)


def projector_command(args: argparse.Namespace) -> int:
    # Asked to stop while it is still starting (importing, connecting), it stops at once.
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    from service.bootstrap import open_ledger
    from service.reads.projector import run_projector

    settings = Settings.from_env()
    run_projector(open_ledger(settings, env=projector_env(settings)), stop,
                  batch=settings.projector_batch)
    return 0


def projector_env(settings: Settings) -> dict[str, str]:
    """The projector's store settings: its statements (a new day's views of every project in
    one) may take longer than a request's; half the heartbeat bound, at least the connect
    timeout (service.cli.serve's watchdog allows for it)."""
    from service.cli.serve import projector_answer_timeout
    from service.store.database import ANSWER_TIMEOUT_KEY

    return {ANSWER_TIMEOUT_KEY: str(projector_answer_timeout(settings))}


def projections_command(args: argparse.Namespace) -> int:
    from service.bootstrap import open_ledger
    from service.reads.projector import NAME

    settings = Settings.from_env()
    application = open_ledger(settings, migrating=args.action == "rebuild",
                              env=projector_env(settings))
    queries = application.queries
    if args.action == "status":
        head = application.recorder.max_notification_id() or 0
        position = queries.projection_position(NAME)
        print(f"{NAME}: position {position} of {head}, lag {head - position} events")
        return 0
    try:
        _rebuild_views(application)
    finally:
        application.close()
    return 0


def _rebuild_views(application: Any) -> None:
    from service.reads.projector import NAME, Projector

    application.queries.reset_projection(NAME)
    projector, started = Projector(application), time.monotonic()
    done = projector.catch_up(lambda done, total: _progress(done, total, started))
    print(f"\nrebuilt the views from {done} events in {time.monotonic() - started:.1f} s")


def copy_command(args: argparse.Namespace) -> int:
    from service.store.copy import copy_ledger
    from service.store.database import check_reachable

    source, target = StoreUrl(args.source), StoreUrl(args.target)
    check_reachable(source, must_exist=True)  # before anything is printed
    check_reachable(target)
    print(f"copying {source.masked} to {target.masked}")
    started = time.monotonic()
    copied = copy_ledger(source.url, target.url,
                         lambda done, total: _progress(done, total, started))
    print(f"\ncopied {copied.events} events and {copied.idempotency_records} idempotency "
          f"records in {time.monotonic() - started:.1f} s; rebuilding the views")
    application = _application(Settings(database_url=target.url), migrating=False)
    try:
        _rebuild_views(application)
    finally:
        application.close()
    return 0


def _progress(done: int, total: int, started_seconds: float) -> None:
    elapsed = time.monotonic() - started_seconds
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else 0.0
    end = "\r" if sys.stdout.isatty() else "\n"
    print(f"{done} of {total} events, {rate:,.0f} events/s, {left:,.0f} s left", end=end,
          flush=True)


def verify_command(args: argparse.Namespace) -> int:
    from service.cli.verify import run_verify

    return run_verify(args.project, args.digest)


def token_command(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(32)
    entry = f"{args.name or args.role}:{args.role}:{token}"
    if args.entry:
        print(entry)
    else:
        print(token)
        print(f"# add to GRANTLEDGER_TOKENS: {entry}", file=sys.stderr)
    return 0



def feed_key_command(args: argparse.Namespace) -> int:
    from service.web.feed_keys import feed_key

    settings = Settings.from_env()
    if not settings.feed_secret:
        raise ConfigurationError(
            "GRANTLEDGER_FEED_SECRET is not set: feed keys are derived from it. Set the same "
            "secret as the server's (e.g. the output of `grantledger token`); changing it "
            "later revokes every key")
    name = args.name.strip()
    if not name:
        raise ConfigurationError("--name must name a principal of GRANTLEDGER_TOKENS")
    print(feed_key(settings.feed_secret, name))
    names = {principal.name for principal in settings.tokens.values()}
    if settings.tokens and name not in names:
        print(f"# warning: {name!r} is not in GRANTLEDGER_TOKENS here; the server accepts "
              "only the keys of its principals", file=sys.stderr)
    print(f"# subscribe: <base URL>/api/v1/calendar.ics?key=<the key above> (read-only, "
          f"as {name})", file=sys.stderr)
    return 0
