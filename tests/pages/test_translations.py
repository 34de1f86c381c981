"""The Czech catalogue: every message of the pages' code and templates translated, and the
committed .mo (what an installed wheel reads) compiled from the committed .po."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

PAGES = Path(__file__).parents[2] / "service" / "web" / "pages"
CATALOGUE = PAGES / "translations" / "cs" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PAGES), METHODS, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_czech_translation() -> None:
    with (CATALOGUE / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id)
                  for m in catalogue if m.id and all(m.string if isinstance(m.string, tuple)
                                                     else [m.string])}

    assert source_messages() - translated == set()


def test_the_compiled_catalogue_is_the_committed_po() -> None:
    with (CATALOGUE / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    with (CATALOGUE / "messages.mo").open("rb") as mo:
        committed = read_mo(mo)
    fresh = read_mo(io.BytesIO(compiled.getvalue()))

    def entries(catalogue: object) -> dict[object, object]:
        return {str(m.id): str(m.string) for m in catalogue if m.id}  # type: ignore[attr-defined]

    assert entries(committed) == entries(fresh)
    assert len(entries(committed)) >= len(source_messages())
