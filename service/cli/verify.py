"""`grantledger verify`: the chain verification of the API, from the command line, over every
project of the configured store (or one), for an auditor's script or a nightly job.

Exit status: 0 every chain holds (and the digest, if given, lies on it); 1 something does
not; 2 the command cannot run (bad arguments, no store, unknown project).
"""

from __future__ import annotations

import re
import sys
from typing import TextIO
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from domain.verification import DigestCheck, StoredLink, verify_chain
from service.application import LedgerApplication
from service.audit.chain import StoredEntry, read_chain, stored_project_ids
from service.bootstrap import open_ledger
from service.config import ConfigurationError, Settings
from service.store.database import StoreError, StoreUrl, one_line

DIGEST = re.compile(r"([1-9][0-9]*):([0-9a-fA-F]{64})")


def parse_digest(text: str) -> tuple[int, str]:
    """`VERSION:HASH`, e.g. a payment claim's submitted_head written `12:3f0c…`."""
    match = DIGEST.fullmatch(text.strip())
    if match is None:
        raise ConfigurationError(f"--digest {text!r} is not VERSION:HASH (a version and 64 hex "
                                 "digits)")
    return int(match[1]), match[2].lower()


def run_verify(project: str | None, digest: str | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up now: the caller may have replaced sys.stdout
    saved = parse_digest(digest) if digest else None
    if saved and not project:
        raise ConfigurationError("--digest belongs to one project: give --project too")
    application = open_ledger(Settings.from_env(), migrating=False)
    try:
        ids = [project_id_from(project)] if project else stored_project_ids(application)
        if not ids:
            print("the store holds no project", file=out)
        broken = 0
        for project_id in ids:
            entries = read_chain(application, project_id)
            if not entries:
                raise ConfigurationError(f"no project has the id {project_id}")
            broken += not _report(project_id, entries, saved, out)
    except PersistenceError as error:
        store = StoreUrl(Settings.from_env().database_url).masked
        raise StoreError(f"cannot read the store {store}: {one_line(error)}") from None
    finally:
        application.close()
    print(f"{len(ids)} project(s) verified, {broken} failed", file=out)
    return 1 if broken else 0


def _report(project_id: UUID, entries: list[StoredEntry], saved: tuple[int, str] | None,
            out: TextIO) -> bool:
    """Prints one project's verification; whether everything held."""
    report = verify_chain(entry.link for entry in entries)
    first = entries[0].link
    number = first.data.get("registration_number", "") if isinstance(first, StoredLink) else ""
    found = report.first_break
    if found is None:
        print(f"OK      {project_id} {number}: {report.events} events, head "
              f"{report.head_version}:{report.head_hash}", file=out)
    else:
        print(f"BROKEN  {project_id} {number}: version {found.version}: {found.reason} "
              f"({found.detail})", file=out)
    check: DigestCheck | None = report.check_digest(*saved) if saved else None
    if check is not None:
        state = "on the chain" if check.on_chain else "NOT on the chain"
        print(f"        digest {check.version}:{check.hash} {state}: {check.detail}", file=out)
    return report.valid and (check is None or check.on_chain)


def project_id_from(text: str) -> UUID:
    """A project's id, or the registration number it is derived from."""
    try:
        return UUID(text)
    except ValueError:
        return LedgerApplication.id_for(text)
