"""The pages' languages: English (the source text) and Japanese, from Babel message catalogues.

Catalogues are plain ``.po`` files under ``locales/<lang>/``, one per area of the site; they are
read and compiled in memory when first needed, so no build step stands between an edit and a
running site. Numbers, money and dates are formatted for the language by Babel.
"""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ja")
DEFAULT = "en"
NAMES = {"en": "English", "ja": "日本語"}


def language(value: str | None) -> str:
    """A supported language code, else the default."""
    return value if value in LANGUAGES else DEFAULT


def catalog(lang: str) -> Catalog:
    """Every message of ``lang``'s ``.po`` files merged into one catalogue."""
    merged = Catalog(locale=lang)
    for path in sorted((LOCALES / lang).glob("*.po")):
        with path.open("rb") as stream:
            for message in read_po(stream, locale=lang):
                if message.id and message.string:
                    merged[message.id] = message
    return merged


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled translations of ``lang`` (English is the source: no translation)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, catalog(lang))
    buffer.seek(0)
    return Translations(buffer)


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
        return format_decimal(exact, format=pattern, locale=self.locale)

    def money(self, value: Decimal | int | None, currency: str) -> str:
        """An amount with its currency, to the currency's own decimals (JPY none, USD two)."""
        if value is None:
            return ""
        digits = get_currency_precision(currency)
        return format_currency(
            Decimal(value),
            currency,
            locale=self.locale,
            currency_digits=False,
            format="¤#,##0" + ("." + "0" * digits if digits else ""),
        )

    def day(self, value: date | None) -> str:
        if value is None:
            return ""
        return format_date(value, format="medium", locale=self.locale)

    def moment(self, value: datetime | None) -> str:
        """A moment in UTC, to the minute, marked UTC."""
        if value is None:
            return ""
        return format_datetime(value, format="medium", tzinfo=UTC, locale=self.locale) + " UTC"
