"""The eventsourcing library's PostgreSQL persistence, connecting with the whole URL.

The library builds its connection pool from five settings (database, host, port, user,
password) and drops everything else a PostgreSQL URL can say. This factory hands the URL to
libpq as it is, before any recorder opens a connection (the pool is created closed), so
`sslmode`, `sslrootcert`, a socket directory in `host=`, several hosts with
`target_session_attrs`, `application_name` and the `PG*` environment variables all apply.
PERSISTENCE_MODULE names this class (service.store.database.eventsourcing_env).
"""

from __future__ import annotations

from eventsourcing.postgres import Factory as LibraryFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.rows import dict_row

from service.store.connections import watch_outages
from service.store.database import ANSWER_TIMEOUT_KEY, CONNINFO_KEY, STORE_NAME_KEY, StoreUrl
from service.store.recorders import PostgresSnapshotRecorder


class Factory(LibraryFactory):
    aggregate_recorder_class = PostgresSnapshotRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        store = StoreUrl(self.env.get(CONNINFO_KEY) or "")
        pool = self.datastore.pool
        pool.conninfo = store.url
        pool.kwargs = {"row_factory": dict_row, **store.connection_kwargs()}
        self.answer_timeout = float(self.env.get(ANSWER_TIMEOUT_KEY) or store.connect_timeout())
        self.outage = watch_outages(pool, self.answer_timeout,
                                    self.env.get(STORE_NAME_KEY) or "event store")


__all__ = ["Factory"]
