"""Feed keys: read-only keys for calendar apps, which cannot send a bearer token.

A principal's feed key is the HMAC-SHA256 of its name under the server's
GRANTLEDGER_FEED_SECRET (`grantledger feed-key --name NAME` prints it). A request carrying
`?key=` is admitted to the two calendar feeds only, as that principal with the viewer's
rights, while the name is one of GRANTLEDGER_TOKENS; changing the secret revokes every key,
removing the principal revokes its key. A key travels in URLs, so logs must not keep it:
`mask_feed_keys` hides every `key=` value of a query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from flask import current_app, request
from werkzeug.exceptions import Unauthorized

from service.principals import Principal
from service.web.auth import READ, admit, requires

F = TypeVar("F", bound=Callable[..., Any])
KEY_PARAMETER = "key"
MASK = "[masked]"
_CONTEXT = b"grantledger feed key\x00"
SUBJECT_KEY_PREFIX = "s."


def feed_key(secret: str, name: str) -> str:
    """The feed key of a principal's name under a secret (URL-safe, 43 characters)."""
    digest = hmac.new(secret.encode(), _CONTEXT + name.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def subject_feed_key(secret: str, subject: str) -> str:
    """The feed key of a subject that is no static token's name (an OIDC subject): the
    subject travels in the key, base64url, beside its HMAC, so that it need not be looked
    up among every subject ever granted."""
    encoded = base64.urlsafe_b64encode(subject.encode()).decode().rstrip("=")
    return f"{SUBJECT_KEY_PREFIX}{encoded}.{feed_key(secret, subject)}"


def key_for(secret: str, principal: Principal, tokens: Mapping[str, Principal]) -> str:
    """The feed key of a principal: as in 1.1 for a static token's holder, with the subject
    in it for others."""
    if any(known.subject == principal.subject for known in tokens.values()):
        return feed_key(secret, principal.subject)
    return subject_feed_key(secret, principal.subject)


def feed_principal(key: str, secret: str, tokens: Mapping[str, Principal]) -> Principal | None:
    """The principal whose feed key this is (compared in constant time), reading what its
    subject may read: its grants, and every project when it is a static token's holder with
    a global role; None for any other key."""
    if key.startswith(SUBJECT_KEY_PREFIX):
        return _subject_principal(key, secret)
    found = None
    for known in {principal.subject: principal for principal in tokens.values()}.values():
        if hmac.compare_digest(feed_key(secret, known.subject).encode(), key.encode()):
            found = Principal(known.name, known.subject,
                              frozenset({"viewer"}) if known.global_roles else frozenset())
    return found


def _subject_principal(key: str, secret: str) -> Principal | None:
    encoded, _, mac = key[len(SUBJECT_KEY_PREFIX):].partition(".")
    try:
        subject = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(feed_key(secret, subject).encode(), mac.encode()):
        return None
    return Principal(subject, subject)


def mask_feed_keys(query_string: str) -> str:
    """The query string with the value of every `key` parameter replaced by `[masked]`, for
    access logs: `on=2018-06-01&key=abc` → `on=2018-06-01&key=[masked]`. The parameter is
    recognised as the web framework reads it (percent-decoded), so `%6Bey=…` is masked too."""
    parts = query_string.split("&")
    for n, part in enumerate(parts):
        name = part.partition("=")[0]
        if unquote_plus(name) == KEY_PARAMETER:
            parts[n] = f"{name}={MASK}"
    return "&".join(parts)


def requires_read_or_feed_key(view: F) -> F:
    """Admits a bearer token that may read, or a valid `?key=` feed key, for what its
    subject may read: 401 for a wrong or unusable key."""
    with_token = requires(READ, listing=True)(view)

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        key = request.args.get(KEY_PARAMETER)
        if key is None:
            return with_token(*args, **kwargs)
        settings = current_app.config["GRANTLEDGER_SETTINGS"]
        if not settings.feed_secret:
            raise Unauthorized("feed keys are not enabled on this server: set "
                               "GRANTLEDGER_FEED_SECRET, or send a bearer token")
        principal = feed_principal(key, settings.feed_secret, settings.tokens)
        if principal is None:
            raise Unauthorized("the feed key is not valid (changing GRANTLEDGER_FEED_SECRET "
                               "revokes every key): ask for a new one (grantledger feed-key)")
        admit(principal, READ, listing=True)
        return view(*args, **kwargs)

    guarded.__dict__["_grantledger_roles"] = READ
    return guarded  # type: ignore[return-value]
