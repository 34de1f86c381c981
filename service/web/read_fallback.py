"""A GET whose read on the read replica failed, read again from the store.

The replica is chosen before a request reads (service.reads.replica), without a round trip
when it is known to have replayed far enough; so the first read after it stopped, or was cut
off, or cancelled a statement for a conflict with its recovery, fails within the request.
Reads change nothing, so the view runs once more on the store, and the replica is passed over
for a second: the client sees no error for a replica's failure, only the store's own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request

from service.reads.replica import ReadReplica
from service.store.connections import STORE_UNAVAILABLE

SAFE_METHODS = ("GET", "HEAD")


def fall_back_to_the_store(app: Flask, replica: ReadReplica) -> None:
    dispatch = app.dispatch_request

    def dispatch_request() -> Any:
        try:
            return dispatch()
        except STORE_UNAVAILABLE as error:
            chosen = g.get("grantledger_reads")
            on_replica = chosen is not None and chosen is replica.replica
            if request.method not in SAFE_METHODS or not on_replica:
                raise
            replica.failed(error)
            g.grantledger_reads = replica.primary
            return dispatch()

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]
