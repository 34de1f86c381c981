"""Who may act on the project: grants of a role to a subject, and their revocation
(DOMAIN.md, "Who may act on a project"). Which role may grant which is domain.access's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import access, errors
from domain.project.checks import require_reason
from domain.records import Stamp

if TYPE_CHECKING:
    from domain.project import GrantProject


def role_of(project: GrantProject, subject: str) -> str | None:
    """The role `subject` is granted on the project, if any."""
    return project.grants.get(subject)


def grant_access(project: GrantProject, stamp: Stamp, subject: str, role: str,
                 name: str | None) -> None:
    """Gives `subject` the role `role` on the project, replacing an earlier grant."""
    subject = access.checked_subject(subject)
    access.check_may_grant(stamp.role, role)
    held = project.grants.get(subject)
    if held is not None:  # replacing a grant is also taking the old one away
        access.check_may_grant(stamp.role, held)
    project.record(project.AccessGranted, stamp, subject=subject,
                   name=(name or "").strip() or subject, role=role)


def revoke_access(project: GrantProject, stamp: Stamp, subject: str, reason: str) -> None:
    require_reason(reason)
    held = project.grants.get(subject)
    if held is None:
        raise errors.NoGrantError(f"{subject!r} holds no grant on this project")
    access.check_may_grant(stamp.role, held)
    project.record(project.AccessRevoked, stamp, subject=subject, reason=reason.strip())
