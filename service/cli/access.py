"""`grantledger access grant|revoke|list`: an operator's grants, through the store.

The first grants of a deployment need no curl and no token: an operator on the service's
machine records them as events of the project, by name (`--by`), acting as admin.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from domain.access import GRANTABLE
from domain.commands import GrantAccess, RevokeAccess
from domain.errors import GrantLedgerError, InvalidCommandError
from service.config import ConfigurationError, Settings
from service.principals import Actor, Principal

# The ledger's own modules are imported when a command runs, not when the parser is built:
# they load prometheus-client, which `serve` must first point at its metrics folder.


def add_parser(commands: Any) -> None:
    access = commands.add_parser(
        "access", help="grant, revoke or list the roles of people on a project (recorded as "
                       "events of the project, by a named operator)")
    actions = access.add_subparsers(required=True, metavar="ACTION")
    grant = actions.add_parser("grant", help="give a subject a role on a project")
    _project_and_subject(grant)
    grant.add_argument("--role", required=True, choices=GRANTABLE,
                       help="the subject's role on the project (replacing an earlier grant)")
    grant.add_argument("--name", default=None,
                       help="how events and lists show the subject (default: the subject)")
    _operator(grant)
    grant.set_defaults(run=grant_command)
    revoke = actions.add_parser("revoke", help="take a subject's grant on a project away")
    _project_and_subject(revoke)
    revoke.add_argument("--reason", required=True, help="why (recorded in the event)")
    _operator(revoke)
    revoke.set_defaults(run=revoke_command)
    listing = actions.add_parser("list", help="who holds which role on a project")
    listing.add_argument("--project", required=True,
                         help="the project's id or registration number")
    listing.set_defaults(run=list_command)


def _project_and_subject(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, help="the project's id or registration number")
    parser.add_argument("--subject", required=True,
                        help="`<issuer>#<sub>` of an OpenID Connect subject, or a static "
                             "token's name")


def _operator(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", required=True, metavar="NAME",
                        help="the operator recording it: events record this name, as admin")


def _operator_actor(name: str) -> Actor:
    return Actor(Principal(name, name, frozenset({"admin"})), "admin")


def grant_command(args: argparse.Namespace) -> int:
    from service.cli.verify import project_id_from

    command = GrantAccess(project_id=project_id_from(args.project), subject=args.subject,
                          role=args.role, name=args.name)
    return _record(command, args.by, f"granted {args.role} to {args.subject}")


def revoke_command(args: argparse.Namespace) -> int:
    from service.cli.verify import project_id_from

    command = RevokeAccess(project_id=project_id_from(args.project), subject=args.subject,
                           reason=args.reason)
    return _record(command, args.by, f"revoked the grant of {args.subject}")


def _record(command: GrantAccess | RevokeAccess, operator: str, done: str) -> int:
    from service.writer import ProjectNotFoundError

    if not operator.strip():
        raise ConfigurationError("--by must name the operator recording it")
    application = _open()
    try:
        outcome = application.handle(command, _operator_actor(operator.strip()))
    except (GrantLedgerError, ProjectNotFoundError) as refusal:
        print(f"grantledger: refused: {_why(refusal)}", file=sys.stderr)
        return 1
    finally:
        application.close()
    print(f"{outcome.project.registration_number}: {done} (position {outcome.position})")
    return 0


def _why(refusal: Exception) -> str:
    if isinstance(refusal, LookupError):  # ProjectNotFoundError
        return f"no project has the id {refusal}"
    if isinstance(refusal, InvalidCommandError):
        return f"{refusal.field}: {refusal}"
    return str(refusal)


def _open() -> Any:
    from service.bootstrap import open_ledger

    return open_ledger(Settings.from_env(), migrating=True)


def list_command(args: argparse.Namespace) -> int:
    from projections import access_view
    from service.cli.verify import project_id_from

    application = _open()
    try:
        state = application.project_state(project_id_from(args.project))
    finally:
        application.close()
    if not state.is_registered:
        print(f"grantledger: no project {args.project} in this store", file=sys.stderr)
        return 1
    grants = access_view(state)["grants"]
    for grant in grants:
        print(f"{grant['role']:<11} {grant['subject']}  ({grant['name']}; granted by "
              f"{grant['granted_by']['name']} at {grant['granted_at']:%Y-%m-%d %H:%M} UTC)")
    if not grants:
        print("no grants: only global roles act on this project")
    return 0
