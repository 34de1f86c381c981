"""Recomputing a stored chain: the first break, its version and reason; digests saved earlier."""

from __future__ import annotations

import dataclasses
import hashlib
from decimal import Decimal

from audit_builders import history, link, links, rehashed, with_data

from domain.verification import (
    CLAIM_HEAD_MISMATCH,
    CONTENT_CHANGED,
    CONTENT_UNREADABLE,
    LINK_BROKEN,
    VERSION_MISSING,
    StoredLink,
    UnreadableLink,
    verify_chain,
)


def stored(version: int) -> StoredLink:
    found = links()[version - 1]
    assert isinstance(found, StoredLink)
    return found


def test_an_untouched_history_holds_and_its_head_is_the_last_event() -> None:
    events = history()

    report = verify_chain(links())

    assert (report.valid, report.events, report.head_version, report.head_hash) == (
        True, 7, 7, events[-1].hash)


def test_a_changed_amount_is_content_changed_at_its_own_version() -> None:
    chain = links()
    chain[1] = with_data(stored(2), eligible_amount=Decimal("900000.00"))

    found = verify_chain(chain).first_break

    assert found is not None and (found.version, found.reason) == (2, CONTENT_CHANGED)


def test_a_deleted_event_is_the_missing_version() -> None:
    chain = links()
    del chain[2]

    found = verify_chain(chain).first_break

    assert found is not None and (found.version, found.reason) == (3, VERSION_MISSING)


def test_a_deleted_registration_is_version_one_missing() -> None:
    found = verify_chain(links()[1:]).first_break

    assert found is not None and (found.version, found.reason) == (1, VERSION_MISSING)


def test_two_swapped_events_break_the_link_at_the_earlier_version() -> None:
    chain = links()
    third, fourth = stored(3), stored(4)
    chain[2] = dataclasses.replace(fourth, version=3)
    chain[3] = dataclasses.replace(third, version=4)

    found = verify_chain(chain).first_break

    assert found is not None and (found.version, found.reason) == (3, LINK_BROKEN)


def test_an_event_rehashed_onto_another_predecessor_is_a_broken_link() -> None:
    chain = links()
    draft = dataclasses.replace(stored(4), previous_hash="ab" * 32)
    chain[3] = dataclasses.replace(draft, hash=draft.recomputed_hash)

    found = verify_chain(chain).first_break

    assert found is not None and (found.version, found.reason) == (4, LINK_BROKEN)


def test_the_first_event_must_follow_sixty_four_zeros() -> None:
    chain = links()
    draft = dataclasses.replace(stored(1), previous_hash="1" * 64)
    chain[0] = dataclasses.replace(draft, hash=draft.recomputed_hash)

    found = verify_chain(chain).first_break

    assert found is not None and (found.version, found.reason) == (1, LINK_BROKEN)


def test_a_row_that_cannot_be_decoded_is_content_unreadable() -> None:
    chain = links()
    chain[4] = UnreadableLink(5, "JSONDecodeError: Expecting value")

    report = verify_chain(chain)

    assert report.first_break is not None
    assert (report.first_break.version, report.first_break.reason) == (5, CONTENT_UNREADABLE)


def test_an_unreadable_last_event_leaves_the_head_without_a_hash() -> None:
    chain = links()
    chain[-1] = UnreadableLink(7, "JSONDecodeError")

    report = verify_chain(chain)

    assert (report.head_version, report.head_hash) == (7, None)


def test_a_rewrite_that_kept_the_claims_recorded_head_is_a_claim_head_mismatch() -> None:
    chain = links()
    chain[1] = with_data(stored(2), eligible_amount=Decimal("99000.00"))

    found = verify_chain(rehashed(chain, fix_claim_heads=False)).first_break

    assert found is not None and (found.version, found.reason) == (5, CLAIM_HEAD_MISMATCH)


def test_a_careful_rewrite_holds_as_a_chain_but_misses_the_digest_saved_before() -> None:
    saved = verify_chain(links())
    chain = links()
    chain[1] = with_data(stored(2), eligible_amount=Decimal("99000.00"))

    report = verify_chain(rehashed(chain))
    check = report.check_digest(saved.head_version, saved.head_hash or "")

    assert (report.valid, check.on_chain) == (True, False)


def test_a_digest_saved_earlier_lies_on_the_untouched_chain_in_either_case() -> None:
    digest = history()[4].hash

    check = verify_chain(links()).check_digest(5, digest.upper())

    assert (check.on_chain, check.hash) == (True, digest)


def test_a_digest_beyond_the_stored_head_is_not_on_the_chain() -> None:
    digest = history()[6].hash

    check = verify_chain(links()[:6]).check_digest(7, digest)

    assert (check.on_chain, check.detail) == (
        False, "the chain ends at version 6: version 7 is no longer stored")


def test_a_digest_after_the_first_break_is_not_on_the_chain_even_if_its_own_hash_matches() -> None:
    events = history()
    chain = links()
    chain[1] = with_data(stored(2), eligible_amount=Decimal("900000.00"))

    report = verify_chain(chain)

    assert report.check_digest(6, events[5].hash).on_chain is False
    assert report.check_digest(1, events[0].hash).on_chain is True


def test_the_bytes_a_bundle_ships_are_the_bytes_whose_sha256_is_the_event_hash() -> None:
    events = history()

    digests = [hashlib.sha256(link(event).hashed_bytes).hexdigest() for event in events]

    assert digests == [event.hash for event in events]
