"""The fast load of an expense (schemas.fast_load) answers exactly as the schema's own load:
the same loaded dict for a well-formed body, the same error document for any other."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from api_builders import expense_body
from hypothesis import example, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, post_load

from schemas import BatchExpenseSchema, RecordExpenseSchema
from schemas.fast_load import FastLoading

SHA = "ab" * 32
ID = "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"
BODY: dict[str, Any] = {**expense_body(document_number="FV-2016-0001"), "expense_id": ID,
                        "eligible_amount": None}

ODD = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False),
                st.just([]), st.just({}), st.text(max_size=3))
TEXTS = st.one_of(st.sampled_from(["x", " x ", "", "   ", "a" * 64, "a" * 65, "ž" * 64,
                                   "a" * 500, "a" * 501, "a" * 2001, "\t3.4\n"]),
                 st.text(min_size=1, max_size=70), ODD)
AMOUNTS = st.one_of(st.sampled_from(["10.00", "0", "0.00", "-0.00", "-1", "0.001", "1.5",
                                     " 5 ", "999999999999.99", "1000000000000", "1e3", "",
                                     "12,50", "٣"]),
                    st.decimals("-1", "1e6", places=2).map(str), st.decimals(places=3).map(str),
                    st.integers(-10, 10**13), st.floats(allow_nan=False), ODD)
DAYS = st.one_of(st.sampled_from(["2016-06-15", "2016-02-29", "2015-02-29", "1900-01-01",
                                  "1899-12-31", "2199-12-31", "2200-01-01", "2016-6-15",
                                  "20160615", " 2016-06-15", "2016-06-15T00:00:00"]),
                 st.dates().map(str), ODD)
IDS = st.one_of(st.sampled_from([ID, ID.upper(), ID.replace("-", ""), f"urn:uuid:{ID}",
                                 f"{{{ID}}}", "not-an-id", ID[:-1]]),
                st.uuids().map(str), ODD)
ICOS = st.one_of(st.sampled_from(["12345678", "1234567", "ABCDEFGH", "１２３４５６７８",
                                  " 12345678 ", "", "  ", "123456789"]), ODD)
COUNTRIES = st.one_of(st.sampled_from(["CZ", "DE", "cz", "CZE", "", "CZ\n", "ČZ"]), ODD)
SUPPLIERS = st.one_of(
    st.fixed_dictionaries({"name": TEXTS}, optional={"ico": ICOS, "country": COUNTRIES,
                                                     "web": st.just("x")}), ODD)
ATTACHMENT = st.one_of(
    st.fixed_dictionaries({"kind": TEXTS, "file_name": TEXTS},
                          optional={"sha256": st.sampled_from([SHA, SHA.upper(), "xy" * 32,
                                                               SHA[:-2], f" {SHA} "])}),
    st.just({"kind": "invoice", "file_name": "a.pdf", "sha256": SHA}), ODD)
ATTACHMENTS = st.one_of(st.lists(ATTACHMENT, max_size=3),
                        st.integers(0, 12).map(lambda n: [BODY["attachments"][0]] * n), ODD)
VARIANTS = {
    "expense_id": IDS, "document_number": TEXTS, "budget_line": TEXTS, "activity": TEXTS,
    "description": TEXTS, "supplier": SUPPLIERS,
    "document_type": st.one_of(st.sampled_from(["invoice", "payroll", "Invoice", ""]), ODD),
    "tax_point_date": DAYS, "paid_on": DAYS, "amount_net": AMOUNTS, "vat": AMOUNTS,
    "eligible_amount": AMOUNTS, "attachments": ATTACHMENTS, "unexpected": st.just(1),
}


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    """The valid body with some fields changed or left out, or something else entirely."""
    changed = draw(st.sets(st.sampled_from(sorted(VARIANTS)), max_size=3))
    body = {**BODY, **{name: draw(VARIANTS[name]) for name in sorted(changed)}}
    for name in draw(st.sets(st.sampled_from(sorted(BODY)), max_size=1)):
        del body[name]
    return draw(st.one_of(st.just(body), ODD)) if draw(st.integers(0, 9)) == 0 else body


def outcome(load: Any, data: Any) -> tuple[str, Any]:
    try:
        return "loaded", load(data)
    except ValidationError as error:
        return "refused", (error.messages, error.valid_data)


@pytest.mark.parametrize("schema", [RecordExpenseSchema(), BatchExpenseSchema()],
                         ids=["single", "batch"])
@settings(max_examples=400, deadline=None)
@given(body=bodies())
@example(body={**BODY, "attachments": BODY["attachments"] * 11})  # over the batch's limit
@example(body={**BODY, "supplier": {"name": "Dodavatel", "ico": "1234"}})  # a Czech IČO
def test_a_body_loads_as_the_schema_loads_it(schema: FastLoading, body: Any) -> None:
    assert outcome(schema.load, body) == outcome(lambda data: Schema.load(schema, data), body)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(bodies(), max_size=4))
def test_a_batch_loads_as_the_schema_loads_it(items: list[Any]) -> None:
    schema = BatchExpenseSchema()
    assert (outcome(lambda data: schema.load(data, many=True), items)
            == outcome(lambda data: Schema.load(schema, data, many=True), items))


def test_a_well_formed_batch_is_read_without_the_schema_machinery(monkeypatch: Any) -> None:
    loads: list[str] = []
    do_load = Schema._do_load

    def spy(self: Schema, *args: Any, **kwargs: Any) -> Any:
        loads.append(type(self).__name__)
        return do_load(self, *args, **kwargs)

    monkeypatch.setattr(Schema, "_do_load", spy)
    schema = BatchExpenseSchema()
    items = [{**BODY, "expense_id": str(uuid.uuid4()), "supplier": {
        "name": "Dodavatel s.r.o.", "ico": "12345678"}} for _ in range(3)]
    loaded = schema.load(items, many=True)
    assert loads == []
    assert [item["supplier"] for item in loaded] == [
        {"name": "Dodavatel s.r.o.", "ico": "12345678", "country": "CZ"}] * 3
    assert loaded[0]["amount_net"] == Schema.load(schema, items[0])["amount_net"]
    items[1]["supplier"]["ico"] = "1234"
    with pytest.raises(ValidationError) as refused:
        schema.load(items, many=True)
    assert refused.value.messages == {1: {"supplier": {"ico": ["A Czech IČO is 8 digits."]}}}
    assert loads[0] == "BatchExpenseSchema"


def test_a_schema_with_hooks_it_cannot_run_is_refused_when_first_loaded() -> None:
    class Shouting(FastLoading):
        name = fields.String(required=True)

        @post_load
        def _loud(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return {"name": data["name"].upper()}

    with pytest.raises(TypeError, match="Shouting has load hooks the fast path cannot run"):
        Shouting().load({"name": "x"})
