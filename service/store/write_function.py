"""`grantledger_write`: a project's write as one call to PostgreSQL (schema version 5).

The writer decides a project's queued commands in Python against the state it holds, then sends
everything in one round trip (this call, one statement: its own transaction). Under the
project's advisory lock the function checks that the project is still at the version the
decision was made on and that no request key in hand has an answer stored; if either fails it
records nothing and answers what the writer lacked (the newer events, the stored answers), so
the writer catches up and decides again. Otherwise it inserts the events, the requests'
answers, the grants they change, and notifies the library's channel (with the project and its
last position, `APPEND_PAYLOAD`: a web process's view feed then needs no read to learn them)
and `grantledger_access`.

The request keys, the answers and the grants' changes travel as three JSON arrays (one
parameter each: psycopg's dumping of a dozen arrays cost more than the rest of the call's
parameters); the events as arrays of their columns.

An answer carries its events' positions, which only the insert knows: the writer renders it
with stand-ins (`mark` followed by the event's index in six digits, a negative number in the
JSON no client can predict) and `grantledger_fill` puts the positions in their place.

The events table's EXCLUSIVE lock (the library's way to make positions follow commit order,
so that a reader of the log never passes over a gap that fills later) is taken just before the
insert and is held only until the call's own commit: no round trip to the client and no
Python runs under it.
"""

from __future__ import annotations

from uuid import UUID

MARK_INDEX_DIGITS = 6
APPEND_PAYLOAD = "{project_id} {position}"
"""The payload of the library's channel NOTIFY'd by a write: the project and the position of
its last event (the library's own appends notify without one)."""



def parse_append(payload: str) -> tuple[UUID, int] | None:
    """The project and last position an append's notification names (None: it names none)."""
    project_id, _, position = payload.partition(" ")
    try:
        return UUID(project_id), int(position)
    except ValueError:
        return None


CREATE_FILL = r"""
CREATE OR REPLACE FUNCTION grantledger_fill(body text, mark text, positions bigint[])
RETURNS text LANGUAGE sql IMMUTABLE AS $fill$
    SELECT CASE WHEN body IS NULL OR mark IS NULL OR strpos(body, mark) = 0 THEN body
    ELSE (SELECT string_agg(CASE WHEN p.n = 1 THEN p.part
                                 ELSE positions[left(p.part, 6)::int + 1]::text
                                      || substr(p.part, 7) END, '' ORDER BY p.n)
          FROM unnest(string_to_array(body, mark)) WITH ORDINALITY AS p(part, n)) END
$fill$
"""

CREATE_WRITE = r"""
CREATE OR REPLACE FUNCTION grantledger_write(
    p_project uuid, p_lock_key bigint, p_expected bigint,
    p_versions bigint[], p_topics text[], p_states bytea[], p_keys jsonb, p_records jsonb,
    p_mark text, p_access jsonb, p_registration_number text)
RETURNS TABLE (kind text, version bigint, at bigint, topic text, state bytea, scope text,
               key text, fingerprint text, status integer, body text, location text)
LANGUAGE plpgsql AS $write$
#variable_conflict use_column
DECLARE
    latest bigint;
    positions bigint[];
    change jsonb;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_key);
    SELECT e.originator_version INTO latest FROM ledgerapplication_events AS e
        WHERE e.originator_id = p_project ORDER BY e.originator_version DESC LIMIT 1;
    latest := coalesce(latest, 0);
    RETURN QUERY SELECT 'record'::text, NULL::bigint, NULL::bigint, NULL::text, NULL::bytea,
            i.scope, i.key, i.fingerprint, i.status, i.body, i.location
        FROM grantledger_idempotency AS i
        JOIN jsonb_array_elements(p_keys) AS k(v) ON i.scope = k.v->>0 AND i.key = k.v->>1;
    IF FOUND OR latest <> p_expected THEN
        RETURN QUERY SELECT 'newer'::text, e.originator_version, e.notification_id, e.topic,
                e.state, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text,
                NULL::text
            FROM ledgerapplication_events AS e
            WHERE e.originator_id = p_project AND e.originator_version > p_expected
            ORDER BY e.originator_version;
        RETURN QUERY SELECT 'latest'::text, latest, NULL::bigint, NULL::text, NULL::bytea,
            NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;
    IF coalesce(cardinality(p_versions), 0) = 0 THEN
        RETURN;
    END IF;
    LOCK TABLE ledgerapplication_events IN EXCLUSIVE MODE;
    WITH inserted AS (
        INSERT INTO ledgerapplication_events (originator_id, originator_version, topic, state)
        SELECT p_project, u.v, u.t, u.s FROM unnest(p_versions, p_topics, p_states) AS u(v, t, s)
        RETURNING originator_version, notification_id)
    SELECT array_agg(inserted.notification_id ORDER BY inserted.originator_version)
        INTO positions FROM inserted;
    PERFORM pg_notify('ledgerapplication_events',
                      p_project::text || ' ' || positions[cardinality(positions)]::text);
    INSERT INTO grantledger_idempotency (scope, key, fingerprint, status, body, location)
        SELECT r.v->>0, r.v->>1, r.v->>2, (r.v->>3)::integer,
               grantledger_fill(r.v->>4, p_mark, positions),
               grantledger_fill(r.v->>5, p_mark, positions)
        FROM jsonb_array_elements(p_records) AS r(v);
    FOR change IN SELECT c.v FROM jsonb_array_elements(p_access) AS c(v) LOOP
        IF change->>2 IS NULL THEN
            DELETE FROM grantledger_access AS a
                WHERE a.project_id = p_project::text AND a.subject = change->>1;
        ELSE
            INSERT INTO grantledger_access AS a
                (project_id, subject, role, name, registration_number, position)
                VALUES (p_project::text, change->>1, change->>2, change->>3,
                        p_registration_number, positions[(change->>0)::integer + 1])
                ON CONFLICT (project_id, subject) DO UPDATE SET role = excluded.role,
                    name = excluded.name, position = excluded.position;
        END IF;
    END LOOP;
    PERFORM pg_notify('grantledger_access', d.s)
        FROM (SELECT DISTINCT c.v->>1 AS s FROM jsonb_array_elements(p_access) AS c(v)) AS d;
    RETURN QUERY SELECT 'appended'::text, u.v, u.p, NULL::text, NULL::bytea, NULL::text,
            NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text
        FROM unnest(p_versions, positions) AS u(v, p);
END
$write$
"""

# The events' arrays go in binary (%b): in text, psycopg escapes each state byte by byte in
# Python (a batch of 500: 14 ms against 1 ms; one event: 112 µs against 32 µs).
CALL_WRITE = (
    "SELECT kind, version, at, topic, state, scope, key, fingerprint, status, body, location "
    "FROM grantledger_write(%s::uuid, %s::bigint, %s::bigint, %b::bigint[], %b::text[], "
    "%b::bytea[], %s::jsonb, %s::jsonb, %s::text, %s::jsonb, %s::text)")
