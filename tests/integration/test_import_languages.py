"""`grantledger import expenses` in Czech and in English: the same file, run in each language,
says the same things in each, word for word (the file's own headings name the columns, and
what the service says of a refused row is quoted as it wrote it)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_builders import NEK_NUMBER, register_nek
from flask import Flask
from flask.testing import FlaskClient
from support import auth
from test_import_expenses import CZECH, HEADINGS_CS, NEK_LINE_CODES, write_csv

import service.cli.importer as importer
from service.cli.importer import ImportOptions, import_expenses


class SteadyClock:
    """The clock as the import reads it: each reading `step` seconds after the last, so that
    the summary's time and rate are the same on every run."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now

    sleep = staticmethod(time.sleep)


@pytest.fixture
def ledger(app: Flask) -> Iterator[httpx.Client]:
    """The service as the import reaches it, with an accountant's token."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://ledger.test",
                      headers=auth("accountant")) as client:
        yield client


@pytest.fixture
def steady(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "time", SteadyClock(0.2))


def run(client: httpx.Client, path: Path, project: str, lang: str,
        **options: Any) -> tuple[int, list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = import_expenses(ImportOptions(path, project, progress=False, lang=lang, **options),
                           client, out=out, err=err)
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


def file_with_refusals(tmp_path: Path) -> Path:
    """Five rows in chunks of two: rows 2 and 3 recorded; row 4's amount is not whole haléře,
    which holds row 5 back; row 6's line is one the project does not have."""
    rows = [row[:] for row in CZECH]
    rows[2][9] = "540 000,005"
    catering = [*CZECH[0][:6], "CATERING", *CZECH[0][7:]]
    catering[0] = "FV-2016-0043"
    return write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, [*rows, catering], delimiter=";",
                     encoding="utf-8")


NO_LINE = f"the project has no budget line 'CATERING' (it has: {NEK_LINE_CODES})"
REFUSED = {
    "cs": (["řádek 4, Částka bez DPH: '540 000,005' není celý počet haléřů: zaokrouhlete ji v "
            "tabulce na dvě desetinná místa",
            f"řádek 6, Rozpočtová položka: {NO_LINE}",
            "vydaje.csv: 5 řádků",
            "        2 řádky zaznamenány",
            "        0 řádků už zaznamenáno, přeskočeno",
            "        2 řádky odmítnuty (viz {report})",
            "        1 řádek nezaznamenán: v dávce s odmítnutými řádky",
            "za 0,2 s (25 řádků/s)"],
           ["Řádek;Sloupec;Zpráva",
            "4;Částka bez DPH;'540 000,005' není celý počet haléřů: zaokrouhlete ji v tabulce "
            "na dvě desetinná místa",
            f"6;Rozpočtová položka;{NO_LINE}"]),
    "en": (["row 4, Částka bez DPH: '540 000,005' is not a whole number of haléře: round it to "
            "two decimal places in the sheet",
            f"row 6, Rozpočtová položka: {NO_LINE}",
            "vydaje.csv: 5 rows",
            "        2 recorded",
            "        0 already recorded, skipped",
            "        2 refused (see {report})",
            "        1 not recorded: in a chunk with refused rows",
            "in 0.2 s (25 rows/s)"],
           ["Row;Column;Message",
            "4;Částka bez DPH;'540 000,005' is not a whole number of haléře: round it to two "
            "decimal places in the sheet",
            f"6;Rozpočtová položka;{NO_LINE}"]),
}


@pytest.mark.parametrize("lang", ["cs", "en"])
def test_a_run_with_refused_rows_says_it_all_in_its_language(
        client: FlaskClient, ledger: httpx.Client, tmp_path: Path, steady: None,
        lang: str) -> None:
    project_id = register_nek(client)
    path = file_with_refusals(tmp_path)
    report = tmp_path / "vydaje.refused.csv"

    code, out, err = run(ledger, path, project_id, lang, chunk_rows=2)

    said, refused_file = REFUSED[lang]
    assert (code, out, err) == (1, [line.format(report=report) for line in said], [])
    assert report.read_text(encoding="utf-8-sig").splitlines() == refused_file


DRY_RUN = {
    "cs": (["vydaje.csv: 1 řádek",
            "        1 řádek by byl zaznamenán (zkušební běh)",
            "        0 řádků už zaznamenáno, přeskočeno",
            "        2 varování (výše)",
            "za 0,2 s (5 řádků/s)"],
           ["varování: řádek 2, DUZP: 15.03.2016 je před obdobím způsobilosti 01.04.2016 – "
            "31.03.2018: výdaj bude zaznamenán, ale bude nezpůsobilý",
            "varování: řádek 2, IČO dodavatele: 46900897 není platné IČO (nesedí kontrolní "
            "číslice): ověřte ho v registru ekonomických subjektů (ARES)"]),
    "en": (["vydaje.csv: 1 row",
            "        1 would be recorded (dry run)",
            "        0 already recorded, skipped",
            "        2 warnings (above)",
            "in 0.2 s (5 rows/s)"],
           ["warning: row 2, DUZP: 15.03.2016 is before the eligibility window 01.04.2016 – "
            "31.03.2018: the expense will be recorded but count as ineligible",
            "warning: row 2, IČO dodavatele: 46900897 is not a valid IČO (its check digit is "
            "wrong): check it against the business register (ARES)"]),
}


@pytest.mark.parametrize("lang", ["cs", "en"])
def test_a_dry_run_warns_and_sums_up_in_its_language(
        client: FlaskClient, ledger: httpx.Client, tmp_path: Path, steady: None,
        lang: str) -> None:
    project_id = register_nek(client)
    row = CZECH[1][:]
    row[8], row[3] = "15.3.2016", "46900897"
    path = write_csv(tmp_path / "vydaje.csv", HEADINGS_CS, [row], delimiter=";",
                     encoding="utf-8")

    code, out, err = run(ledger, path, project_id, lang, dry_run=True)

    assert (code, out, err) == (0, *DRY_RUN[lang])


@pytest.mark.parametrize(("case", "said"), [
    ("missing file", "grantledger import: nelze přečíst {path}: soubor nebo adresář neexistuje"),
    ("not a spreadsheet", "grantledger import: vydaje.xlsx: není to sešit XLSX (není to soubor "
                          "ZIP)"),
    ("unknown project", "grantledger import: žádný projekt nemá registrační číslo CZ.00/NONE"),
])
def test_an_import_that_cannot_run_says_why_in_czech(
        client: FlaskClient, ledger: httpx.Client, tmp_path: Path, case: str,
        said: str) -> None:
    register_nek(client)
    path = tmp_path / ("vydaje.xlsx" if case == "not a spreadsheet" else "vydaje.csv")
    if case == "not a spreadsheet":
        path.write_bytes(b"PK not really a zip")
    elif case == "unknown project":
        write_csv(path, HEADINGS_CS, CZECH, delimiter=";", encoding="utf-8")

    code, out, err = run(ledger, path, "CZ.00/NONE" if case == "unknown project"
                         else NEK_NUMBER, "cs")

    assert (code, out, err) == (2, [], [said.format(path=path)])
