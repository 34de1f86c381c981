"""Who sends a request (a principal) and under which role it acts on a project (an actor).

A principal is a static token's holder (`GRANTLEDGER_TOKENS`: one global role, or none) or the
subject of a verified OpenID Connect access token (global roles from its roles claim). Its
roles on a project are its global roles plus its grant there (domain.access); every event
records the actor: the principal's name and subject, and the role the command was allowed
under.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_GLOBAL_ROLE = "none"
"""A static token's role for a principal that acts only where it is granted a role."""


@dataclass(frozen=True)
class Principal:
    name: str
    subject: str
    """`<issuer>#<sub>` for an OIDC subject, the name for a static token."""
    global_roles: frozenset[str] = frozenset()

    @classmethod
    def static(cls, name: str, role: str) -> Principal:
        """A static token's holder: its subject is its name."""
        roles = frozenset() if role == NO_GLOBAL_ROLE else frozenset({role})
        return cls(name, name, roles)


@dataclass(frozen=True)
class Actor:
    """A principal acting under one of its roles (global, or granted on the project)."""

    principal: Principal
    role: str

    @classmethod
    def static(cls, name: str, role: str) -> Actor:
        """A static token's holder acting under its global role (the demo, the tests)."""
        return cls(Principal.static(name, role), role)

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def acts_globally(self) -> bool:
        """Whether its role is a global one (not a grant on the project)."""
        return self.role in self.principal.global_roles
