"""The `grantledger` command: serve, demo, token."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from service.config import ROLES, ConfigurationError, Settings

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ConfigurationError as error:
        print(f"grantledger: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grantledger", description=(
        "Event-sourced grant-compliance ledger. Configuration comes from the environment: "
        "GRANTLEDGER_DATABASE_URL (default sqlite:///grantledger.db), GRANTLEDGER_TOKENS."))
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the service under gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None,
                       help="gunicorn workers (default: one per core)")
    serve.add_argument("--dev", action="store_true",
                       help="without configured tokens: create and print an admin token")
    serve.set_defaults(run=serve_command)

    demo = commands.add_parser("demo", help="load the two reference projects of DOMAIN.md")
    demo.set_defaults(run=demo_command)

    token = commands.add_parser("token", help="print a new random token for a role")
    token.add_argument("--role", choices=ROLES, default="viewer")
    token.add_argument("--name", default=None, help="the principal's name (default: the role)")
    token.set_defaults(run=token_command)
    return parser


def serve_command(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.tokens:
        if not args.dev:
            print("grantledger: no GRANTLEDGER_TOKENS configured; set them (see `grantledger "
                  "token`) or start with --dev for a throwaway admin token", file=sys.stderr)
            return 2
        token = secrets.token_urlsafe(24)
        os.environ["GRANTLEDGER_TOKENS"] = f"dev:admin:{token}"
        _print_dev_banner(args.host, args.port, token)
    os.environ["GRANTLEDGER_BIND"] = f"{args.host}:{args.port}"
    if args.workers:
        os.environ["GRANTLEDGER_WORKERS"] = str(args.workers)
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]
    sys.stdout.flush()
    os.execv(sys.executable, gunicorn)
    return 0  # pragma: no cover - execv does not return


def _print_dev_banner(host: str, port: int, token: str) -> None:
    base = f"http://{host}:{port}"
    print(f"""Grantledger (development mode) on {base}
  admin token:  {token}
  API docs:     {base}/docs   (OpenAPI: {base}/openapi.json)
  portfolio:    curl -H 'Authorization: Bearer {token}' {base}/api/v1/portfolio
Stop with Ctrl-C.""")


def demo_command(args: argparse.Namespace) -> int:
    from service.app import ledger_env
    from service.application import LedgerApplication
    from service.demo import load_demo

    settings = Settings.from_env()
    application = LedgerApplication(env=ledger_env(settings, create_table=True))
    print(f"Loading the demo projects into {settings.database_url}")
    load_demo(application)
    application.close()
    return 0


def token_command(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(32)
    print(token)
    print(f"# add to GRANTLEDGER_TOKENS: {args.name or args.role}:{args.role}:{token}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
