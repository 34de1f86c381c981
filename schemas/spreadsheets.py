"""The columns of the spreadsheets the service reads and writes, in Czech and English.

`IMPORT_COLUMNS` are what `grantledger import expenses` reads and what the import template
(`GET …/templates/expenses`) holds: each names the field of the expense body it fills.
`CLAIM_DOCUMENT_COLUMNS` are the columns of a payment claim's list of accounting documents
(soupiska). Headings are matched without regard to case, spaces or diacritics, and the field's
own name (`amount_net`, `supplier.name` or `supplier_name`) is accepted in either language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

LANGUAGES = ("cs", "en")


@dataclass(frozen=True)
class SheetColumn:
    """A column: the field it stands for, its heading in each language, what it holds
    (`text`, `money`, `date`, `document_type`, `code`, `ico`, `country`, `integer`), and for
    the import whether a row needs it, with a line of help."""

    field: str
    cs: str
    en: str
    kind: str = "text"
    required: bool = False
    help_cs: str = ""
    help_en: str = ""
    aliases: tuple[str, ...] = ()

    def heading(self, lang: str) -> str:
        return self.cs if lang == "cs" else self.en

    def help(self, lang: str) -> str:
        return self.help_cs if lang == "cs" else self.help_en

    @property
    def names(self) -> frozenset[str]:
        """Every heading that means this column, normalised (see `normalised_heading`)."""
        return frozenset(normalised_heading(name) for name in (
            self.cs, self.en, self.field, *self.aliases))


IMPORT_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("document_number", "Číslo dokladu", "Document number", required=True,
                help_cs="číslo dokladu v účetnictví", help_en="as in the accounts"),
    SheetColumn("document_type", "Typ dokladu", "Document type", "document_type", True,
                "faktura, zálohová faktura, mzdy, cestovní náhrady nebo interní doklad",
                "invoice, advance_invoice, payroll, travel or internal"),
    SheetColumn("supplier.name", "Dodavatel", "Supplier", required=True,
                help_cs="název dodavatele", help_en="the supplier's name"),
    SheetColumn("supplier.ico", "IČO dodavatele", "Supplier IČO", "ico",
                help_cs="8 číslic; prázdné u zahraničního dodavatele",
                help_en="8 digits; empty for a foreign supplier", aliases=("IČO",)),
    SheetColumn("supplier.country", "Země dodavatele", "Supplier country", "country",
                help_cs="kód země, např. CZ (výchozí) nebo DE",
                help_en="a country code such as CZ (the default) or DE",
                aliases=("Země", "Country")),
    SheetColumn("description", "Popis", "Description", required=True,
                help_cs="co bylo pořízeno", help_en="what was bought"),
    SheetColumn("budget_line", "Rozpočtová položka", "Budget line", "code", True,
                "kód položky rozpočtu projektu (seznam)", "the code of a budget line (list)"),
    SheetColumn("activity", "Aktivita", "Activity", "code",
                help_cs="kód aktivity projektu (seznam); nepovinné",
                help_en="the code of an activity (list); optional"),
    SheetColumn("tax_point_date", "DUZP", "Tax point date", "date", True,
                "datum uskutečnění zdanitelného plnění, např. 31.12.2016",
                "e.g. 2016-12-31 or 31.12.2016",
                aliases=("Datum uskutečnění zdanitelného plnění",)),
    SheetColumn("amount_net", "Částka bez DPH", "Net amount", "money", True,
                "v Kč, např. 1 234,50", "in CZK, e.g. 1,234.50"),
    SheetColumn("vat", "DPH", "VAT", "money",
                help_cs="v Kč; prázdné znamená 0", help_en="in CZK; empty means 0"),
    SheetColumn("eligible_amount", "Způsobilá částka", "Eligible amount", "money",
                help_cs="prázdné: bez DPH u plátce DPH, jinak s DPH",
                help_en="empty: net for a VAT payer, net + VAT otherwise"),
    SheetColumn("paid_on", "Datum úhrady", "Paid on", "date",
                help_cs="prázdné, pokud ještě nebylo uhrazeno", help_en="empty if not yet paid"),
)

CLAIM_DOCUMENT_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("row", "Poř. č.", "No.", "integer"),
    SheetColumn("document_number", "Číslo dokladu", "Document number"),
    SheetColumn("document_type", "Typ dokladu", "Document type", "document_type"),
    SheetColumn("supplier", "Dodavatel", "Supplier"),
    SheetColumn("ico", "IČO", "IČO", "ico"),
    SheetColumn("country", "Země", "Country", "country"),
    SheetColumn("tax_point_date", "DUZP", "Tax point date", "date"),
    SheetColumn("amount_net", "Částka bez DPH", "Net amount", "money"),
    SheetColumn("vat", "DPH", "VAT", "money"),
    SheetColumn("eligible_declared", "Způsobilé výdaje deklarované", "Eligible declared",
                "money"),
    SheetColumn("excluded", "Vyloučeno", "Excluded", "money"),
    SheetColumn("exclusion_reason", "Důvod vyloučení", "Reason excluded"),
    SheetColumn("paid_on", "Datum úhrady", "Paid on", "date"),
    SheetColumn("budget_line", "Rozpočtová položka", "Budget line", "code"),
    SheetColumn("activity", "Aktivita", "Activity", "code"),
)
TOTAL = {"cs": "Celkem", "en": "Total"}

DOCUMENT_TYPE_NAMES: dict[str, dict[str, str]] = {
    "invoice": {"cs": "faktura", "en": "invoice"},
    "advance_invoice": {"cs": "zálohová faktura", "en": "advance invoice"},
    "payroll": {"cs": "mzdy", "en": "payroll"},
    "travel": {"cs": "cestovní náhrady", "en": "travel"},
    "internal": {"cs": "interní doklad", "en": "internal document"},
}


def normalised_heading(text: str) -> str:
    """A heading as compared: lower case, without diacritics, spaces or `_ . * :`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def document_type_code(text: str) -> str | None:
    """The document type a cell names: its code, or its name in Czech or English."""
    wanted = normalised_heading(text)
    for code, names in DOCUMENT_TYPE_NAMES.items():
        if wanted in {normalised_heading(code), *map(normalised_heading, names.values())}:
            return code
    return None


__all__ = [
    "CLAIM_DOCUMENT_COLUMNS",
    "DOCUMENT_TYPE_NAMES",
    "IMPORT_COLUMNS",
    "LANGUAGES",
    "TOTAL",
    "SheetColumn",
    "document_type_code",
    "normalised_heading",
]
