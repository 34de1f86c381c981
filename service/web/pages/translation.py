"""Messages in the reader's language, looked up once per request.

Flask-Babel finds the request's catalogue afresh for every message (several context lookups
each); a page has a few hundred messages, so the pages keep the catalogue on `g` for the
request and give Jinja's `_`/`ngettext` a direct lookup.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_translations


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


def _catalogue() -> Any:
    catalogue = g.get("pages_catalogue")
    if catalogue is None:
        catalogue = g.pages_catalogue = get_translations()
    return catalogue


def translate(message: str) -> str:
    return str(_catalogue().ugettext(message))


def install(app: Flask) -> None:
    """Jinja's `_`, `gettext` and `ngettext` through the request's catalogue (after Babel)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=translate,
        ngettext=lambda singular, plural, n: _catalogue().ungettext(singular, plural, n),
        newstyle=True)
