"""The Jinja2 environment of the pages: autoescaped templates and the filters they use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from acsa import __version__
from acsa.domain.errors import Violation
from acsa.domain.messages import words
from acsa.i18n import DEFAULT, NAMES, Formats, gettext, param_text, say, translations
from acsa.i18n.memos import memo_text

TEMPLATES = Path(__file__).parent / "templates"


#: Text written as it was entered or as a source gives it (a version's label, a name): letters.
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def marked(template: str, params: Mapping[str, object], lang: str) -> Markup:
    """A message said in ``lang`` as HTML: escaped, and on a page not in English each text
    parameter in Latin letters (a version's label "2017 text", a place) marked ``lang="en"``,
    as the pages mark the registry's English wherever they show it."""
    text = gettext(lang, template)
    if not params:
        return escape(text)
    write = param_text(lang)

    def one(value: object) -> Markup:
        said = write(value)
        if lang != DEFAULT and isinstance(value, str) and LATIN_WORD.search(said):
            return Markup('<span lang="en">{}</span>').format(said)
        return escape(said)

    try:
        return escape(text).format_map({name: one(value) for name, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return escape(say(template, lang, params))


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

    def explain(item: Any) -> str | Markup:
        """A refusal or a finding in the page's language only: a violation's message, or a
        finding's message id and parameters, said in ``lang``; one known only by its code and
        English text (a partner's refusal, a check's reason) as the code's title in ``lang``,
        its English text kept for an English reader."""
        if isinstance(item, Violation):
            return marked(item.template, item.params, lang)
        template = getattr(item, "message_id", "")
        if template:
            return marked(str(template), getattr(item, "params", None) or {}, lang)
        english = str(getattr(item, "message", None) or getattr(item, "reason", None) or "")
        if lang == DEFAULT:
            return english
        return code_title(str(getattr(item, "code", ""))) or english

    def code_title(code: str) -> str:
        """The words of an error code (``error.<CODE>``) in ``lang``; "" for one without."""
        key = f"error.{code}"
        said = messages.gettext(key)
        return "" if said == key else said

    def action_words(action: str) -> str:
        """An audit-log action (``order.accept``) in words (``audit.<action>``); an action
        without words as it is."""
        key = f"audit.{action}"
        said = messages.gettext(key)
        return action if said == key else said

    def subject_words(subject: str) -> str:
        """What an audit record is about (``order:12``) as a person reads it: "order 12"."""
        kind, colon, key = subject.partition(":")
        if not colon:
            return subject
        name = f"audit.subject.{kind}"
        said = messages.gettext(name)
        return f"{kind.replace('_', ' ') if said == name else said} {key}"

    env.filters.update(
        words=translated_words,
        action_words=action_words,
        subject_words=subject_words,
        memo=lambda value: memo_text(value, lang),
        explain=explain,
        code_title=code_title,
        number=formats.number,
        money=formats.money,
        day=formats.day,
        moment=formats.moment,
        utc=utc,
        is_partial=is_partial,
        web_url=web_url,
    )
    env.globals.update(version=__version__, lang=lang, languages=NAMES)
    return env
