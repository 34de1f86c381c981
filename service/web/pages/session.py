"""Who is signed in to the pages: Flask's signed session cookie, holding the bearer token the
pages send to the API on the reader's behalf.

The cookie is signed with GRANTLEDGER_SESSION_SECRET (Flask's itsdangerous) and the token in it
is encrypted too (Fernet, with a key derived from the same secret by HKDF), so the cookie does
not show a static token to whoever reads it. It is `HttpOnly`, `SameSite=Lax`, and `Secure`
unless the page was asked for over plain HTTP on a loopback address; it lasts as long as the
token does, and 8 hours at most. Sign-out forgets it.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest

SESSION_HOURS = 8
COOKIE_NAME = "grantledger_session"
TOKEN, EXPIRES, NAME, CSRF, LANGUAGE = "token", "expires", "name", "csrf", "lang"
FERNET_EXTENSION = "grantledger_pages_fernet"
LOOPBACK_NAMES = ("localhost",)


class PagesSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, `Secure` except over HTTP on a loopback host."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or not _loopback(request.host)


def configure_sessions(app: Flask, secret: str) -> None:
    app.secret_key = secret
    app.session_interface = PagesSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # The cookie keeps the expiry it got at sign-in: using the pages does not extend it.
        SESSION_REFRESH_EACH_REQUEST=False)
    app.extensions[FERNET_EXTENSION] = Fernet(_derived_key(secret))


def _derived_key(secret: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"grantledger pages: the token in the session cookie").derive(secret.encode())
    return base64.urlsafe_b64encode(key)


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SignedIn:
    token: str
    name: str


def sign_in(app: Flask, token: str, name: str, token_expires_at: float | None) -> None:
    """Starts a session for the holder of `token` (a new one: the old id is not kept)."""
    language = session.get(LANGUAGE)
    session.clear()
    expires = time.time() + SESSION_HOURS * 3600
    if token_expires_at is not None:
        expires = min(expires, token_expires_at)
    session.permanent = True
    session.update({TOKEN: _fernet(app).encrypt(token.encode()).decode(), EXPIRES: expires,
                    NAME: name})
    if language:
        session[LANGUAGE] = language


def sign_out() -> None:
    language = session.get(LANGUAGE)
    session.clear()
    if language:
        session[LANGUAGE] = language


def signed_in(app: Flask) -> SignedIn | None:
    """The session's principal, unless it has expired (then it is forgotten)."""
    sealed = session.get(TOKEN)
    if not sealed:
        return None
    if float(session.get(EXPIRES, 0)) <= time.time():
        sign_out()
        return None
    try:
        token = _fernet(app).decrypt(sealed.encode()).decode()
    except InvalidToken:  # sealed under another secret
        sign_out()
        return None
    return SignedIn(token=token, name=str(session.get(NAME, "")))


def csrf_token() -> str:
    """The session's token for its forms (sign-in, sign-out), made on first use."""
    if CSRF not in session:
        session[CSRF] = secrets.token_urlsafe(24)
    return str(session[CSRF])


def check_csrf(form: Any) -> None:
    sent = str(form.get("csrf") or "")
    kept = str(session.get(CSRF) or "")
    if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
        raise BadRequest("the form has expired or did not come from this site: load the page "
                         "again and send it once more")


def _fernet(app: Flask) -> Fernet:
    fernet: Fernet = app.extensions[FERNET_EXTENSION]
    return fernet
