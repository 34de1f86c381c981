"""Spreadsheets out: the expense list, a claim's documents (soupiska), the views and the import
template, read back with openpyxl and csv; every figure equal to the JSON the API answers."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from api_builders import claim_body, command, get, project_path, record_expense, register_nek
from flask import Flask
from flask.testing import FlaskClient
from openpyxl.worksheet.worksheet import Worksheet
from support import make_settings

from service.demo import NEK_NUMBER, load_demo
from service.web.app import create_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEMO_CLAIM = {"declared": "2240000.00", "excluded": "20000.00", "approved": "2220000.00"}


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo loaded once for the tests that only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'ledger.db'}"
    app = create_app(make_settings(url))
    load_demo(app.extensions["grantledger"], say=lambda _: None)
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    """A client of the demo's service (the tests here that write use `nek_client`)."""
    return demo_app.test_client()


@pytest.fixture
def demo(demo_app: Flask) -> str:
    """The demo's NEK project (claim 1 approved with an exclusion, claim 2 submitted)."""
    return str(demo_app.extensions["grantledger"].id_for(NEK_NUMBER))


def sheets(content: bytes) -> dict[str, Worksheet]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: sheet for sheet in book.worksheets}


def rows(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def as_json(value: Any) -> Any:
    """A cell as the JSON API writes the same figure: numbers as exact decimals (Excel's
    doubles read back through their shortest repr), dates as dates."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Decimal(repr(value))
    if isinstance(value, datetime):
        return value.date()
    return value


def same(json_value: Any, cell: Any) -> bool:
    """A JSON figure and a cell hold the same value."""
    cell = as_json(cell)
    if json_value is None or isinstance(json_value, bool):
        return bool(cell is json_value or (json_value is None and cell == ""))
    if isinstance(cell, Decimal):
        return Decimal(str(json_value)) == cell
    if isinstance(cell, date):
        return date.fromisoformat(json_value) == cell
    return bool(str(json_value) == cell)


def at(document: dict[str, Any], dotted: str) -> Any:
    """A figure of a JSON document by its dotted name; a list of values as one text."""
    value: Any = document
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return " ".join(map(str, value)) if isinstance(value, list) else value


def by_heading(sheet_rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    heading, *body = sheet_rows
    return [dict(zip(heading, row, strict=True)) for row in body]


# ---- the expense list -------------------------------------------------------------------


def all_expenses(client: FlaskClient, project_id: str, query: str = "") -> list[dict[str, Any]]:
    expenses: list[dict[str, Any]] = get(client, project_path(
        project_id, f"expenses?limit=1000{query}")).json["expenses"]
    return expenses


def test_the_expense_list_as_csv_holds_every_expense_as_the_json_list_writes_it(
        client: FlaskClient, demo: str) -> None:
    response = get(client, project_path(demo, "expenses?format=csv"))

    read = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = all_expenses(client, demo)
    assert (response.status_code, response.mimetype, len(read)) == (200, "text/csv",
                                                                    len(expected))
    assert [(r["expense_id"], r["document_number"], r["supplier_name"], r["supplier_ico"],
             r["tax_point_date"], r["amount_net"], r["vat"], r["eligible_amount"],
             r["paid_on"], r["time_eligible"], r["claim_number"]) for r in read] == [
        (e["expense_id"], e["document_number"], e["supplier"]["name"],
         e["supplier"]["ico"] or "", e["tax_point_date"], e["amount_net"], e["vat"],
         e["eligible_amount"], e["paid_on"] or "", str(e["time_eligible"]).lower(),
         e["claim_number"] or "") for e in expected]


def test_the_expense_list_as_xlsx_by_accept_header_has_numbers_and_dates(
        client: FlaskClient, demo: str) -> None:
    response = get(client, project_path(demo, "expenses"), Accept=XLSX)

    sheet = sheets(response.data)["expenses"]
    read = by_heading(rows(sheet))
    expected = all_expenses(client, demo)
    assert (response.status_code, response.mimetype) == (200, XLSX)
    assert all(same(e[field], r[field]) for e, r in zip(expected, read, strict=True)
               for field in ("expense_id", "amount_net", "vat", "eligible_amount",
                             "tax_point_date", "paid_on", "status", "time_eligible"))
    assert (sheet["L2"].data_type, sheet["L2"].number_format, sheet["K2"].is_date) == (
        "n", '#,##0.00 "Kč"', True)


def test_an_expense_file_takes_the_filters_and_every_page(client: FlaskClient,
                                                          demo: str) -> None:
    response = get(client, project_path(demo, "expenses?format=csv&line=TRAVEL&limit=1"))

    read = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["expense_id"] for r in read] == [
        e["expense_id"] for e in all_expenses(client, demo, "&line=TRAVEL")]
    assert len(read) > 1


def test_an_expense_file_is_a_download_named_after_the_project_and_its_version(
        client: FlaskClient, demo: str) -> None:
    version = get(client, project_path(demo)).json["version"]

    response = get(client, project_path(demo, "expenses"), Accept="text/csv")

    assert (response.headers["Content-Disposition"], response.headers["Vary"]) == (
        f'attachment; filename="OPEIC-expenses-v{version}.csv"', "Accept")


def test_the_json_list_stays_the_answer_without_a_format_or_for_any_accept(
        client: FlaskClient, demo: str) -> None:
    plain = get(client, project_path(demo, "expenses?limit=2"), Accept="*/*")

    assert (plain.status_code, plain.mimetype, len(plain.json["expenses"])) == (
        200, "application/json", 2)


# ---- the views --------------------------------------------------------------------------

SHEETS = {"budget": ["summary", "lines", "flags"],
          "subsidy": ["summary", "claims", "claims.exclusions", "claims.payouts", "flags"],
          "schedule": ["summary", "activities", "milestones", "reports", "flags"],
          "indicators": ["summary", "indicators", "flags"]}


@pytest.mark.parametrize("view", ["budget", "subsidy", "schedule", "indicators"])
def test_a_view_as_a_workbook_holds_every_figure_of_the_json_view(
        client: FlaskClient, demo: str, view: str) -> None:
    document = get(client, project_path(demo, f"views/{view}?on=2018-03-01")).json

    response = get(client, project_path(demo, f"views/{view}?on=2018-03-01&format=xlsx"))

    book = sheets(response.data)
    assert (response.status_code, response.mimetype) == (200, XLSX)
    summary = dict(rows(book["summary"])[1:])
    for key, value in document.items():
        if isinstance(value, list) and key != "flags":
            listed = by_heading(rows(book[key]))
            assert len(listed) == len(value) + (key == "lines")  # the budget's totals row
            pairs = list(zip(value, listed, strict=False))  # the totals row aside
            assert all(same(at(item, heading), cell) for item, row in pairs
                       for heading, cell in row.items())
            assert all(name in row or any(h.startswith(f"{name}.") for h in row)
                       or f"{key}.{name}" in book  # a list of objects: a sheet of its own
                       for item, row in pairs for name in item)
        elif isinstance(value, dict):
            assert all(same(figure, summary[f"{key}.{name}"]) for name, figure in value.items()
                       if key != "totals")
        elif key != "flags":
            assert same(value, summary[key]), key
    flags = by_heading(rows(book["flags"]))
    assert [(f["rule"], f["message"]) for f in flags] == [
        (f["rule"], f["message"]) for f in document["flags"]]
    assert list(book) == SHEETS[view]


def test_the_budget_workbook_ends_its_lines_with_the_views_totals_in_czk_and_percent(
        client: FlaskClient, demo: str) -> None:
    totals = get(client, project_path(demo, "views/budget")).json["totals"]

    sheet = sheets(get(client, project_path(demo, "views/budget?format=xlsx")).data)["lines"]

    read = by_heading(rows(sheet))[-1]
    assert read["code"] == "total"
    assert all(same(figure, read[name]) for name, figure in totals.items())
    heading = [cell.value for cell in sheet[1]]
    money, ratio = heading.index("planned") + 1, heading.index("utilisation") + 1
    assert (sheet.cell(2, money).number_format, sheet.cell(2, ratio).number_format) == (
        '#,##0.00 "Kč"', "0.00%")


def test_the_subsidy_workbook_gives_each_claims_exclusions_a_sheet(client: FlaskClient,
                                                                   demo: str) -> None:
    book = sheets(get(client, project_path(demo, "views/subsidy?format=xlsx")).data)

    exclusions = by_heading(rows(book["claims.exclusions"]))

    assert [(x["claim_number"], as_json(x["amount"])) for x in exclusions] == [
        ("1", Decimal(DEMO_CLAIM["excluded"]))]


def test_a_view_workbook_as_of_a_past_moment_holds_the_past_figures(app: Flask) -> None:
    client = app.test_client()
    project_id = register_nek(client)
    record_expense(client, project_id, "TRAVEL", "250.00")
    as_of = get(client, project_path(project_id, "events"), "auditor").json["events"][-1][
        "recorded_at"]
    record_expense(client, project_id, "TRAVEL", "1000.00")
    past = get(client, project_path(project_id, f"views/budget?as_of={as_of}")).json

    book = sheets(get(client, project_path(project_id,
                                           f"views/budget?as_of={as_of}&format=xlsx")).data)

    summary = dict(rows(book["summary"])[1:])
    assert (summary["position"], summary["as_of"], past["totals"]["recorded"]) == (
        past["position"], past["as_of"], "250.00")
    assert same(past["totals"]["recorded"], by_heading(rows(book["lines"]))[-1]["recorded"])


# ---- the claim's documents (soupiska) -----------------------------------------------------


def test_the_soupiska_lists_the_claims_expenses_with_totals_equal_to_the_claims(
        client: FlaskClient, demo: str) -> None:
    claim = get(client, project_path(demo, "payment-claims/1")).json

    documents = get(client, project_path(demo, "payment-claims/1/documents")).json

    totals = documents["totals"]
    assert [d["expense_id"] for d in documents["documents"]] == claim["expense_ids"]
    assert [d["row"] for d in documents["documents"]] == [1, 2, 3, 4, 5, 6]
    assert (totals["eligible_declared"], totals["excluded"]) == (
        claim["declared_eligible"], DEMO_CLAIM["excluded"])
    assert (Decimal(totals["eligible_declared"]) - Decimal(totals["excluded"])
            == Decimal(claim["approved_eligible"]))
    assert [(d["document_number"], d["excluded"], d["exclusion_reason"])
            for d in documents["documents"] if d["excluded"] != "0.00"] == [
        ("FV-2016-0161", "20000.00", "Catering above the programme's limit per participant")]


def test_the_soupiska_workbook_is_in_czech_with_the_claims_figures(client: FlaskClient,
                                                                   demo: str) -> None:
    documents = get(client, project_path(demo, "payment-claims/1/documents")).json

    response = get(client, project_path(demo, "payment-claims/1/documents?format=xlsx"))

    sheet = rows(sheets(response.data)["Soupiska"])
    preamble = {row[0]: row[3] for row in sheet[:8]}  # labels in A, values in D
    heading = sheet[9]
    table = [dict(zip(heading, row, strict=True)) for row in sheet[10:]]
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="OPEIC-ZoP-1-soupiska.xlsx"')
    assert (preamble["Žádost o platbu"], as_json(preamble["Způsobilé výdaje deklarované"]),
            as_json(preamble["Způsobilé výdaje schválené"])) == (
        "1", Decimal(DEMO_CLAIM["declared"]), Decimal(DEMO_CLAIM["approved"]))
    assert heading[:4] == ("Poř. č.", "Číslo dokladu", "Typ dokladu", "Dodavatel")
    assert all(same(d["amount_net"], row["Částka bez DPH"]) and same(d["vat"], row["DPH"])
               and same(d["eligible_declared"], row["Způsobilé výdaje deklarované"])
               and same(d["tax_point_date"], row["DUZP"]) and same(d["ico"], row["IČO"])
               for d, row in zip(documents["documents"], table, strict=False))
    total = table[-1]
    assert (total["Poř. č."], as_json(total["Způsobilé výdaje deklarované"]),
            as_json(total["Vyloučeno"])) == ("Celkem", Decimal(DEMO_CLAIM["declared"]),
                                             Decimal(DEMO_CLAIM["excluded"]))
    assert [row["Typ dokladu"] for row in table[:2]] == ["mzdy", "faktura"]


def test_the_soupiska_csv_in_english_ends_with_its_totals_row(client: FlaskClient,
                                                              demo: str) -> None:
    documents = get(client, project_path(demo, "payment-claims/1/documents")).json

    response = get(client, project_path(demo, "payment-claims/1/documents?lang=en"),
                   Accept="text/csv")

    read = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="OPEIC-claim-1-documents.csv"')
    assert [r["Document number"] for r in read[:-1]] == [
        d["document_number"] for d in documents["documents"]]
    assert (read[-1]["No."], read[-1]["Net amount"], read[-1]["VAT"],
            read[-1]["Eligible declared"], read[-1]["Excluded"]) == (
        "Total", documents["totals"]["amount_net"], documents["totals"]["vat"],
        DEMO_CLAIM["declared"], DEMO_CLAIM["excluded"])


def test_a_claim_not_yet_approved_has_nothing_excluded_yet(app: Flask) -> None:
    client = app.test_client()
    nek = register_nek(client)
    expense = record_expense(client, nek, "TRAVEL", "1234.50")
    command(client, nek, "payment-claims", claim_body("7", [expense]))

    documents = get(client, project_path(nek, "payment-claims/7/documents")).json

    assert (documents["documents"][0]["excluded"], documents["totals"]["excluded"],
            documents["totals"]["eligible_declared"]) == (None, None, "1234.50")


def test_an_unknown_claim_has_no_documents(client: FlaskClient, demo: str) -> None:
    response = get(client, project_path(demo, "payment-claims/9/documents?format=xlsx"))

    assert (response.status_code, response.mimetype) == (404, "application/problem+json")


# ---- the import template ------------------------------------------------------------------


def test_the_templates_drop_downs_hold_the_projects_codes(client: FlaskClient,
                                                          demo: str) -> None:
    project = get(client, project_path(demo)).json

    response = get(client, project_path(demo, "templates/expenses"), "accountant")

    book = sheets(response.data)
    data = book["Výdaje"]
    heading = [cell.value for cell in data[1]]
    offered = {heading[next(iter(dv.sqref.ranges)).min_col - 1]: _listed(book, dv.formula1)
               for dv in data.data_validations.dataValidation}
    assert list(book) == ["Výdaje", "Pokyny", "Číselníky"]
    assert offered == {
        "Rozpočtová položka": [line["code"] for line in project["budget_lines"]],
        "Aktivita": [activity["code"] for activity in project["activities"]],
        "Typ dokladu": ["faktura", "zálohová faktura", "mzdy", "cestovní náhrady",
                        "interní doklad"],
    }
    assert {str(dv.sqref) for dv in data.data_validations.dataValidation} == {
        "B2:B10001", "G2:G10001", "H2:H10001"}


def _listed(book: dict[str, Worksheet], formula: str) -> list[Any]:
    sheet_name, _, cells = formula.lstrip("=").rpartition("!")
    sheet = book[sheet_name.strip("'")]
    return [row[0].value for row in sheet[cells.replace("$", "")]]


def test_the_template_in_english_names_the_columns_the_import_reads(client: FlaskClient,
                                                                    demo: str) -> None:
    response = get(client, project_path(demo, "templates/expenses?lang=en"), "accountant")

    heading = [cell.value for cell in sheets(response.data)["Expenses"][1]]
    assert heading == ["Document number", "Document type", "Supplier", "Supplier IČO",
                       "Supplier country", "Description", "Budget line", "Activity",
                       "Tax point date", "Net amount", "VAT", "Eligible amount", "Paid on"]
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="OPEIC-expenses-template.xlsx"')


def test_the_template_as_csv_is_its_heading_row_as_czech_spreadsheets_save_it(
        client: FlaskClient, demo: str) -> None:
    response = get(client, project_path(demo, "templates/expenses?format=csv"), "accountant")

    assert response.data.decode("utf-8") == (
        "\ufeffČíslo dokladu;Typ dokladu;Dodavatel;IČO dodavatele;Země dodavatele;Popis;"
        "Rozpočtová položka;Aktivita;DUZP;Částka bez DPH;DPH;Způsobilá částka;"
        "Datum úhrady\r\n")


def test_the_template_is_for_accountants(client: FlaskClient, demo: str) -> None:
    assert get(client, project_path(demo, "templates/expenses")).status_code == 403


# ---- the same state, the same bytes ----------------------------------------------------------

FILES = ["expenses?format=csv", "expenses?format=xlsx", "payment-claims/1/documents?format=xlsx",
         "payment-claims/1/documents?format=csv&lang=en", "views/budget?format=xlsx",
         "views/subsidy?format=xlsx", "views/schedule?format=xlsx&on=2018-03-01",
         "views/indicators?format=xlsx&on=2018-03-01",
         "templates/expenses", "templates/expenses?format=csv&lang=en"]


@pytest.mark.parametrize("path", FILES)
def test_two_exports_of_the_same_ledger_state_are_byte_identical(
        client: FlaskClient, demo: str, path: str) -> None:
    first = get(client, project_path(demo, path), "admin")
    second = get(client, project_path(demo, path), "admin")

    assert (first.status_code, first.data) == (200, second.data)


def test_a_workbook_is_dated_by_the_ledgers_last_event(client: FlaskClient, demo: str) -> None:
    events = get(client, project_path(demo, "events?limit=1000"), "auditor").json["events"]

    content = get(client, project_path(demo, "views/budget?format=xlsx")).data

    core = zipfile.ZipFile(io.BytesIO(content)).read("docProps/core.xml").decode()
    moment = events[-1]["recorded_at"][:19] + "Z"
    assert (f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{moment}</dcterms:created>" in core,
            f"<dcterms:modified xsi:type=\"dcterms:W3CDTF\">{moment}</dcterms:modified>"
            in core) == (True, True)


def test_the_openapi_document_describes_the_files(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]
    prefix = "/api/v1/projects/{project_id}"

    def content(path: str) -> set[str]:
        return set(paths[f"{prefix}/{path}"]["get"]["responses"]["200"]["content"])

    assert content("expenses") == {"application/json", "text/csv", XLSX}
    assert content("payment-claims/{claim_number}/documents") == {
        "application/json", "text/csv", XLSX}
    assert content("views/budget") == content("views/indicators") == {"application/json", XLSX}
    assert content("templates/expenses") == {"text/csv", XLSX}
