"""GET …/verification: the chain recomputed from the store, digests saved earlier, and the
chain heads a payment claim records at submission and approval."""

from __future__ import annotations

from typing import Any

from api_builders import claim_body, command, get, project_path, record_expense
from flask.testing import FlaskClient


def verification(client: FlaskClient, project_id: str, query: str = "",
                 role: str = "auditor") -> Any:
    return get(client, project_path(project_id, f"verification{query}"), role)


def events(client: FlaskClient, project_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(client, project_path(project_id, "events?limit=1000"),
                                      "auditor").json["events"]
    return found


def claimed_and_approved(client: FlaskClient, project_id: str) -> list[str]:
    """Two TRAVEL invoices in payment claim 1, submitted (v4) and approved (v5)."""
    expenses = [record_expense(client, project_id, "TRAVEL", amount)
                for amount in ("100000.00", "50000.00")]
    command(client, project_id, "payment-claims", claim_body("1", expenses))
    command(client, project_id, "payment-claims/1/approval",
            {"approved_on": "2017-06-01", "exclusions": []}, role="auditor")
    return expenses


def test_an_untouched_project_holds_and_its_head_is_its_last_event(
        client: FlaskClient, nek: str) -> None:
    claimed_and_approved(client, nek)
    last = events(client, nek)[-1]

    response = verification(client, nek)

    assert response.status_code == 200
    assert response.json == {"project_id": nek, "valid": True, "events": 5,
                             "head": {"version": 5, "hash": last["hash"]},
                             "first_break": None, "digest": None}


def test_a_head_saved_earlier_is_still_on_the_chain_after_further_events(
        client: FlaskClient, nek: str) -> None:
    saved = verification(client, nek).json["head"]
    claimed_and_approved(client, nek)

    answer = verification(client, nek, f"?version={saved['version']}&hash={saved['hash']}").json

    assert (answer["valid"], answer["digest"]["on_chain"], answer["head"]["version"]) == (
        True, True, 5)


def test_a_digest_that_is_not_on_the_chain_makes_the_answer_invalid(
        client: FlaskClient, nek: str) -> None:
    claimed_and_approved(client, nek)

    answer = verification(client, nek, "?version=2&hash=" + "ab" * 32).json

    assert (answer["valid"], answer["first_break"], answer["digest"]["on_chain"]) == (
        False, None, False)
    assert answer["digest"]["detail"].startswith("version 2 now hashes to ")


def test_a_digest_beyond_the_head_is_not_on_the_chain(client: FlaskClient, nek: str) -> None:
    answer = verification(client, nek, "?version=9&hash=" + "ab" * 32).json

    assert (answer["valid"], answer["digest"]["detail"]) == (
        False, "the chain ends at version 1: version 9 is no longer stored")


def test_a_claim_shows_the_chain_heads_of_its_submission_and_approval(
        client: FlaskClient, nek: str) -> None:
    claimed_and_approved(client, nek)
    history = events(client, nek)

    claim = get(client, project_path(nek, "payment-claims/1")).json

    assert (claim["submitted_head"], claim["approved_head"]) == (
        {"version": 3, "hash": history[2]["hash"]}, {"version": 4, "hash": history[3]["hash"]})


def test_a_claims_recorded_heads_verify_as_digests(client: FlaskClient, nek: str) -> None:
    claimed_and_approved(client, nek)
    claim = get(client, project_path(nek, "payment-claims/1")).json

    answers = [verification(client, nek, f"?version={h['version']}&hash={h['hash']}").json
               for h in (claim["submitted_head"], claim["approved_head"])]

    assert [a["digest"]["on_chain"] for a in answers] == [True, True]


def test_the_claim_list_shows_the_heads_too(client: FlaskClient, nek: str) -> None:
    claimed_and_approved(client, nek)

    claims = get(client, project_path(nek, "payment-claims")).json["claims"]

    assert [(c["submitted_head"]["version"], c["approved_head"]["version"]) for c in claims] == [
        (3, 4)]


def test_a_version_without_its_hash_is_a_malformed_request(client: FlaskClient, nek: str) -> None:
    response = verification(client, nek, "?version=1")

    assert (response.status_code, response.json["errors"]) == (
        400, {"hash": ["Give hash together with version."]})


def test_a_hash_that_is_not_a_sha256_digest_is_a_malformed_request(
        client: FlaskClient, nek: str) -> None:
    response = verification(client, nek, "?version=1&hash=abc")

    assert (response.status_code, list(response.json["errors"])) == (400, ["hash"])


def test_only_auditors_and_admins_verify(client: FlaskClient, nek: str) -> None:
    statuses = [verification(client, nek, role=role).status_code
                for role in ("viewer", "accountant", "manager", "auditor", "admin")]

    assert statuses == [403, 403, 403, 200, 200]


def test_verifying_an_unknown_project_is_404(client: FlaskClient) -> None:
    response = verification(client, "5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01")

    assert (response.status_code, response.json["title"]) == (404, "Unknown project")
