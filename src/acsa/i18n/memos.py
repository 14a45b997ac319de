"""A ledger entry's document and memo in the reader's language.

The stored text is the English of a message id and its parameters (``acsa.domain.memos``):
it is read back into that message and said in ``lang`` (``注文5の受領（記録5）``); a reversal's
inner document is said first. Text that is someone's own words is shown as it is.
"""

from __future__ import annotations

from acsa.domain.memos import read_memo
from acsa.domain.messages import Message
from acsa.i18n import say


def message_text(found: Message, lang: str) -> str:
    """``found`` in ``lang``, a parameter that is itself a message said first."""
    params = {
        name: message_text(value, lang) if isinstance(value, Message) else value
        for name, value in found.params.items()
    }
    return say(found.template, lang, params)


def memo_text(text: str | None, lang: str) -> str:
    """A stored document or memo as a reader of ``lang`` reads it."""
    if not text:
        return ""
    found = read_memo(text)
    return text if found is None else message_text(found, lang)


def document_and_memo(document: str, memo: str | None, lang: str) -> str:
    """An entry's document with its memo in brackets, as one line of a statement reads."""
    shown = memo_text(document, lang)
    note = memo_text(memo, lang)
    if not note:
        return shown
    return f"{shown}（{note}）" if lang == "ja" else f"{shown} ({note})"
