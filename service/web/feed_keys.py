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

from flask import current_app, g, request
from werkzeug.exceptions import Unauthorized

from service.config import Principal
from service.web.auth import READ, requires

F = TypeVar("F", bound=Callable[..., Any])
KEY_PARAMETER = "key"
MASK = "[masked]"
_CONTEXT = b"grantledger feed key\x00"


def feed_key(secret: str, name: str) -> str:
    """The feed key of a principal's name under a secret (URL-safe, 43 characters)."""
    digest = hmac.new(secret.encode(), _CONTEXT + name.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_principal(key: str, secret: str, tokens: Mapping[str, Principal]) -> Principal | None:
    """The configured principal whose feed key this is (compared in constant time), as a
    viewer; None for any other key."""
    found = None
    for name in sorted({principal.name for principal in tokens.values()}):
        if hmac.compare_digest(feed_key(secret, name).encode(), key.encode()):
            found = Principal(name, "viewer")
    return found


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
    """Admits a bearer token that may read, or a valid `?key=` feed key: 401 for a wrong or
    unusable key."""
    with_token = requires(READ)(view)

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
        g.principal = principal
        return view(*args, **kwargs)

    guarded.__dict__["_grantledger_roles"] = READ
    return guarded  # type: ignore[return-value]
