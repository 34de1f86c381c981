"""`grantledger_write`: a project's write as one call to PostgreSQL (schema version 5).

The writer decides a project's queued commands in Python against the state it holds, then
sends everything in one round trip (BEGIN, this call, COMMIT, pipelined). Under the project's
advisory lock the function checks that the project is still at the version the decision was
made on and that no request key in hand has an answer stored; if either fails it records
nothing and answers what the writer lacked (the newer events, the stored answers), so the
writer catches up and decides again. Otherwise it inserts the events, the requests'
answers, the grants they change, and notifies the library's channel (with the project and its
last position, `APPEND_PAYLOAD`: a web process's view feed then needs no read to learn them)
and `grantledger_access`.

An answer carries its events' positions, which only the insert knows: the writer renders it
with stand-ins (`mark` followed by the event's index in six digits, a negative number in the
JSON no client can predict) and `grantledger_fill` puts the positions in their place.

The events table's EXCLUSIVE lock (the library's way to make positions follow commit order,
so that a reader of the log never passes over a gap that fills later) is taken just before the
insert and is held only until the call's own COMMIT: no round trip to the client and no
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
    p_versions bigint[], p_topics text[], p_states bytea[],
    p_key_scopes text[], p_key_names text[],
    p_record_scopes text[], p_record_keys text[], p_record_fingerprints text[],
    p_record_statuses integer[], p_record_bodies text[], p_record_locations text[],
    p_mark text, p_access_events integer[], p_access_subjects text[], p_access_roles text[],
    p_access_names text[], p_registration_number text)
RETURNS TABLE (kind text, version bigint, at bigint, topic text, state bytea, scope text,
               key text, fingerprint text, status integer, body text, location text)
LANGUAGE plpgsql AS $write$
#variable_conflict use_column
DECLARE
    latest bigint;
    positions bigint[];
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_key);
    SELECT e.originator_version INTO latest FROM ledgerapplication_events AS e
        WHERE e.originator_id = p_project ORDER BY e.originator_version DESC LIMIT 1;
    latest := coalesce(latest, 0);
    RETURN QUERY SELECT 'record'::text, NULL::bigint, NULL::bigint, NULL::text, NULL::bytea,
            i.scope, i.key, i.fingerprint, i.status, i.body, i.location
        FROM grantledger_idempotency AS i
        JOIN unnest(p_key_scopes, p_key_names) AS k(s, n) ON i.scope = k.s AND i.key = k.n;
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
        SELECT r.s, r.k, r.f, r.st, grantledger_fill(r.b, p_mark, positions),
               grantledger_fill(r.l, p_mark, positions)
        FROM unnest(p_record_scopes, p_record_keys, p_record_fingerprints, p_record_statuses,
                    p_record_bodies, p_record_locations) AS r(s, k, f, st, b, l);
    FOR i IN 1 .. coalesce(cardinality(p_access_events), 0) LOOP
        IF p_access_roles[i] IS NULL THEN
            DELETE FROM grantledger_access AS a
                WHERE a.project_id = p_project::text AND a.subject = p_access_subjects[i];
        ELSE
            INSERT INTO grantledger_access AS a
                (project_id, subject, role, name, registration_number, position)
                VALUES (p_project::text, p_access_subjects[i], p_access_roles[i],
                        p_access_names[i], p_registration_number,
                        positions[p_access_events[i] + 1])
                ON CONFLICT (project_id, subject) DO UPDATE SET role = excluded.role,
                    name = excluded.name, position = excluded.position;
        END IF;
    END LOOP;
    PERFORM pg_notify('grantledger_access', d.s)
        FROM (SELECT DISTINCT unnest(p_access_subjects) AS s) AS d;
    RETURN QUERY SELECT 'appended'::text, u.v, u.p, NULL::text, NULL::bytea, NULL::text,
            NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text
        FROM unnest(p_versions, positions) AS u(v, p);
END
$write$
"""

CALL_WRITE = (
    "SELECT kind, version, at, topic, state, scope, key, fingerprint, status, body, location "
    "FROM grantledger_write(%s::uuid, %s::bigint, %s::bigint, %s::bigint[], %s::text[], "
    "%s::bytea[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::integer[], "
    "%s::text[], %s::text[], %s::text, %s::integer[], %s::text[], %s::text[], %s::text[], "
    "%s::text)")
