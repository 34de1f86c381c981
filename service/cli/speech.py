"""The language `grantledger import` speaks: Czech or English, chosen per run.

Messages are English in the source and translated in the catalogue
`translations/cs/LC_MESSAGES/importer.po` (its compiled `.mo` is committed beside it, as the
pages' is; docs/PAGES.md says how to update both). Plurals follow the catalogue's rule (Czech
has three forms: 1 řádek, 2–4 řádky, 5 řádků), numbers Babel's CLDR data.

A run speaks one language from start to end: `speaking(lang)` sets it for everything the run
calls, down to the reading of a cell, and `gettext`/`ngettext` answer in it (in English
outside a run).
"""

from __future__ import annotations

import gettext as gnu_gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path

from babel.core import parse_locale
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES = ("cs", "en")
CATALOGUES = Path(__file__).parent / "translations"
DOMAIN = "importer"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""POSIX's order: the first one set decides."""

_ENGLISH = gnu_gettext.NullTranslations()
_language: ContextVar[str] = ContextVar("import_language", default="en")
_catalogue: ContextVar[gnu_gettext.NullTranslations] = ContextVar(
    "import_catalogue", default=_ENGLISH)


def language_of(environ: Mapping[str, str]) -> str:
    """The language a run speaks by default: Czech where the environment's locale is Czech
    (`cs_CZ.UTF-8`), otherwise English (also for `C`, `POSIX` or another language)."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            try:
                language = parse_locale(value)[0]
            except ValueError:
                return "en"
            return language if language in LANGUAGES else "en"
    return "en"


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Everything said inside is said in `language` (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f"the import speaks {' or '.join(LANGUAGES)}, not {language!r}")
    catalogue = _ENGLISH if language == "en" else _load(language)
    language_token, catalogue_token = _language.set(language), _catalogue.set(catalogue)
    try:
        yield
    finally:
        _catalogue.reset(catalogue_token)
        _language.reset(language_token)


def _load(language: str) -> gnu_gettext.NullTranslations:
    path = CATALOGUES / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as compiled:  # missing: an error, never English in disguise
        return Translations(compiled, domain=DOMAIN)


def N_(message: str) -> str:
    """Marks `message` for the catalogue; `gettext` says it when it is shown."""
    return message


def gettext(message: str) -> str:
    return _catalogue.get().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue.get().ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return _catalogue.get().pgettext(context, message)


def language() -> str:
    """The language being spoken."""
    return _language.get()


def number(value: int | float | Decimal, pattern: str = "#,##0") -> str:
    """A number as the language writes it: `1,500` in English, `1 500` in Czech (a
    no-break space groups the thousands)."""
    return format_decimal(value, format=pattern, locale=language())
