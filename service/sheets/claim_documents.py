"""A payment claim's list of accounting documents (soupiska) as a table, in Czech or English,
with a totals row; the workbook's sheet also says which claim of which project it is."""

from __future__ import annotations

from typing import Any

from projections.ledger import ProjectState
from schemas.spreadsheets import CLAIM_DOCUMENT_COLUMNS, DOCUMENT_TYPE_NAMES, TOTAL
from service.sheets.tables import Cell, Column, Kind, Table

KINDS: dict[str, Kind] = {"integer": "integer", "date": "date", "money": "money"}
SHEET = {"cs": "Soupiska", "en": "Documents"}
PREAMBLE = {
    "cs": ("Projekt", "Registrační číslo", "Žádost o platbu", "Etapa", "Podána",
           "Schválena", "Způsobilé výdaje deklarované", "Způsobilé výdaje schválené"),
    "en": ("Project", "Registration number", "Payment claim", "Stage", "Submitted",
           "Approved", "Eligible declared", "Eligible approved"),
}


def claim_documents_table(documents: dict[str, Any], project: ProjectState, lang: str,
                          *, preamble: bool = True) -> Table:
    """The rows of `projections.claim_documents`, headed in `lang`, with their totals."""
    columns = tuple(Column(c.heading(lang), KINDS.get(c.kind, "text"))
                    for c in CLAIM_DOCUMENT_COLUMNS)
    rows = [tuple(_cell(row, c.field, lang) for c in CLAIM_DOCUMENT_COLUMNS)
            for row in documents["documents"]]
    totals = documents["totals"]
    total_row = tuple(TOTAL[lang] if c.field == "row" else totals.get(c.field)
                      for c in CLAIM_DOCUMENT_COLUMNS)
    return Table(SHEET[lang], columns, rows, total_row,
                 _preamble(documents["claim"], project, lang) if preamble else ())


def _cell(row: dict[str, Any], field: str, lang: str) -> Any:
    if field == "document_type":
        return DOCUMENT_TYPE_NAMES.get(row[field], {}).get(lang, row[field])
    return row[field]


def _preamble(claim: dict[str, Any], project: ProjectState,
              lang: str) -> tuple[tuple[str, Cell], ...]:
    values = (Cell(f"{project.acronym} – {project.title}", "text"),
              Cell(project.registration_number, "text"), Cell(claim["claim_number"], "text"),
              Cell(claim["stage"], "text"), Cell(claim["submitted_on"], "date"),
              Cell(claim["approved_on"], "date"), Cell(claim["declared_eligible"], "money"),
              Cell(claim["approved_eligible"], "money"))
    return tuple(zip(PREAMBLE[lang], values, strict=True))
