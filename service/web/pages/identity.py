"""Whom a token belongs to, as the API says: the one seam between sign-in and the API's
notion of a principal."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.web.pages.api_client import call_api
from service.web.pages.fetch import refusal
from service.web.urls import API


@dataclass(frozen=True)
class Identity:
    name: str
    global_roles: tuple[str, ...] = ()
    projects: tuple[dict[str, str], ...] = field(default_factory=tuple)


def who_is(token: str) -> Identity | None:
    """The principal holding `token` as `GET /api/v1/me` names it, or None when the API does
    not take the token (401); any other refusal is the page's (503 while the store or the
    identity provider cannot be reached)."""
    me = call_api(f"{API}/me", token)
    if me.status == 401:
        return None
    if me.status != 200:
        raise refusal(me)
    body = me.json()
    return Identity(name=str(body.get("name") or body.get("subject") or ""),
                    global_roles=tuple(body.get("global_roles") or ()),
                    projects=tuple(body.get("projects") or ()))
