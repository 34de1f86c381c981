"""A large answer gzipped for a client that accepts it (the portfolio's page of up to 1,000
rows is some 800 KB of JSON, under 100 KB gzipped). The fastest level: the rows repeat their
keys, so it gains nearly all there is to gain, at a few milliseconds for a page.

The gzipped answer is a representation of its own (RFC 9110, 8.8.3): its ETag is the
plain one's with `-gzip` (for a client that accepts gzip, whatever the size), so that a
conditional request is matched against what was sent.
"""

from __future__ import annotations

import gzip

from flask import Response, request

LEVEL = 1
# Smaller answers go as they are: a few kilobytes saved are not worth the client's decoding.
MIN_SIZE = 16 * 1024


def accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def encoded_etag(etag: str, gzipped: bool) -> str:
    return f'{etag[:-1]}-gzip"' if gzipped else etag


def varying(response: Response, gzipped: bool) -> Response:
    """The answer, compressed if `gzipped` and of MIN_SIZE bytes or more, saying that it
    varies with Accept-Encoding."""
    response.vary.add("Accept-Encoding")
    if gzipped and response.status_code == 200 and len(response.get_data()) >= MIN_SIZE:
        response.set_data(gzip.compress(response.get_data(), LEVEL))
        response.headers["Content-Encoding"] = "gzip"
    return response
