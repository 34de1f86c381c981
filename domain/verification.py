"""Checking a project's hash chain as it is stored, and a digest an auditor saved earlier.

The check is pure: the service reads the stored rows and hands each one over as a `StoredLink`
(what its hash covers, read back from the row) or, when the row cannot even be decoded, as an
`UnreadableLink`. The first thing wrong is reported with its version and one of the reasons
below; an auditor needs the first break, since every later hash depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from domain.hashing import GENESIS_HASH, canonical_json, event_hash

CONTENT_CHANGED = "content changed"
"""The stored hash is not the hash of the stored content."""
LINK_BROKEN = "link broken"
"""The event's previous_hash is not the recomputed hash of the event before it."""
VERSION_MISSING = "version missing"
"""Versions must run 1, 2, … n; this one is absent (deleted, or the rows were renumbered)."""
CONTENT_UNREADABLE = "content unreadable"
"""The stored row cannot be decoded into an event at all."""
CLAIM_HEAD_MISMATCH = "claim head mismatch"
"""A payment claim recorded a chain head that is no longer on the chain: what was filed with
the claim differs from what is stored before it."""

REASONS = (CONTENT_CHANGED, LINK_BROKEN, VERSION_MISSING, CONTENT_UNREADABLE,
           CLAIM_HEAD_MISMATCH)


@dataclass(frozen=True)
class StoredLink:
    """One stored event, in exactly the terms its hash covers, plus the hash it claims."""

    version: int
    event_type: str
    project: UUID
    recorded_at: datetime
    recorded_by: dict[str, str]
    data: dict[str, Any]
    previous_hash: str
    hash: str

    @cached_property
    def recomputed_hash(self) -> str:
        """The hash of the stored content, by the one definition (`domain.hashing`)."""
        return event_hash(
            event_type=self.event_type, project=self.project, version=self.version,
            recorded_at=self.recorded_at, recorded_by=self.recorded_by, data=self.data,
            previous_hash=self.previous_hash,
        )

    @cached_property
    def hashed_bytes(self) -> bytes:
        """The exact bytes `recomputed_hash` is the SHA-256 of: the canonical JSON of the
        document `event_hash` builds (an audit bundle ships these bytes, one event a line)."""
        return canonical_json({
            "type": self.event_type, "project": str(self.project), "version": self.version,
            "recorded_at": self.recorded_at.isoformat(), "recorded_by": self.recorded_by,
            "data": self.data, "previous_hash": self.previous_hash,
        })


@dataclass(frozen=True)
class UnreadableLink:
    """A stored row that could not be decoded; `detail` says what failed."""

    version: int
    detail: str


Link = StoredLink | UnreadableLink


@dataclass(frozen=True)
class ChainBreak:
    """The first version where the chain does not hold, and why."""

    version: int
    reason: str
    detail: str


@dataclass(frozen=True)
class DigestCheck:
    """Whether a digest saved earlier (a version and its hash) still lies on the chain."""

    version: int
    hash: str
    on_chain: bool
    detail: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of recomputing a chain: how many events, its head, the first break."""

    events: int
    head_version: int
    head_hash: str | None
    """The recomputed hash of the last stored event (None when that event is unreadable)."""
    first_break: ChainBreak | None
    recomputed: Mapping[int, str]
    """The recomputed hash of every readable stored event, by version."""

    @property
    def valid(self) -> bool:
        return self.first_break is None

    def check_digest(self, version: int, digest: str) -> DigestCheck:
        """A digest lies on the chain when the chain holds up to its version and the hash
        recomputed there is the digest: every event up to it is then as it was when the
        digest was taken."""
        digest = digest.lower()
        if version > self.head_version:
            return DigestCheck(version, digest, False,
                               f"the chain ends at version {self.head_version}: version "
                               f"{version} is no longer stored")
        if self.first_break is not None and self.first_break.version <= version:
            return DigestCheck(version, digest, False,
                               f"the chain is broken at version {self.first_break.version} "
                               f"({self.first_break.reason}), at or before version {version}")
        found = self.recomputed.get(version)
        if found != digest:
            return DigestCheck(version, digest, False,
                               f"version {version} now hashes to {found}, not {digest}")
        return DigestCheck(version, digest, True,
                           f"version {version} hashes to {digest}: the events up to it are "
                           "unchanged")


def verify_chain(links: Iterable[Link]) -> ChainReport:
    """Recomputes the chain of a project's stored events, given in stored version order."""
    recomputed: dict[int, str] = {}
    first_break: ChainBreak | None = None
    expected_version, previous = 1, GENESIS_HASH
    count, last_version = 0, 0
    for link in links:
        count, last_version = count + 1, link.version
        found = _first_problem(link, expected_version, previous, recomputed)
        if first_break is None:
            first_break = found
        if isinstance(link, StoredLink):
            recomputed[link.version] = link.recomputed_hash
        # An unreadable event has no hash to chain on; whatever follows it fails its link,
        # which matters only for the digest check (the first break is already reported).
        previous = recomputed.get(link.version, "")
        expected_version = link.version + 1
    return ChainReport(count, last_version, recomputed.get(last_version), first_break,
                       recomputed)


def _first_problem(link: Link, expected_version: int, previous: str,
                   recomputed: Mapping[int, str]) -> ChainBreak | None:
    if link.version != expected_version:
        return ChainBreak(expected_version, VERSION_MISSING,
                          f"expected version {expected_version}, the next stored event is "
                          f"version {link.version}")
    if isinstance(link, UnreadableLink):
        return ChainBreak(link.version, CONTENT_UNREADABLE, link.detail)
    if link.previous_hash != previous:
        return ChainBreak(link.version, LINK_BROKEN,
                          f"previous_hash is {link.previous_hash}, but version "
                          f"{link.version - 1} hashes to {previous or 'nothing'}"
                          if link.version > 1 else
                          f"previous_hash of the first event is {link.previous_hash}, not "
                          f"{GENESIS_HASH}")
    actual = link.recomputed_hash
    if link.hash != actual:
        return ChainBreak(link.version, CONTENT_CHANGED,
                          f"the stored hash is {link.hash}, the content hashes to {actual}")
    return _claim_head_problem(link, recomputed)


def _claim_head_problem(link: StoredLink, recomputed: Mapping[int, str]) -> ChainBreak | None:
    """A payment claim's submission and approval record the head they were decided on."""
    head = link.data.get("chain_head")
    if not isinstance(head, Mapping):
        return None
    version, digest = head.get("version"), head.get("hash")
    if isinstance(version, int) and 0 < version < link.version and \
            recomputed.get(version) == digest:
        return None
    return ChainBreak(link.version, CLAIM_HEAD_MISMATCH,
                      f"{link.event_type} recorded the chain head {version}:{digest}, which is "
                      f"not on the chain (version {version} hashes to "
                      f"{recomputed.get(version) if isinstance(version, int) else None})")
