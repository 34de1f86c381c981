"""Who may act on a project: roles, and who may grant which (DOMAIN.md, version 1.2).

A principal's roles on a project are its global roles (from its token) and its grant on the
project, one role per subject, recorded as `AccessGranted` / `AccessRevoked` events of the
project. Separation of duties: the roles that decide on a claim (auditor) are never granted
by the beneficiary's own manager, only by an admin.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain import errors

ROLES = ("viewer", "accountant", "manager", "auditor", "admin")
"""Every role, the least powerful first."""
GRANTABLE = ("viewer", "accountant", "manager", "auditor")
"""The roles a grant may give on one project; admin is global only."""
GRANTED_BY_MANAGER = frozenset({"viewer", "accountant", "manager"})
MAX_SUBJECT_LENGTH = 512

# What each capability admits (API.md's role matrix); admin holds every capability.
READ = frozenset({"viewer", "accountant", "manager", "auditor", "admin"})
EXPENSES = frozenset({"accountant", "admin"})
MANAGE = frozenset({"manager", "admin"})
AUDIT = frozenset({"auditor", "admin"})
ACCESS_READERS = frozenset({"manager", "auditor", "admin"})


def acting_role(allowed: frozenset[str], grant: str | None,
                global_roles: Iterable[str]) -> str | None:
    """The role a principal acts under when `allowed` roles may act: its grant on the project
    when that allows (the more specific), else the least powerful global role that does;
    None when no role of it is allowed."""
    if grant is not None and grant in allowed:
        return grant
    held = set(global_roles)
    return next((role for role in ROLES if role in held and role in allowed), None)


def check_may_grant(acting: str, role: str) -> None:
    """Refuses a grant (or the revocation of a grant) of `role` by someone acting as
    `acting`: an unknown role is 422, `auditor` from anyone but an admin 403."""
    if role not in GRANTABLE:
        raise errors.InvalidCommandError(
            "role", f"{role!r} is not a role a project grants; one of {', '.join(GRANTABLE)} "
                    "(admin is a global role only)")
    if acting == "admin":
        return
    if role not in GRANTED_BY_MANAGER or acting != "manager":
        raise errors.NotEntitledError(
            f"only an admin grants or revokes the role {role!r}: a project's manager grants "
            f"{', '.join(sorted(GRANTED_BY_MANAGER))} (separation of duties)")


def checked_subject(subject: str) -> str:
    """A subject as a grant records it: `<issuer>#<sub>` or a static token's name."""
    cleaned = subject.strip()
    if not cleaned or len(cleaned) > MAX_SUBJECT_LENGTH:
        raise errors.InvalidCommandError(
            "subject", f"a subject is `<issuer>#<sub>` or a static token's name, 1 to "
                       f"{MAX_SUBJECT_LENGTH} characters")
    return cleaned
