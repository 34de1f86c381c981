"""Where the API lives: its prefix, and a project's URL as clients reach it."""

from __future__ import annotations

from uuid import UUID

from flask import request

API = "/api/v1"


def project_url(project_id: UUID, *parts: str) -> str:
    """A project's (or its part's) URL, relative to the host: under the path prefix the
    service is mounted at behind a proxy (X-Forwarded-Prefix, GRANTLEDGER_PROXY_HOPS), and
    right whatever scheme and host the client used."""
    return "/".join([f"{request.script_root}{API}/projects/{project_id}", *parts])
