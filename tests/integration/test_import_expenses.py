"""`grantledger import expenses` against the service (the Flask app, through httpx's WSGI
transport): files as Czech and English spreadsheet programs save them, refused rows reported
by row and column, chunks all or nothing, runs again and after interruptions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from api_builders import NEK_NUMBER, get, post, project_path, record_expense, register_nek
from flask import Flask
from flask.testing import FlaskClient
from support import auth

from service.cli.importer import ImportOptions, import_expenses

HEADINGS_CS = ["Číslo dokladu", "Typ dokladu", "Dodavatel", "IČO dodavatele",
               "Země dodavatele", "Popis", "Rozpočtová položka", "Aktivita", "DUZP",
               "Částka bez DPH", "DPH", "Způsobilá částka", "Datum úhrady"]
HEADINGS_EN = ["Document number", "Document type", "Supplier", "Supplier IČO",
               "Supplier country", "Description", "Budget line", "Activity", "Tax point date",
               "Net amount", "VAT", "Eligible amount", "Paid on"]
# The same four expenses as a Czech program writes them, as an English one does, and as
# workbook cells (numbers as floats, dates as date cells, an IČO that lost its leading zero).
CZECH = [
    ["FV-2016-0042", "faktura", "Fraunhofer-Gesellschaft", "", "DE",
     "Společný workshop, Stuttgart", "TRAVEL", "3.4", "15.06.2016", "100 000,00", "0", "",
     "30. 6. 2016"],
    ["FV-2016-0107", "zálohová faktura", "EGÚ Brno, a.s.", "46900896", "CZ",
     "Studie – energetické systémy", "EXTERNAL_SERVICES", "", "20. 9. 2016",
     "650\u00a0000,50", "136 500,11", "", ""],
    ["PR-2016-06", "mzdy", "Národní energetický klastr, z.s.", "01234567", "",
     "Mzdy – červen", "PERSONNEL", "", "30.6.2016", "540000", "", "", "12.7.2016"],
    ["NS-2017-0003", "faktura", "Technologický park Praha, a.s.", "26201968", "CZ",
     "Nájem Q1/2017", "RENT", "", "31.03.2017", "1 500,5", "315,11", "1 200,00", "31.03.2017"],
]
ENGLISH = [
    ["FV-2016-0042", "invoice", "Fraunhofer-Gesellschaft", "", "DE",
     "Společný workshop, Stuttgart", "TRAVEL", "3.4", "2016-06-15", "100,000.00", "0.00", "",
     "2016-06-30"],
    ["FV-2016-0107", "advance_invoice", "EGÚ Brno, a.s.", "46900896", "CZ",
     "Studie – energetické systémy", "EXTERNAL_SERVICES", "", "2016-09-20", "650,000.50",
     "136,500.11", "", ""],
    ["PR-2016-06", "payroll", "Národní energetický klastr, z.s.", "01234567", "",
     "Mzdy – červen", "PERSONNEL", "", "2016-06-30", "540000", "", "", "2016-07-12"],
    ["NS-2017-0003", "internal document", "Technologický park Praha, a.s.", "26201968", "CZ",
     "Nájem Q1/2017", "RENT", "", "2017-03-31", "1500.50", "315.11", "1,200.00",
     "2017-03-31"],
]
CELLS = [
    ["FV-2016-0042", "faktura", "Fraunhofer-Gesellschaft", None, "DE",
     "Společný workshop, Stuttgart", "TRAVEL", "3.4", datetime(2016, 6, 15), 100000.0, 0,
     None, datetime(2016, 6, 30)],
    ["FV-2016-0107", "Zálohová faktura", "EGÚ Brno, a.s.", 46900896, "CZ",
     "Studie – energetické systémy", "EXTERNAL_SERVICES", None, datetime(2016, 9, 20),
     650000.5, 136500.11, None, None],
    ["PR-2016-06", "mzdy", "Národní energetický klastr, z.s.", 1234567, None,
     "Mzdy – červen", "PERSONNEL", None, "30.6.2016", 540000, None, None,
     datetime(2016, 7, 12)],
    ["NS-2017-0003", "faktura", "Technologický park Praha, a.s.", 26201968, "CZ",
     "Nájem Q1/2017", "RENT", None, datetime(2017, 3, 31), 1500.5, 315.11, 1200,
     datetime(2017, 3, 31)],
]
CZECH[3][1] = ENGLISH[3][1] = CELLS[3][1] = "interní doklad"

NEK_LINE_CODES = ("PERSONNEL, EXTERNAL_SERVICES, TRAVEL, MARKETING_PROMOTION, "
                  "SEMINARS_CONFERENCES, RENT")


def write_csv(path: Path, headings: list[str], rows: list[list[Any]], *, delimiter: str,
              encoding: str) -> Path:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows([headings, *rows])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, headings: list[str], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [headings, *rows]:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def service(app: Flask) -> Iterator[httpx.Client]:
    """The service as the import reaches it, with an accountant's token."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://ledger.test",
                      headers=auth("accountant")) as client:
        yield client


