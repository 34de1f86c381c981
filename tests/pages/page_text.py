"""Reading what a page shows, for the tests: figures by row and column, and amounts as a
Czech or an English reader writes them (formatted here independently of the pages' code)."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser


def czech_money(amount: str) -> str:
    """`1 234 567,89 Kč` (the spaces as plain spaces)."""
    value = Decimal(amount)
    whole, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    return f"{'-' if value < 0 else ''}{grouped},{cents} Kč"


def english_money(amount: str) -> str:
    """`CZK 1,234,567.89`."""
    value = Decimal(amount)
    return f"{'-' if value < 0 else ''}CZK {abs(value):,.2f}"


def plain(text: str) -> str:
    """Text with no-break spaces as plain ones and runs of white space as one."""
    return " ".join(text.replace("\u00a0", " ").split())


class Figures(HTMLParser):
    """The text of every `td[data-figure]` under a `tr[data-line]` (or `data-figure-row`):
    {row: {figure: text}}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._figure: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "tr":
            self._row = named.get("data-line") or named.get("data-figure-row")
        elif tag == "td" and self._row and named.get("data-figure"):
            self._figure, self._text = named["data-figure"], []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._figure and self._row:
            self.rows.setdefault(self._row, {})[self._figure] = plain("".join(self._text))
            self._figure = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._figure:
            self._text.append(data)


def figures(html: str) -> dict[str, dict[str, str]]:
    parser = Figures()
    parser.feed(html)
    return parser.rows
