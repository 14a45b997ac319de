"""What a ledger entry stands on (its document) and the notes acsa writes on it, as messages.

An entry's document is stored as the English text of a message id and its parameters
(``order 5 receipt (event 5)``, ``payment of invoice INV-7``, ``reversal of ...``): a stable
reference, written only from the templates below and read back into the same message id and
typed parameters by :func:`read_memo`, so that every reader reads it in their own language
(``acsa.i18n.memos``) while the stored rows, their digests and the documents exchanged between
nodes stay as they have always been. Text none of the forms matches (a payment's reference, a
person's note) is the person's own words and is shown as it is.

Pure: no files, no Babel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from acsa.domain.messages import Message, message, t

#: An order's receipt, numbered by the event of the order's history that recorded it.
RECEIPT = t("order {order} receipt (event {event})")
#: A payment against one invoice.
PAYMENT = t("payment of invoice {invoice}")
#: In-kind debt past its deadline turned into cash debt.
CONVERSION = t("conversion to cash of order {order}")
#: Goods of the same kind returned, and an exchange of equal value, on a day.
REPLACEMENT = t("replacement of order {order} on {day}")
EXCHANGE = t("exchange of order {order} on {day}")
#: The entry that cancels another: its document is the cancelled entry's.
REVERSAL = t("reversal of {document}")
#: A credit note reducing what an invoice bills.
CREDIT_NOTE = t("credit note {note} of invoice {invoice}")
#: The memo of an entry reversed because its step lost its place in the order's chain.
TAKEN_BACK = t("taken back: order {order}'s chain went the supplier's way")
#: The memo of a conversion: why the in-kind debt turned into cash debt.
DEADLINE_PASSED = t("replacement deadline {deadline} passed ({days} days from receipt)")


def receipt_document(order: int | None, event: int) -> str:
    return str(message(RECEIPT, order=order, event=event))


def payment_document(invoice: str) -> str:
    return str(message(PAYMENT, invoice=invoice))


def conversion_document(order: int) -> str:
    return str(message(CONVERSION, order=order))


def in_kind_document(kind: str, order: int, day: date) -> str:
    """The document of a replacement (``kind`` "replacement") or an exchange ("exchange")."""
    return str(message(REPLACEMENT if kind == "replacement" else EXCHANGE, order=order, day=day))


def credit_note_document(note: str, invoice: str) -> str:
    return str(message(CREDIT_NOTE, note=note, invoice=invoice))


def reversal_document(document: str) -> str:
    return str(message(REVERSAL, document=document))


def taken_back_memo(order: int) -> str:
    return str(message(TAKEN_BACK, order=order))


def deadline_memo(deadline: date, days: int) -> str:
    return str(message(DEADLINE_PASSED, deadline=deadline, days=days))


# --- reading a stored text back -------------------------------------------------------------


def _day(text: str) -> date:
    return date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class _Form:
    """One template as a pattern, with how each of its parameters is read."""

    template: str
    pattern: re.Pattern[str]
    reads: dict[str, Callable[[str], object]]


#: How each placeholder of the templates is matched and read.
_PLACES: dict[str, tuple[str, Callable[[str], object]]] = {
    "order": (r"\d{1,18}", int),
    "event": (r"\d{1,18}", int),
    "days": (r"\d{1,9}", int),
    "day": (r"\d{4}-\d{2}-\d{2}", _day),
    "deadline": (r"\d{4}-\d{2}-\d{2}", _day),
    "invoice": (r".+", str),
    "document": (r".+", str),
    "note": (r".+?", str),
}


def _form(template: str) -> _Form:
    """``template``'s pattern: its words as they are, each placeholder as ``_PLACES`` says."""
    parts = re.split(r"\{(\w+)\}", template)
    names = parts[1::2]
    pattern = "".join(
        f"(?P<{part}>{_PLACES[part][0]})" if index % 2 else re.escape(part)
        for index, part in enumerate(parts)
    )
    return _Form(template, re.compile(pattern, re.DOTALL), {n: _PLACES[n][1] for n in names})


_FORMS = tuple(
    _form(template)
    for template in (
        REVERSAL,
        RECEIPT,
        PAYMENT,
        CREDIT_NOTE,
        CONVERSION,
        REPLACEMENT,
        EXCHANGE,
        DEADLINE_PASSED,
        TAKEN_BACK,
    )
)

#: How deep reversals of reversals are read (deeper ones are shown as stored).
_DEPTH = 8


def read_memo(text: str, depth: int = 0) -> Message | None:
    """The message ``text`` (a stored document or memo) was written from, with its typed
    parameters (a reversal's ``document`` is itself a message when it is one), or None when
    it is someone's own words or a form acsa does not write."""
    if depth > _DEPTH:
        return None
    for form in _FORMS:
        found = form.pattern.fullmatch(text)
        if found is None:
            continue
        try:
            params = {name: read(found.group(name)) for name, read in form.reads.items()}
        except ValueError:
            continue
        inner = params.get("document")
        if isinstance(inner, str):
            params["document"] = read_memo(inner, depth + 1) or inner
        return Message(form.template, params)
    return None
