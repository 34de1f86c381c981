"""Who could act on a project: the grants in force after the events folded (live, or as of
any past moment)."""

from __future__ import annotations

from typing import Any

from projections.ledger import LedgerState


def access_view(state: LedgerState) -> dict[str, Any]:
    """`{project_id, position, grants: [{subject, name, role, granted_by, granted_at}]}`,
    the grants by subject."""
    return {
        "project_id": state.project_id,
        "position": state.position,
        "grants": [
            {"subject": grant.subject, "name": grant.name, "role": grant.role,
             "granted_by": grant.granted_by, "granted_at": grant.granted_at}
            for _, grant in sorted(state.grants.items())
        ],
    }
