"""The Jinja2 environment of the pages: autoescaped templates and the filters they use."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from acsa import __version__
from acsa.domain.errors import Violation
from acsa.i18n import DEFAULT, NAMES, Formats, translations, violation_text
from acsa.i18n.memos import memo_text

TEMPLATES = Path(__file__).parent / "templates"

#: Settlement methods and statuses as a person reads them.
WORDS = {
    "in_force": "in force",
    "replacement_in_kind": "replacement in kind",
    "equal_value_exchange": "equal value exchange",
    "un_peacekeeping": "UN peacekeeping",
    "repair_maintenance": "repair and maintenance",
    "airport_seaport_services": "airport and seaport services",
}


def words(value: str | None) -> str:
    """``partially_delivered`` as "partially delivered"; None as "not yet signed"."""
    if value is None:
        return "not yet signed"
    return WORDS.get(value, value.replace("_", " "))


def amount(value: Decimal | int | None) -> str:
    """A quantity or money amount with thousands grouped, every digit kept (``12,000.5``)."""
    if value is None:
        return ""
    return f"{Decimal(value):,f}"


def utc(moment: datetime) -> str:
    """A moment in UTC to the second, as the history shows it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def is_partial(value: str | None) -> bool:
    """True for a date the sources give only to the month or year (``2017``, ``2019-07``)."""
    return bool(value) and len(value or "") < len("YYYY-MM-DD")


def web_url(value: str | None) -> str:
    """``value`` if it is an http(s) address, else "": only those become links."""
    if value and value.lower().startswith(("https://", "http://")):
        return value
    return ""


#: What a per-line quantity in an event's details is, by the event's action.
LINE_QUANTITY = {"accept": "accepted", "deliver": "delivered"}


def _line_detail(value: Any, action: str) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {amount_or_text(v)}" for k, v in value.items())
    what = LINE_QUANTITY.get(action)
    return f"{amount_or_text(value)} {what}" if what else amount_or_text(value)


def amount_or_text(value: Any) -> str:
    """A decimal string grouped like an amount; any other text unchanged."""
    try:
        return amount(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def details(values: dict[str, Any], action: str = "") -> list[tuple[str, str]]:
    """An event's details as (label, text) pairs: reasons and notes as written, per-line
    quantities as "line 1: 12,000 accepted" or "line 1: received 90, short 10"."""
    found: list[tuple[str, str]] = []
    for key, value in values.items():
        if key == "lines" and isinstance(value, dict):
            found.extend((f"line {n}", _line_detail(v, action)) for n, v in value.items())
        elif isinstance(value, dict):
            found.append((words(key), ", ".join(f"{k}: {v}" for k, v in value.items())))
        elif value not in (None, "", [], {}):
            found.append((words(key), str(value)))
    return found


def make_environment(lang: str = DEFAULT) -> Environment:
    """The templates in ``lang``: autoescaped, failing loudly on a name the page does not
    define, with ``_()``/``ngettext()`` from the language's catalogue and Babel's formats."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    messages = translations(lang)
    env.install_gettext_translations(messages, newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(lang)

    def translated_words(value: str | None) -> str:
        return messages.gettext(words(value))

    def explain(violation: Any) -> str:
        """A refusal in the page's language only: a violation's message (its id and parameters)
        said in ``lang``; a refusal known only by its code and English text (a partner's) as
        the code's title in ``lang``, its English text kept for an English reader."""
        if isinstance(violation, Violation):
            return violation_text(violation, lang)
        if lang == DEFAULT:
            return str(violation.message)
        return code_title(str(violation.code)) or str(violation.message)

    def code_title(code: str) -> str:
        """The words of an error code (``error.<CODE>``) in ``lang``; "" for one without."""
        key = f"error.{code}"
        said = messages.gettext(key)
        return "" if said == key else said

    env.filters.update(
        words=translated_words,
        memo=lambda value: memo_text(value, lang),
        explain=explain,
        code_title=code_title,
        amount=formats.number,
        number=formats.number,
        money=formats.money,
        day=formats.day,
        moment=formats.moment,
        utc=utc,
        is_partial=is_partial,
        web_url=web_url,
        details=details,
    )
    env.globals.update(version=__version__, lang=lang, languages=NAMES)
    return env
