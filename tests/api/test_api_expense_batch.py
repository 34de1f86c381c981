"""POST …/expenses/batch: up to 1,000 expenses in one transaction, all or none; every bad item
named by its index; a dry run; idempotency over the whole batch; its own body limit."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from api_builders import (
    event_count,
    expense_body,
    get,
    nek_registration,
    post,
    project_path,
    record_expense,
    register_nek,
)
from flask.testing import FlaskClient
from support import auth
from werkzeug.test import TestResponse

from service.web.api.expense_batch import BATCH_MAX_BODY_BYTES


def post_batch(client: FlaskClient, project_id: str, items: list[Any], *, query: str = "",
               role: str = "accountant", **headers: str) -> TestResponse:
    return post(client, project_path(project_id, f"expenses/batch{query}"),
                {"expenses": items}, role, **headers)


def listed(client: FlaskClient, project_id: str) -> list[dict[str, Any]]:
    expenses: list[dict[str, Any]] = get(
        client, project_path(project_id, "expenses?limit=1000")).json["expenses"]
    return expenses


def test_a_batch_records_each_expense_in_the_given_order_with_its_position(
        client: FlaskClient, nek: str) -> None:
    items = [expense_body(document_number="B-1"),
             expense_body(document_number="B-2", tax_point_date="2016-03-15"),
             expense_body(document_number="B-3", budget_line="PERSONNEL")]

    response = post_batch(client, nek, items)

    body = response.json
    assert (response.status_code, body["position"], body["dry_run"]) == (201, 4, False)
    assert [(e["position"], e["time_eligible"]) for e in body["expenses"]] == [
        (2, True), (3, False), (4, True)]
    assert [(e["expense_id"], e["document_number"]) for e in listed(client, nek)] == [
        (e["expense_id"], n) for e, n in zip(body["expenses"], ["B-1", "B-2", "B-3"],
                                             strict=True)]


def test_expense_ids_given_by_the_client_are_kept(client: FlaskClient, nek: str) -> None:
    chosen = str(uuid4())

    response = post_batch(client, nek, [expense_body(expense_id=chosen)])

    assert (response.status_code, response.json["expenses"][0]["expense_id"]) == (201, chosen)


def test_a_refusal_of_item_999_records_none_of_the_1000(client: FlaskClient, nek: str) -> None:
    items = [expense_body(document_number=f"N-{n}", amount_net="10.00") for n in range(999)]
    items.append(expense_body(document_number="N-0", amount_net="10.00"))

    response = post_batch(client, nek, items)

    body = response.json
    assert (response.status_code, body["type"], list(body["errors"])) == (
        409, "urn:grantledger:problem:batch-refused", ["999"])
    assert body["errors"]["999"]["rule"] == "DOUBLE_FINANCING"
    assert "(item 0 of the batch)" in body["errors"]["999"]["detail"]
    assert event_count(client, nek) == 1


def test_every_bad_item_is_named_by_its_index_and_nothing_is_recorded(
        client: FlaskClient, nek: str) -> None:
    recorded = record_expense(client, nek, document_number="OLD-1")
    items = [
        expense_body(document_number="OK-1"),
        expense_body(document_number="OK-2", amount_net="12,50"),       # not a decimal
        expense_body(document_number="OK-3", budget_line="CATERING"),   # no such line
        "not an expense",
        expense_body(document_number="OK-1"),                           # twice in the batch
        expense_body(document_number="OLD-1"),                          # recorded before
        expense_body(document_number="OK-6", expense_id=recorded),      # id taken
        expense_body(document_number="OK-7", supplier={"name": "X", "ico": "123"}),
    ]

    response = post_batch(client, nek, items)

    body = response.json
    assert (response.status_code, body["type"]) == (422, "urn:grantledger:problem:batch-invalid")
    assert body["errors"] == {
        "1": {"amount_net": ['Not a valid decimal number: send a string such as "100000.00".']},
        "2": {"budget_line": ["the project has no budget line 'CATERING' (it has: PERSONNEL, "
                              "EXTERNAL_SERVICES, TRAVEL, MARKETING_PROMOTION, "
                              "SEMINARS_CONFERENCES, RENT)"]},
        "3": {"item": ["Invalid input type."]},
        "7": {"supplier.ico": ["A Czech IČO is 8 digits."]},
    }
    assert {index: error["rule"] for index, error in body["rule_errors"].items()} == {
        "4": "DOUBLE_FINANCING", "5": "DOUBLE_FINANCING", "6": "EXPENSE_ID_TAKEN"}
    assert body["detail"].startswith("7 of 8 expenses were refused, so none was recorded: "
                                     "item 1 (amount_net); item 2 (budget_line); ")
    assert event_count(client, nek) == 2


def test_items_refused_only_by_rules_are_409_naming_each_rule(client: FlaskClient,
                                                               nek: str) -> None:
    record_expense(client, nek, document_number="OLD-1")

    response = post_batch(client, nek, [expense_body(document_number="NEW-1"),
                                        expense_body(document_number="OLD-1")])

    assert (response.status_code, response.json["errors"]["1"]["rule"],
            "rule_errors" in response.json) == (409, "DOUBLE_FINANCING", False)


def test_a_dry_run_records_nothing_and_answers_what_the_real_run_then_does(
        client: FlaskClient, nek: str) -> None:
    ids = [str(uuid4()) for _ in range(3)]
    items = [expense_body(expense_id=ids[0]),
             expense_body(expense_id=ids[1], tax_point_date="2019-01-01"),
             expense_body(expense_id=ids[2])]

    dry = post_batch(client, nek, items, query="?dry_run=true")
    events_after_dry_run = event_count(client, nek)
    real = post_batch(client, nek, items)

    assert (dry.status_code, dry.json) == (200, {
        "expenses": [{"expense_id": ids[0], "position": None, "time_eligible": True},
                     {"expense_id": ids[1], "position": None, "time_eligible": False},
                     {"expense_id": ids[2], "position": None, "time_eligible": True}],
        "position": None, "dry_run": True})
    assert events_after_dry_run == 1
    assert (real.status_code, [(e["expense_id"], e["time_eligible"]) for e in real.json[
        "expenses"]]) == (201, [(e["expense_id"], e["time_eligible"]) for e in dry.json[
            "expenses"]])


def test_a_dry_run_refuses_exactly_as_a_real_run_would(client: FlaskClient, nek: str) -> None:
    items = [expense_body(document_number="D-1", expense_id=str(uuid4())),
             expense_body(document_number="D-1", budget_line="NOPE"),
             expense_body(document_number="D-1", expense_id=str(uuid4()))]

    dry = post_batch(client, nek, items, query="?dry_run=true")
    real = post_batch(client, nek, items)

    assert (dry.status_code, dry.json["errors"], dry.json["rule_errors"]) == (
        real.status_code, real.json["errors"], real.json["rule_errors"])
    assert (dry.status_code, event_count(client, nek)) == (422, 1)


def test_the_idempotency_key_covers_the_whole_batch(client: FlaskClient, nek: str) -> None:
    items = [expense_body(document_number=f"I-{n}") for n in range(3)]

    first = post_batch(client, nek, items, Idempotency_Key="import-1")
    again = post_batch(client, nek, items, Idempotency_Key="import-1")
    other = post_batch(client, nek, items[:2], Idempotency_Key="import-1")

    assert (first.status_code, again.status_code, again.json, again.headers[
        "Idempotent-Replayed"]) == (201, 201, first.json, "true")
    assert other.status_code == 422
    assert event_count(client, nek) == 4


def test_a_dry_run_is_not_bound_to_an_idempotency_key(client: FlaskClient, nek: str) -> None:
    items = [expense_body(document_number=f"K-{n}") for n in range(2)]

    dry = post_batch(client, nek, items, query="?dry_run=true", Idempotency_Key="k-1")
    real = post_batch(client, nek, items, Idempotency_Key="k-1")

    assert (dry.status_code, real.status_code, "Idempotent-Replayed" in real.headers) == (
        200, 201, False)
    assert event_count(client, nek) == 3


def test_a_refused_batch_is_replayed_for_its_idempotency_key(client: FlaskClient,
                                                             nek: str) -> None:
    items = [expense_body(document_number="R-1"), expense_body(document_number="R-1")]

    first = post_batch(client, nek, items, Idempotency_Key="refused-1")
    again = post_batch(client, nek, items, Idempotency_Key="refused-1")

    assert (first.status_code, again.status_code, again.json) == (409, 409, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_an_empty_batch_and_one_over_1000_are_422(client: FlaskClient, nek: str) -> None:
    empty = post_batch(client, nek, [])
    too_many = post_batch(client, nek, [expense_body()] * 1001)
    not_a_list = post(client, project_path(nek, "expenses/batch"), {"expenses": {}},
                      "accountant")

    assert [(r.status_code, r.json["errors"]) for r in (empty, too_many)] == [
        (422, {"expenses": ["Length must be between 1 and 1000."]})] * 2
    assert (not_a_list.status_code, list(not_a_list.json["errors"])) == (422, ["expenses"])


def test_a_batch_for_an_unknown_project_is_404_and_a_viewer_may_not_post_one(
        client: FlaskClient, nek: str) -> None:
    unknown = post_batch(client, str(UUID(int=7)), [expense_body()])
    viewer = post_batch(client, nek, [expense_body()], role="viewer")

    assert (unknown.status_code, viewer.status_code) == (404, 403)


def test_more_than_ten_attachments_on_an_item_are_refused_in_a_batch(client: FlaskClient,
                                                                      nek: str) -> None:
    attachment = {"kind": "invoice", "file_name": "f.pdf", "sha256": "ab" * 32}

    response = post_batch(client, nek, [expense_body(attachments=[attachment] * 11)])

    assert (response.status_code, response.json["errors"]) == (422, {"0": {"attachments": [
        "At most 10 attachments in a batch: record an expense with more alone."]}})


# ---- the body limit ---------------------------------------------------------------------


def largest_item(n: int, line: str, activity: str) -> dict[str, Any]:
    """An expense with every field at its longest, in Czech letters (two bytes in UTF-8)."""
    attachment = {"kind": "ž" * 64, "file_name": "ž" * 255, "sha256": "a" * 64}
    return {
        "expense_id": str(uuid4()), "document_number": f"{n:04d}" + "ž" * 60,
        "document_type": "advance_invoice",
        "supplier": {"name": "ž" * 500, "ico": "ž" * 64, "country": "DE"},
        "description": "ž" * 2000, "budget_line": line, "activity": activity,
        "tax_point_date": "2016-12-31", "amount_net": "999999999999.99",
        "vat": "999999999999.99", "eligible_amount": "999999999999.99",
        "paid_on": "2016-12-31", "attachments": [attachment] * 10,
    }


def test_1000_expenses_of_the_largest_size_fit_the_batch_body_limit(client: FlaskClient) -> None:
    line, activity = "Ř" * 64, "Š" * 64
    registration = nek_registration(
        budget_lines=[{"code": line, "name": "Řádek", "amount": "1000.00"}],
        activities=[{"code": activity, "title": "Š", "planned_start": "2016-04-01",
                     "planned_end": "2018-03-31"}], milestones=[], max_subsidy="500.00")
    project_id = register_nek(client, **registration)
    body = json.dumps({"expenses": [largest_item(n, line, activity) for n in range(1000)]},
                      ensure_ascii=False, indent=2).encode()

    response = client.post(project_path(project_id, "expenses/batch?dry_run=true"), data=body,
                           content_type="application/json",
                           headers=auth("accountant"))

    assert 13 * 1024 * 1024 < len(body) <= BATCH_MAX_BODY_BYTES
    assert (response.status_code, len(response.json["expenses"])) == (200, 1000)


def test_a_batch_body_beyond_its_limit_is_413_and_records_nothing(client: FlaskClient,
                                                                  nek: str) -> None:
    item = expense_body()
    padding = BATCH_MAX_BODY_BYTES + 1 - len(json.dumps({"expenses": [item]}).encode())
    body = json.dumps({"expenses": [{**item, "description": "x" * (len(item["description"])
                                                                    + padding)}]}).encode()

    response = client.post(project_path(nek, "expenses/batch"), data=body,
                           content_type="application/json",
                           headers=auth("accountant"))

    assert (len(body), response.status_code, response.json["status"]) == (
        BATCH_MAX_BODY_BYTES + 1, 413, 413)
    assert event_count(client, nek) == 1


def test_the_raised_limit_is_the_batch_endpoints_alone(client: FlaskClient, nek: str) -> None:
    description = "x" * (1536 * 1024)

    single = post(client, project_path(nek, "expenses"), expense_body(description=description),
                  "accountant")
    batch = post_batch(client, nek, [expense_body(description=description)])

    assert (single.status_code, batch.status_code) == (413, 422)
    assert batch.json["errors"] == {"0": {"description": ["Longer than 2000 characters."]}}


def test_the_openapi_document_describes_the_batch_body_and_its_answers(
        client: FlaskClient) -> None:
    document = client.get("/openapi.json").json

    operation = document["paths"]["/api/v1/projects/{project_id}/expenses/batch"]["post"]
    items = document["components"]["schemas"]["RecordExpenses"]["properties"]["expenses"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RecordExpenses"}
    assert items["items"] == {"$ref": "#/components/schemas/BatchExpense"}
    assert {"200", "201", "409", "413", "422"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["dry_run"]
