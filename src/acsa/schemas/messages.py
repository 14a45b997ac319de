"""The message of a finding (an exception of the report, a breach of the books' money check, a
difference between two books) in a JSON answer: ``message`` in English as before, with its
message id (``message_id``, the English template) and ``params`` (its parameters written for the
reader of the answer), so a client writes it in its reader's language
(``acsa.i18n.say(message_id, lang, params)``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from acsa.domain.messages import Message, fill
from acsa.i18n import param_text
from acsa.schemas.language import reader_language

MESSAGE_ID: Any = Field(default="", description="The message's English template.")
PARAMS: Any = Field(default={}, description="The template's parameters, written for the reader.")


def message_fields(
    template: str | Message, params: Mapping[str, object] | None = None, lang: str | None = None
) -> dict[str, Any]:
    """``message`` (English), ``message_id`` and ``params`` of a message, its parameters
    written for a reader of ``lang`` (else of the answer being written)."""
    said = template if isinstance(template, Message) else Message(template, params or {})
    values = said.params
    text = param_text(lang or reader_language())
    return {
        "message": fill(said.template, values),
        "message_id": said.template,
        "params": {name: text(value) for name, value in values.items()},
    }
