"""The pages' blueprint, and what every page shares: the reader's language, the moment the
page shows the ledger at, the signed-in principal, the security headers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException, NotFound

from service.web.pages import charts, formats, labels
from service.web.pages.fetch import SignInNeeded
from service.web.pages.session import LANGUAGE, csrf_token, sign_out, signed_in
from service.web.pages.time_travel import TimeTravel, time_travel
from service.web.request_log import PRINCIPAL

pages = Blueprint("pages", __name__, url_prefix="/app", template_folder="templates",
                  static_folder="static", static_url_path="/static")
LANGUAGES = ("cs", "en")
# Scripts and styles from the service only (no inline script, no inline style), no frames.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
LOCAL_PATH = re.compile(r"/app(/[^\s\\]*)?(\?[^\s\\]*)?")


def chosen_language() -> str:
    """The switch's choice, else the browser's preference between Czech and English, else
    Czech."""
    from flask import session

    chosen = session.get(LANGUAGE) if current_app.secret_key else None
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="cs") or "cs"


@pages.before_request
def _who_and_when() -> None:
    g.pages_token = None
    if current_app.secret_key:
        signed = signed_in(current_app)
        if signed is not None:
            g.pages_token, g.pages_name = signed.token, signed.name
            request.environ[PRINCIPAL] = signed.name or "(pages)"  # for the access log


@pages.after_request
def _secure(response: Response) -> Response:
    return secure_headers(response)


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "pages.static":  # what a page shows is the reader's alone
        headers.setdefault("Cache-Control", "no-store")
    return response


@pages.errorhandler(HTTPException)
def _error_page(error: HTTPException) -> Any:
    if isinstance(error, SignInNeeded):
        if current_app.secret_key:
            sign_out()
        return redirect(url_for("pages.sign_in", next=here()))
    code = error.code or 500
    g.pages_time_travel = TimeTravel()  # an error page shows no moment (its own may be bad)
    return render_template("pages/error.html", error=error, code=code), code


@pages.route("/<path:anything>")
def _unknown(anything: str) -> Any:
    raise NotFound("There is no such page.")


def here() -> str:
    """The page's path and query below the service's root, for a return after sign-in."""
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")


def safe_next(target: str | None) -> str:
    """Where to go after sign-in or a language switch: a page of ours, else the portfolio."""
    if target and LOCAL_PATH.fullmatch(target) and not target.startswith("//"):
        return request.script_root + target
    return url_for("pages.portfolio")


def when() -> TimeTravel:
    travel: TimeTravel | None = g.get("pages_time_travel")
    if travel is None:
        travel = g.pages_time_travel = time_travel(request.args)
    return travel


def page_url(endpoint: str, **values: Any) -> str:
    """A page's URL, keeping the moment this page shows (`as_of`, `on`)."""
    return url_for(endpoint, **{**when().page_query, **values})


@pages.app_template_global()
def with_query(**changes: Any) -> str:
    """This page's URL with some parameters changed (None removes one)."""
    args = {k: v for k, v in request.args.items(multi=False)}
    args.update({k: v for k, v in changes.items()})
    kept = [(k, v) for k, v in args.items() if v not in (None, "")]
    return request.script_root + request.path + (f"?{urlencode(kept)}" if kept else "")


@pages.context_processor
def _shared() -> dict[str, Any]:
    language = str(get_locale() or "cs")[:2]
    travel = when() if request.endpoint != "pages.sign_in" else TimeTravel()
    return {
        "language": language,
        "other_language": "en" if language == "cs" else "cs",
        "when": travel,
        "page_url": page_url,
        "here": here(),
        "signed_in_name": g.get("pages_name"),
        "signed_in": g.get("pages_token") is not None,
        "csrf_token": csrf_token if current_app.secret_key else (lambda: ""),
        "money": lambda v, currency="CZK": formats.money(v, language, currency),
        "number": lambda v: formats.number(v, language),
        "percent": lambda v: formats.percent(v, language),
        "day": lambda v: formats.day(v, language),
        "moment": lambda v: formats.moment(v, language),
        "ratio_width": charts.ratio_width,
        "share": charts.share,
        "rule_label": lambda code: labels.label(labels.RULES, code),
        "status_label": lambda code: labels.label(labels.STATUSES, code),
        "severity_label": lambda code: labels.label(labels.SEVERITIES, code),
        "report_kind_label": lambda code: labels.label(labels.REPORT_KINDS, code),
        "field_label": lambda code: labels.label(labels.FIELDS, code),
        "ref_label": lambda code: labels.label(labels.REF_TYPES, code),
    }

