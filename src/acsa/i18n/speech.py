"""Messages and formats in one reader's language, for text that Python composes (the pages'
timeline, the command line's tables): ``say("Line %(n)s", n=2)``, ``say.money(...)``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from acsa.i18n import Formats, translations


def N_(msgid: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``msgid`` for the catalogue; it is translated where it is shown."""
    return msgid


class Speech:
    """Messages and formats in one language, for the text Python composes."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.messages = translations(lang)
        self.formats = Formats(lang)

    def __call__(self, msgid: str, **values: Any) -> str:
        text = self.messages.gettext(msgid)
        return text % values if values else text

    def action(self, action: str) -> str:
        """An audit-log action (``order.accept``) in words (``audit.<action>``), else as it is."""
        key = f"audit.{action}"
        said = self.messages.gettext(key)
        return action if said == key else said

    def number(self, value: Decimal | int | None) -> str:
        return self.formats.number(value)

    def money(self, value: Decimal | int | None, currency: str) -> str:
        return self.formats.money(value, currency)

    def day(self, value: date | None) -> str:
        return self.formats.day(value)
