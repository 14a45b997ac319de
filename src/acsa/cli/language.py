"""The one language the ``acsa`` command writes its refusals and warnings in: ``--lang en|ja``,
else ``ACSA_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English.
Through a server, it is the language the command asks the server for (``Accept-Language``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

import typer

from acsa.domain.errors import AcsaError, Code
from acsa.i18n import DEFAULT, LANGUAGES, from_header

ENV_LANG = "ACSA_LANG"
#: The locale's variables, the first one set deciding (as gettext reads them).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        envvar=ENV_LANG,
        help="The language of what acsa prints for people (tables, refusals, warnings): en or "
        "ja (default: ACSA_LANG, else the locale, else en).",
        show_default=False,
    ),
]


@dataclass
class _Chosen:
    lang: str = DEFAULT


_chosen = _Chosen()


def current() -> str:
    """The language the command writes in."""
    return _chosen.lang


def from_locale(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale (``ja_JP.UTF-8``: ja), else English."""
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return from_header(value.replace("_", "-"))
    return DEFAULT


def use_language(asked: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Write in ``asked`` (``--lang``/``ACSA_LANG``), else in the locale's language; a language
    acsa does not speak is INVALID_INPUT naming --lang (the locale's is simply not used)."""
    value = (asked or "").strip().lower()
    if value and value not in LANGUAGES:
        _set(from_locale(environ))  # the refusal itself in the locale's language
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "--lang",
            "--lang {value}: give one of {languages}",
            value=repr(asked),
            languages=", ".join(LANGUAGES),
        )
    return _set(value or from_locale(environ))


def asked_in(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str | None:
    """The language a command line asks for before it is parsed (``--lang ja``,
    ``--lang=ja``), else ACSA_LANG: so that a command line that cannot be parsed is refused in
    it too."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    env = os.environ if environ is None else environ
    return env.get(ENV_LANG) or None


def _set(lang: str) -> str:
    from acsa.schemas.language import set_reader_language

    _chosen.lang = lang
    set_reader_language(lang)
    return lang
