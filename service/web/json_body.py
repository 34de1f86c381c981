"""Reading a JSON body strictly: UTF-8 only (RFC 8259), and no object naming a key twice.

A body whose object names a key twice (`{"acronym": "a", "acronym": "b"}`) means one thing to a
parser that keeps the first (a proxy, a WAF, an audit tap) and another to one that keeps the
last (Python's): the ledger would record another request than the one that was checked, so
such a body is refused, naming the key. Both of the service's JSON readers use this: webargs'
(the arguments of every endpoint) and Flask's `request.get_json()` (service.web.app).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

# What webargs says of a body that is not JSON; service.web.problems replaces it by the reason.
WEBARGS_INVALID_JSON = "Invalid JSON body."


class DuplicateKeyError(ValueError):
    """An object of the body names a key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"The JSON body names the key {key!r} twice in one object: give each "
                         "key once.")
        self.key = key


def _distinct_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def strict_loads(data: str | bytes | bytearray) -> Any:
    """The body's JSON value; UnicodeDecodeError for bytes that are not UTF-8,
    DuplicateKeyError, or json's own errors."""
    text = data if isinstance(data, str) else bytes(data).decode("utf-8")
    return json.loads(text, object_pairs_hook=_distinct_keys)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading bodies strictly (answers are written as before)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


class StrictBodyParser(FlaskParser):
    """webargs' parser for flask-smorest, reading JSON bodies strictly. A body it cannot read
    is webargs' "Invalid JSON body." 400, which service.web.problems replaces by the reason."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return strict_loads(req.get_data(cache=True))
        except DuplicateKeyError as error:
            raise json.JSONDecodeError(str(error), "duplicate", 0) from error


class StrictRequest(Request):
    """Flask's request; a body `get_json()` cannot read is answered as webargs answers it."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        abort(400, messages={"json": [WEBARGS_INVALID_JSON]})

