"""acsa's languages: English (the source text) and Japanese, from Babel message catalogues.

One reader reads one language: the pages, the API (``Accept-Language``), the command line
(``--lang`` or the locale), the charts and the exports all write their words, their refusals
(a violation's message id and parameters) and their memos through ``say``.

Catalogues are plain ``.po`` files under ``locales/<lang>/``, one per area; they are read and
compiled in memory when first needed, so no build step stands between an edit and a running
program. Money is written by the one formatter (``acsa.domain.money.money_text``); days by Babel.
"""

from __future__ import annotations

import gettext as gnu_gettext
import importlib.util
import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from acsa.domain.errors import Violation
from acsa.domain.messages import Message, Term, fill, plain, words
from acsa.domain.money import money_text

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

# Babel is imported where it is used: a command that writes no translated word and no
# Babel-formatted number or date (``acsa --help``, an English table) never loads it.

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ja")
DEFAULT = "en"
NAMES = {"en": "English", "ja": "日本語"}


def language(value: str | None) -> str:
    """A supported language code, else the default."""
    return value if value in LANGUAGES else DEFAULT


def from_header(value: str | None) -> str:
    """The language an ``Accept-Language`` header (``ja,en;q=0.8``) or a locale (``ja_JP.UTF-8``)
    asks for first among acsa's, else the default."""
    if not value:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(value.split(",")[:20]):
        name, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, index, name.strip().lower()[:2]))
    for _weight, _index, code in sorted(ranked):
        if code in LANGUAGES:
            return code
    return DEFAULT


def catalog(lang: str) -> Catalog:
    """Every message of ``lang``'s ``.po`` files merged into one catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=lang)
    for path in sorted((LOCALES / lang).glob("*.po")):
        with path.open("rb") as stream:
            for message in read_po(stream, locale=lang):
                if message.id and message.string:
                    merged[message.id] = message
    return merged


@cache
def translations(lang: str) -> gnu_gettext.NullTranslations:
    """The compiled translations of ``lang``. English is the source text; its catalogue holds
    only the words of ids that are not sentences (``error.<CODE>``, ``audit.<action>``).

    Compiling the ``.po`` files takes longer than most commands run, so the compiled catalogue
    is kept in the user's cache directory under a digest of the ``.po`` files and of Babel's
    version: an edited catalogue is compiled again, an unchanged one is read back."""
    if not (LOCALES / lang).is_dir():
        return gnu_gettext.NullTranslations()
    sources = sorted((LOCALES / lang).glob("*.po"))
    cached = catalogue_cache() / f"{lang}-{catalogue_digest(lang, sources)}.mo"
    try:
        compiled = cached.read_bytes()
    except OSError:
        compiled = compile_catalogue(lang)
        _keep(cached, compiled)
    return gnu_gettext.GNUTranslations(BytesIO(compiled))


def compile_catalogue(lang: str) -> bytes:
    """``lang``'s catalogue compiled by Babel (the ``.mo`` bytes)."""
    from babel.messages.mofile import write_mo

    buffer = BytesIO()
    write_mo(buffer, catalog(lang))
    return buffer.getvalue()


#: Bumped when what ``compile_catalogue`` makes of the same files changes.
CATALOGUE_FORMAT = b"acsa-catalogue-1"


def catalogue_digest(lang: str, sources: list[Path]) -> str:
    """A digest of what ``lang``'s compiled catalogue is made from: its ``.po`` files (names
    and contents) and the Babel that compiles them."""
    import hashlib

    digest = hashlib.sha256(CATALOGUE_FORMAT + b"\0" + lang.encode())
    babel = importlib.util.find_spec("babel")
    if babel is not None and babel.origin:  # its __init__ names its version
        digest.update(Path(babel.origin).read_bytes())
    for path in sources:
        digest.update(b"\0" + path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:40]


def catalogue_cache() -> Path:
    """Where compiled catalogues are kept (deleting it costs one compile per language)."""
    from platformdirs import user_cache_path

    return user_cache_path("acsa") / "catalogues"


def _keep(path: Path, compiled: bytes) -> None:
    """Write ``compiled`` to ``path`` whole or not at all; a cache that cannot be written is
    no error (the next run compiles again)."""
    import tempfile

    written = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as out:
            written = out.name
            out.write(compiled)
        os.replace(written, path)
    except OSError:
        if written is not None and os.path.exists(written):
            os.unlink(written)


def gettext(lang: str, text: str) -> str:
    """``text`` (an English message id) in ``lang``."""
    return translations(lang).gettext(text)


def param_text(lang: str) -> Callable[[object], str]:
    """How a message's parameter is written for a reader of ``lang``."""

    def text(value: object) -> str:
        if isinstance(value, Term):
            return gettext(lang, words(value.value))
        if isinstance(value, Message):
            return say(value, lang)
        if isinstance(value, list | tuple):
            return ("、" if lang == "ja" else ", ").join(text(item) for item in value)
        return plain(value)

    return text


def say(template: str | Message, lang: str, params: Mapping[str, object] | None = None) -> str:
    """A message (its id and parameters) written in ``lang``."""
    if isinstance(template, Message):
        return fill(gettext(lang, template.template), template.params, param_text(lang))
    return fill(gettext(lang, template), params or {}, param_text(lang))


def violation_text(violation: Violation, lang: str) -> str:
    """A refusal's message in ``lang``."""
    return say(violation.template, lang, violation.params)


class Formats:
    """Numbers, money and dates as a reader of ``lang`` expects them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = "ja_JP" if lang == "ja" else "en_GB"

    def number(self, value: Decimal | int | None) -> str:
        """Grouped, every digit kept (a quantity of 2000.5 stays 2,000.5)."""
        if value is None:
            return ""
        exact = Decimal(value)
        exponent = exact.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
        pattern = "#,##0" + ("." + "0" * places if places else "")
        from babel.numbers import format_decimal

        return format_decimal(exact, format=pattern, locale=self.locale)

    def money(self, value: Decimal | int | None, currency: str) -> str:
        """An amount with its currency, to the currency's own decimals (JPY none, USD two), as
        every place prints money: ``25,980,000 JPY``."""
        if value is None:
            return ""
        return money_text(Decimal(value), currency)

    def day(self, value: date | None) -> str:
        if value is None:
            return ""
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.locale)

    def moment(self, value: datetime | None) -> str:
        """A moment in UTC, to the minute, marked UTC."""
        if value is None:
            return ""
        from babel.dates import format_datetime

        return format_datetime(value, format="medium", tzinfo=UTC, locale=self.locale) + " UTC"
