"""The language of the person an answer is written for, while it is being written.

An API request's ``Accept-Language`` (``acsa.api.language``) or the command line's ``--lang``
sets it; the schemas that carry a message (a violation's) write it in that language. English
unless set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from acsa.i18n import DEFAULT, language

_READER: ContextVar[str] = ContextVar("acsa_reader_language", default=DEFAULT)


def reader_language() -> str:
    """The language the answer being written is read in."""
    return _READER.get()


def set_reader_language(lang: str) -> None:
    """Write answers in ``lang`` (a supported language, else the default) from now on."""
    _READER.set(language(lang))


@contextmanager
def reading(lang: str) -> Iterator[None]:
    """Answers written inside are in ``lang``."""
    token = _READER.set(language(lang))
    try:
        yield
    finally:
        _READER.reset(token)
