"""Read-only pages for people under `/app/`: an in-process client of the JSON API, rendered
on the server (docs/PAGES.md)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel

from service.web.pages.api_client import keep_api
from service.web.pages.config import PagesSettings

TRANSLATIONS = Path(__file__).parent / "translations"


def install(app: Flask, configured: PagesSettings | None = None) -> None:
    """Adds the pages to the app: called once its WSGI stack holds the API and before the
    access log wraps it (the pages' internal requests go below the log)."""
    from service.web.pages import sign_in, translation, views  # noqa: F401 (their routes)
    from service.web.pages.blueprint import chosen_language, pages
    from service.web.pages.session import configure_sessions

    configured = configured or PagesSettings.from_env()
    app.extensions[sign_in.SETTINGS] = configured
    if configured.session_secret:
        configure_sessions(app, configured.session_secret)
    Babel(app, locale_selector=chosen_language, default_locale="cs",
          default_translation_directories=str(TRANSLATIONS))
    translation.install(app)
    sign_in.register_oidc(app, configured)
    app.register_blueprint(pages)
    keep_api(app)

