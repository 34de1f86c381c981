"""A GET whose read on the read replica failed, read again from the store.

The replica is chosen before a request reads (service.reads.replica), without a round trip
when it is known to have replayed far enough; so the first read after it stopped, or was cut
off, or cancelled a statement for a conflict with its recovery, fails within the request; so
does one that meets a table the replica has not replayed a migration of yet. Reads change
nothing, so the view runs once more on the store, and the replica is passed over for a
second: the client sees no error for a replica's failure, only the store's own.
"""

from __future__ import annotations

from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from flask import Flask, g, request

from service.reads.replica import ReadReplica
from service.store.connections import renew_patience

# Whatever the database says: on the store it would be answered as it is (a 503, or a defect).
DATABASE_ERRORS = (psycopg.Error, PersistenceError)

SAFE_METHODS = ("GET", "HEAD")


def fall_back_to_the_store(app: Flask, replica: ReadReplica) -> None:
    dispatch = app.dispatch_request

    def dispatch_request() -> Any:
        try:
            return dispatch()
        except DATABASE_ERRORS as error:
            chosen = g.get("grantledger_reads")
            on_replica = chosen is not None and chosen is replica.replica
            if request.method not in SAFE_METHODS or not on_replica:
                raise
            replica.failed(error)
            g.grantledger_reads = replica.primary
            renew_patience()  # the store's read is a wait of its own, not the replica's rest
            return dispatch()

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]