def run(client: httpx.Client, path: Path, project: str, **options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = import_expenses(ImportOptions(path, project, progress=False, **options), client,
                           out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ledger_rows(client: FlaskClient, project_id: str) -> list[tuple[Any, ...]]:
    """The project's expenses as they would read the same in any ledger: no ids, no moments."""
    expenses = get(client, project_path(project_id, "expenses?limit=1000")).json["expenses"]
    return [(e["document_number"], e["document_type"], e["supplier"]["name"],
             e["supplier"]["ico"], e["supplier"]["country"], e["description"], e["budget_line"],
             e["activity"], e["tax_point_date"], e["amount_net"], e["vat"], e["eligible_amount"],
             e["paid_on"], e["status"]) for e in expenses]


def events(client: FlaskClient, project_id: str) -> int:
    return len(get(client, project_path(project_id, "events?limit=1000"), "auditor")
               .json["events"])


def test_a_windows_1250_csv_a_utf8_csv_with_bom_and_an_xlsx_of_the_same_rows_give_identical_ledgers(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    files = [
        write_csv(tmp_path / "cp1250.csv", HEADINGS_CS, CZECH, delimiter=";", encoding="cp1250"),
        write_csv(tmp_path / "bom.csv", HEADINGS_EN, ENGLISH, delimiter=",",
                  encoding="utf-8-sig"),
        write_xlsx(tmp_path / "cells.xlsx", HEADINGS_CS, CELLS),
    ]
    projects = [register_nek(client, registration_number=f"{NEK_NUMBER}-{n}")
                for n in range(3)]

    outcomes = [run(service, path, project)[0] for path, project in zip(files, projects,
                                                                           strict=True)]

    ledgers = [ledger_rows(client, project) for project in projects]
    assert outcomes == [0, 0, 0]
    assert ledgers[0] == ledgers[1] == ledgers[2] == [
        ("FV-2016-0042", "invoice", "Fraunhofer-Gesellschaft", None, "DE",
         "Společný workshop, Stuttgart", "TRAVEL", "3.4", "2016-06-15", "100000.00", "0.00",
         "100000.00", "2016-06-30", "active"),
        ("FV-2016-0107", "advance_invoice", "EGÚ Brno, a.s.", "46900896", "CZ",
         "Studie – energetické systémy", "EXTERNAL_SERVICES", None, "2016-09-20",
         "650000.50", "136500.11", "650000.50", None, "active"),
        ("PR-2016-06", "payroll", "Národní energetický klastr, z.s.", "01234567", "CZ",
         "Mzdy – červen", "PERSONNEL", None, "2016-06-30", "540000.00", "0.00", "540000.00",
         "2016-07-12", "active"),
        ("NS-2017-0003", "internal", "Technologický park Praha, a.s.", "26201968", "CZ",
         "Nájem Q1/2017", "RENT", None, "2017-03-31", "1500.50", "315.11", "1200.00",
         "2017-03-31", "active"),
    ]


def test_a_file_with_bad_rows_reports_each_by_row_and_column_and_records_nothing_of_their_chunks(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    rows = [[f"FV-{n}", "faktura", "Alfa, s.r.o.", "12345678", "CZ", "Letenky", "TRAVEL", "",
             "1.7.2016", "1 000,00", "210,00", "", ""] for n in range(1, 8)]
    rows[3][9] = "1 000,005"         # row 5: not an amount of haléře   (chunk 2: rows 5–7)
    rows[6][6] = "CATERING"          # row 8: no such line               (chunk 3: row 8)
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, rows, delimiter=";",
                     encoding="cp1250")

    code, out, _ = run(service, path, project_id, chunk_rows=3)

    assert code == 1
    assert out.splitlines()[:2] == [
        "row 5, Částka bez DPH: '1 000,005' is not a whole number of haléře: round it to two "
        "decimal places in the sheet",
        f"row 8, Rozpočtová položka: the project has no budget line 'CATERING' (it has: "
        f"{NEK_LINE_CODES})"]
    assert (tmp_path / "vydaje.refused.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "Row;Column;Message",
        "5;Částka bez DPH;'1 000,005' is not a whole number of haléře: round it to two decimal "
        "places in the sheet",
        f"8;Rozpočtová položka;the project has no budget line 'CATERING' (it has: "
        f"{NEK_LINE_CODES})"]
    assert [row[0] for row in ledger_rows(client, project_id)] == ["FV-1", "FV-2", "FV-3"]
    assert "        2 not recorded: in a chunk with refused rows" in out.splitlines()


def test_a_second_run_of_the_same_file_records_nothing(client: FlaskClient,
                                                       service: httpx.Client,
                                                       tmp_path: Path) -> None:
    project_id = register_nek(client)
    path = write_xlsx(tmp_path / "vydaje.xlsx", HEADINGS_CS, CELLS)
    run(service, path, NEK_NUMBER, chunk_rows=3)
    before = events(client, project_id)

    code, out, _ = run(service, path, NEK_NUMBER, chunk_rows=3)

    assert (code, events(client, project_id), before) == (0, 5, 5)
    assert out.splitlines()[1:3] == ["        0 recorded", "        4 already recorded, skipped"]


def test_a_corrected_file_records_the_rest_and_the_same_document_with_other_amounts_is_refused(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    rows = [row[:] for row in CZECH]
    rows[1][9] = "oops"
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, rows, delimiter=";", encoding="utf-8")
    first = run(service, path, project_id, chunk_rows=2)[0]
    rows[1][9] = "650 000,50"        # corrected
    rows[2][9] = "540 001"           # the payroll again, with another amount
    write_csv(path, HEADINGS_CS, rows, delimiter=";", encoding="utf-8")

    code, out, _ = run(service, path, project_id, chunk_rows=2)

    assert (first, code) == (1, 1)
    refusal = out.splitlines()[0]
    assert refusal.startswith("row 4: DOUBLE_FINANCING: this supplier's document is already "
                              "recorded on the same line as expense ")
    assert refusal.endswith("(recorded with net 540000.00, VAT 0.00, eligible 540000.00)")
    assert [row[0] for row in ledger_rows(client, project_id)] == [
        "PR-2016-06", "NS-2017-0003", "FV-2016-0042", "FV-2016-0107"]


class LosesTheService(httpx.BaseTransport):
    """The service behind a connection that loses the answer to batch number `lost` (after
    the service has handled it) and then, if `stays_down`, every request after it."""

    def __init__(self, app: Flask, lost: int, *, stays_down: bool) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.lost, self.stays_down, self.batches = lost, stays_down, 0
        self.down = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/expenses/batch"):
            self.batches += 1
            if self.batches == self.lost:
                self.down = self.stays_down
                raise httpx.ReadError("connection reset before the answer", request=request)
        return response


def test_a_chunk_whose_answer_was_lost_is_sent_again_under_its_key_and_recorded_once(
        app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    project_id = register_nek(client)
    path = write_xlsx(tmp_path / "vydaje.xlsx", HEADINGS_CS, CELLS)
    flaky = httpx.Client(transport=LosesTheService(app, lost=2, stays_down=False),
                         base_url="http://ledger.test",
                         headers=auth("accountant"))

    code, out, _ = run(flaky, path, project_id, chunk_rows=2)

    assert (code, events(client, project_id), out.splitlines()[1]) == (
        0, 5, "        4 recorded")


def test_an_interrupted_import_run_again_records_each_row_once(
        app: Flask, client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, CZECH, delimiter=";",
                     encoding="cp1250")
    going = httpx.Client(transport=LosesTheService(app, lost=1, stays_down=True),
                         base_url="http://ledger.test",
                         headers=auth("accountant"))
    interrupted, _, said = run(going, path, project_id, chunk_rows=2)
    recorded_before_rerun = len(ledger_rows(client, project_id))

    code, out, _ = run(service, path, project_id, chunk_rows=2)

    assert (interrupted, recorded_before_rerun, code) == (2, 2, 0)
    assert said.startswith("grantledger import: cannot reach the service at "
                           "http://ledger.test (connection refused); run the import again")
    assert out.splitlines()[1:3] == ["        2 recorded", "        2 already recorded, skipped"]
    assert sorted(row[0] for row in ledger_rows(client, project_id)) == sorted(
        row[0] for row in CZECH)
    assert events(client, project_id) == 5


def test_a_refusal_of_an_earlier_run_is_decided_again_once_the_ledger_changed(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    old = record_expense(client, project_id, "PERSONNEL", "1.00", document_number="PR-2016-06",
                         supplier={"name": "NEK", "ico": "01234567", "country": "CZ"})
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, CZECH, delimiter=";",
                     encoding="utf-8")
    refused = run(service, path, project_id)[0]
    reversal = post(client, project_path(project_id, f"expenses/{old}/reversal"),
                    {"reason": "booked with a wrong amount"}, "accountant")

    code, out, _ = run(service, path, project_id)

    assert (refused, reversal.status_code, code) == (1, 200, 0)
    assert out.splitlines()[1] == "        4 recorded"


def test_a_dry_run_records_nothing_and_says_what_would_be_recorded(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    path = write_xlsx(tmp_path / "vydaje.xlsx", HEADINGS_CS, CELLS)

    code, out, _ = run(service, path, project_id, dry_run=True)
    after_dry_run = events(client, project_id)
    real = run(service, path, project_id)[0]

    assert (code, after_dry_run, real, events(client, project_id)) == (0, 1, 0, 5)
    assert out.splitlines()[1] == "        4 would be recorded (dry run)"


def test_a_dry_run_reports_the_rows_a_real_run_would_refuse(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    rows = [row[:] for row in CZECH]
    rows[0][7] = "9.9"
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, rows, delimiter=";", encoding="utf-8")

    code, out, _ = run(service, path, project_id, dry_run=True)

    assert (code, events(client, project_id)) == (1, 1)
    assert out.splitlines()[0] == ("row 2, Aktivita: the project has no activity '9.9' (it has: "
                                   "3, 3.4)")


def test_unknown_columns_are_refused_by_name_and_nothing_runs(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    register_nek(client)
    path = write_csv(tmp_path / "vydaje.csv", [*HEADINGS_CS, "Středisko"],
                     [[*CZECH[0], "100"]], delimiter=";", encoding="utf-8")

    code, out, err = run(service, path, NEK_NUMBER)

    assert (code, out) == (2, "")
    assert err.startswith("grantledger import: vydaje.csv: unknown column 'Středisko'; the "
                          "columns it reads are: Číslo dokladu, Typ dokladu, ")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("case", "said"), [
    ("missing file", "grantledger import: cannot read {path}: No such file or directory"),
    ("not a spreadsheet", "grantledger import: vydaje.xlsx: it is not an XLSX workbook"),
    ("bad token", "grantledger import: the service refused the token (a valid bearer token "
                  "is required); give an accountant's --token"),
    ("unknown project", "grantledger import: no project has the registration number "
                        "CZ.00/NONE"),
])
def test_an_import_that_cannot_run_exits_2_with_one_line(
        app: Flask, client: FlaskClient, service: httpx.Client, tmp_path: Path, case: str,
        said: str) -> None:
    register_nek(client)
    path = tmp_path / "vydaje.xlsx"
    if case != "missing file":
        path.write_bytes(b"PK not really a zip" if case == "not a spreadsheet"
                         else write_xlsx(path, HEADINGS_CS, CELLS).read_bytes())
    if case == "bad token":
        service.headers["Authorization"] = "Bearer wrong"

    code, out, err = run(service, path, "CZ.00/NONE" if case == "unknown project"
                         else NEK_NUMBER)

    assert (code, out, len(err.splitlines())) == (2, "", 1)
    assert err.startswith(said.format(path=path))


def test_an_import_without_a_service_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "vydaje.xlsx", HEADINGS_CS, CELLS)
    with httpx.Client(base_url="http://127.0.0.1:9", timeout=2) as nowhere:

        code, out, err = run(nowhere, path, NEK_NUMBER)

    assert (code, out) == (2, "")
    assert err.startswith("grantledger import: cannot reach the service at http://127.0.0.1:9")
    assert len(err.splitlines()) == 1


def test_the_template_filled_with_three_rows_is_imported(client: FlaskClient,
                                                          service: httpx.Client,
                                                          tmp_path: Path) -> None:
    project_id = register_nek(client)
    template = get(client, project_path(project_id, "templates/expenses"), "accountant").data
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["Výdaje"]
    for row in CELLS[:3]:
        sheet.append(row)
    path = tmp_path / "OPEIC-sablona-vydaju.xlsx"
    book.save(path)

    code, out, _ = run(service, path, NEK_NUMBER)

    assert (code, out.splitlines()[:3]) == (0, [
        "OPEIC-sablona-vydaju.xlsx: 3 rows", "        3 recorded",
        "        0 already recorded, skipped"])
    assert [row[0] for row in ledger_rows(client, project_id)] == [r[0] for r in CELLS[:3]]


def test_an_ambiguous_amount_in_a_decimal_comma_file_is_refused_not_guessed(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    rows = [row[:] for row in CZECH[:2]]
    rows[1][9] = "1,234"  # the other row's amounts use a decimal comma
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, rows, delimiter=";", encoding="utf-8")

    code, out, _ = run(service, path, project_id)

    assert (code, out.splitlines()[0]) == (1, (
        "row 3, Částka bez DPH: '1,234' is ambiguous: the file's amounts use ',' as the "
        "decimal separator, so is it 1234 or a slip for 1,23? Write 1234,00 (or 1 234) for "
        "the thousands"))
    assert events(client, project_id) == 1


def test_a_dry_run_warns_of_ineligible_tax_points_and_wrong_ico_check_digits(
        client: FlaskClient, service: httpx.Client, tmp_path: Path) -> None:
    project_id = register_nek(client)
    rows = [row[:] for row in CZECH[1:2]]
    rows[0][8] = "15.3.2016"  # before NEK's realisation starts (2016-04-01)
    rows[0][3] = "46900897"  # one digit off EGÚ Brno's IČO
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, rows, delimiter=";", encoding="utf-8")

    code, out, err = run(service, path, project_id, dry_run=True)

    assert (code, err.splitlines()) == (0, [
        "warning: row 2, DUZP: 15.03.2016 is before the eligibility window 01.04.2016 – "
        "31.03.2018: the expense will be recorded but count as ineligible",
        "warning: row 2, IČO dodavatele: 46900897 is not a valid IČO (its check digit is "
        "wrong): check it against the business register (ARES)"])
    assert out.splitlines()[:2] == ["vydaje.csv: 1 row",
                                    "        1 would be recorded (dry run)"]
    assert "        2 warnings (above)" in out.splitlines()
