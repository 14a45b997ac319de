"""Messages a person reads, kept as a message id and its parameters until the reader is known.

A message's id is its English text with named placeholders (``"agreement {agreement} was not
in force on {day}"``): the English reader gets it filled in, a Japanese reader gets the text of
the same id from the Japanese catalogue (``acsa.i18n``), filled in with the same parameters.
Parameters keep their type until then, so each is written as its reader expects: money through
the one money formatter (``25,980,000 JPY``), quantities grouped, days in ISO form, and words of
acsa's vocabulary (a category, an activity, a status) in the reader's language (``Term``).

Pure: no files, no Babel. Translation is the edge's business (``acsa.i18n.say``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from acsa.domain.money import Money, money_text, quantity_text

#: Words of the vocabulary whose English is not their key with spaces for underscores.
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


def t(template: str) -> str:
    """Marks ``template`` as a message id (for the catalogue check); returns it unchanged."""
    return template


@dataclass(frozen=True, slots=True)
class Term:
    """A word of acsa's vocabulary (``fuel``, ``partially_delivered``) that a message names:
    written in the reader's language (its English is ``words(value)``)."""

    value: str

    def __str__(self) -> str:
        return words(self.value)


def plain(value: object) -> str:
    """A parameter as every reader writes it (words of the vocabulary in English)."""
    if value is None:
        return ""
    if isinstance(value, Money):
        return money_text(value.amount, value.currency)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return quantity_text(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(plain(item) for item in value)
    return str(value)


def fill(template: str, params: Mapping[str, object], text: Callable[[object], str] = plain) -> str:
    """``template`` with its placeholders replaced by ``params`` written by ``text``; a template
    without parameters is returned as it is (its braces are text, not placeholders)."""
    if not params:
        return template
    try:
        return template.format_map({name: text(value) for name, value in params.items()})
    except (KeyError, IndexError, ValueError):
        # A translation that names a placeholder the message does not have: say the message
        # rather than fail the page or the command that shows it.
        return template


@dataclass(frozen=True, slots=True)
class Message:
    """A message id and its parameters, to be written in the reader's language."""

    template: str
    params: Mapping[str, object]

    def __str__(self) -> str:
        return fill(self.template, self.params)


#: What a message's parameter may be: a value, a message within the message (a rule's reason),
#: or a list of values (written "a, b" in English, "a、b" in Japanese).
Param = str | int | Decimal | date | datetime | Money | Term | Message | tuple[object, ...] | None


def message(template: str, **params: Param) -> Message:
    return Message(template, params)
