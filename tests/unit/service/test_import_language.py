"""`grantledger import` speaks Czech or English: the language chosen by `--lang` or the
environment's locale, every message of the command line's code translated in its catalogue,
the committed .mo compiled from the committed .po, Czech's three plural forms."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from service.cli import cells
from service.cli.expense_rows import LayoutError, layout
from service.cli.main import main
from service.cli.sheet_files import SheetFile
from service.cli.speech import CATALOGUES, gettext, language_of, speaking

CLI = CATALOGUES.parent
CATALOGUE = CATALOGUES / "cs" / "LC_MESSAGES"


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(CLI), [("**.py", "python")]):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_czech_translation_in_every_plural_form() -> None:
    with (CATALOGUE / "importer.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalogue
                  if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
                  and (not isinstance(m.string, tuple) or len(m.string) == 3)}

    assert (catalogue.num_plurals, source_messages() - translated) == (3, set())


def test_the_compiled_catalogue_is_the_committed_po() -> None:
    with (CATALOGUE / "importer.po").open("rb") as po:
        catalogue = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    with (CATALOGUE / "importer.mo").open("rb") as mo:
        committed = read_mo(mo)
    fresh = read_mo(io.BytesIO(compiled.getvalue()))

    def entries(catalogue: object) -> dict[str, str]:
        return {str(m.id): str(m.string) for m in catalogue if m.id}  # type: ignore[attr-defined]

    assert entries(committed) == entries(fresh)
    assert len(entries(committed)) == len(source_messages())


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"),
    ({"LANG": "cs_CZ.UTF-8"}, "cs"),
    ({"LANG": "cs_CZ"}, "cs"),
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "cs_CZ.UTF-8"}, "cs"),
    ({"LANG": "cs_CZ.UTF-8", "LC_ALL": "C"}, "en"),        # LC_ALL overrides
    ({"LANG": "en_US.UTF-8", "LC_ALL": "cs_CZ.UTF-8"}, "cs"),
    ({"LANG": "de_DE.UTF-8"}, "en"),                        # neither: English
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "?"}, "en"),
])
def test_the_language_follows_the_environments_locale(environ: dict[str, str],
                                                       language: str) -> None:
    assert language_of(environ) == language


def test_outside_a_run_and_after_it_the_messages_are_english() -> None:
    with speaking("cs"):
        inside = gettext("it holds no rows")

    assert (inside, gettext("it holds no rows")) == ("neobsahuje žádné řádky",
                                                     "it holds no rows")


def test_a_language_it_does_not_speak_is_refused() -> None:
    with pytest.raises(ValueError, match="the import speaks cs or en, not 'de'"), \
            speaking("de"):
        pass  # pragma: no cover


@pytest.mark.parametrize(("headings", "said"), [
    (["Číslo dokladu", "Středisko"], "neznámý sloupec 'Středisko'; import čte sloupce: "),
    (["Číslo dokladu", "Poznámka", "Středisko"],
     "neznámé sloupce 'Poznámka', 'Středisko'; import čte sloupce: "),
])
def test_a_layout_is_refused_in_czech_with_the_plural_of_its_count(headings: list[str],
                                                                     said: str) -> None:
    with speaking("cs"), pytest.raises(LayoutError) as refused:
        layout(SheetFile(headings, []))

    assert str(refused.value).startswith(said)


def test_a_cell_is_refused_in_czech() -> None:
    with speaking("cs"), pytest.raises(cells.CellError) as refused:
        cells.day("31.02.2018")

    assert str(refused.value) == "'31.02.2018' není den v kalendáři"


@pytest.mark.parametrize(("environ", "argv", "said"), [
    ({"LANG": "cs_CZ.UTF-8"}, [],
     "grantledger import: chybí token: zadejte --token nebo nastavte GRANTLEDGER_TOKEN"),
    ({"LANG": "cs_CZ.UTF-8"}, ["--lang", "en"],
     "grantledger import: no token: give --token or set GRANTLEDGER_TOKEN"),
    ({"LANG": "en_GB.UTF-8"}, ["--lang", "cs"],
     "grantledger import: chybí token: zadejte --token nebo nastavte GRANTLEDGER_TOKEN"),
    ({"LANG": "cs_CZ.UTF-8", "LC_ALL": "C.UTF-8"}, [],
     "grantledger import: no token: give --token or set GRANTLEDGER_TOKEN"),
])
def test_the_command_speaks_the_environments_language_unless_told(
        environ: dict[str, str], argv: list[str], said: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "GRANTLEDGER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    code = main(["import", "expenses", str(tmp_path / "vydaje.csv"), "--project", "P", *argv])

    assert (code, capsys.readouterr().err) == (2, said + "\n")
