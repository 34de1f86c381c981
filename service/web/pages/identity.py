"""Whom a token belongs to, as the API says: the one seam between sign-in and the API's
notion of a principal."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.web.pages.api_client import call_api
from service.web.urls import API


@dataclass(frozen=True)
class Identity:
    name: str
    global_roles: tuple[str, ...] = ()
    projects: tuple[dict[str, str], ...] = field(default_factory=tuple)


def who_is(token: str) -> Identity | None:
    """The principal holding `token`, or None when the API does not take the token (401).

    `GET /api/v1/me` (API 1.2) names it; a service without that endpoint (404) at least says
    whether the token is good, through the project list: 200, or 403 for a principal that
    may read no project yet (a known principal all the same)."""
    me = call_api(f"{API}/me", token)
    if me.status == 200:
        body = me.json()
        return Identity(name=str(body.get("name") or body.get("subject") or ""),
                        global_roles=tuple(body.get("global_roles") or ()),
                        projects=tuple(body.get("projects") or ()))
    if me.status != 404:
        return None
    projects = call_api(f"{API}/projects", token, {"limit": "1"})
    return Identity(name="") if projects.status in (200, 403) else None
