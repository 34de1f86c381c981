"""Signing in to the pages and out again, and the language switch.

Two ways in: the OpenID Connect authorization code flow with PKCE against the configured
issuer (Authlib's Flask client), whose access token the session then carries, and a form that
takes a static token (without an issuer, and always in `serve --dev`). Either way the token is
checked by asking the API who holds it (service.web.pages.identity), and never appears in a URL.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.exceptions import BadRequest, NotFound, ServiceUnavailable

from service.web.pages.blueprint import LANGUAGES, pages, safe_next
from service.web.pages.config import PagesSettings
from service.web.pages.identity import who_is
from service.web.pages.session import LANGUAGE, check_csrf, sign_out
from service.web.pages.session import sign_in as start_session

SETTINGS = "grantledger_pages_settings"
NEXT = "pages_next"


def settings() -> PagesSettings:
    configured: PagesSettings = current_app.extensions[SETTINGS]
    return configured


def _configured() -> None:
    if not current_app.secret_key:
        raise ServiceUnavailable(
            "Signing in to the pages is not set up: the operator sets GRANTLEDGER_SESSION_SECRET "
            "(at least 24 characters) and restarts the service.")


@pages.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    _configured()
    target = request.values.get("next")
    problem = None
    status = 200
    if request.method == "POST":
        if not settings().token_sign_in:
            raise NotFound("Sign in with the organisation's account.")
        check_csrf(request.form)
        token = (request.form.get("token") or "").strip()
        # A token is printable text (a line break cannot go in an Authorization header).
        identity = who_is(token) if token and token.isprintable() else None
        if identity is not None:
            start_session(current_app, token, identity.name, None)
            return redirect(safe_next(target))
        problem, status = "not_accepted", 401
    return render_template("pages/sign_in.html", next=target or "", problem=problem,
                           token_form=settings().token_sign_in,
                           oidc=settings().uses_oidc), status


@pages.post("/sign-out")
def sign_out_now() -> Any:
    _configured()
    check_csrf(request.form)
    sign_out()
    return redirect(url_for("pages.sign_in"))


@pages.get("/language/<language>")
def switch_language(language: str) -> Any:
    if language not in LANGUAGES:
        raise NotFound("The pages are in Czech (cs) and English (en).")
    _configured()
    session[LANGUAGE] = language
    return redirect(safe_next(request.args.get("next")))


@pages.get("/sign-in/oidc")
def oidc_start() -> Any:
    _configured()
    client = _oidc_client()
    session[NEXT] = request.args.get("next") or ""
    return client.authorize_redirect(url_for("pages.oidc_callback", _external=True))


@pages.get("/sign-in/callback")
def oidc_callback() -> Any:
    _configured()
    client = _oidc_client()
    if "error" in request.args:
        raise BadRequest(f"The sign-in was not completed: {request.args.get('error')}")
    try:
        answer = client.authorize_access_token()
    except Exception as error:  # Authlib's OAuthError and its kin: a flow that did not finish
        raise BadRequest(f"The sign-in was not completed: {error}") from None
    token = answer["access_token"]
    identity = who_is(token)
    if identity is None:
        raise BadRequest("The organisation's sign-in succeeded, but the ledger does not take "
                         "its access token: ask the operator to check GRANTLEDGER_OIDC_AUDIENCE.")
    name = identity.name or str((answer.get("userinfo") or {}).get("name") or "")
    expires_at = answer.get("expires_at") or (time.time() + float(answer.get("expires_in", 0))
                                              if answer.get("expires_in") else None)
    target = session.pop(NEXT, "")
    start_session(current_app, token, name, float(expires_at) if expires_at else None)
    return redirect(safe_next(target))


def _oidc_client() -> Any:
    client = current_app.extensions.get("grantledger_pages_oidc")
    if client is None:
        raise NotFound("Signing in with an organisation's account is not configured.")
    return client


def register_oidc(app: Any, configured: PagesSettings) -> None:
    """Authlib's client for the configured issuer: code flow, PKCE (S256), openid scope."""
    if not configured.uses_oidc:
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    client_kwargs = {"scope": configured.oidc_scopes, "code_challenge_method": "S256"}
    if configured.oidc_client_secret is None:  # a public client: PKCE alone
        client_kwargs["token_endpoint_auth_method"] = "none"
    client = oauth.register(
        "grantledger", client_id=configured.oidc_client_id,
        client_secret=configured.oidc_client_secret,
        server_metadata_url=f"{configured.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs)
    app.extensions["grantledger_pages_oidc"] = client
