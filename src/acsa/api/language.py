"""The API speaks the reader's language: ``Accept-Language`` (``ja``, ``ja,en;q=0.8``) picks
the language of the messages an answer carries (a refusal's title, detail and violations, a
draft's violations); English unless asked otherwise. Every answer under /api/ says which in
``Content-Language`` (and ``Vary: Accept-Language``, for caches).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa.i18n import DEFAULT, from_header, say
from acsa.schemas.language import reader_language, reading

T = TypeVar("T")

API_PREFIX = "/api/"
HEADER = "Accept-Language"


def language_of(headers: Mapping[str, str]) -> str:
    """The language a request's ``Accept-Language`` asks for (else English)."""
    return from_header(headers.get(HEADER.lower()) or headers.get(HEADER))


class Language:
    """ASGI middleware: answers under /api/ are written in the request's language and say
    it in ``Content-Language``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        lang = language_of(Headers(scope=scope))

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-language" not in headers:
                    headers["Content-Language"] = lang
                headers.add_vary_header(HEADER)
            await send(message)

        with reading(lang):
            await self.app(scope, receive, send_with_language)


def in_reader_language(value: T) -> T:
    """``value`` (a model or a list of them) with every message that carries its id
    (``message_id`` and ``params``: a finding, a breach, a difference between two books)
    written in the request's language; English answers are returned as they are."""
    lang = reader_language()
    if lang == DEFAULT:
        return value
    said: T = _said(value, lang)
    return said


def _said(value: Any, lang: str) -> Any:
    if isinstance(value, list):
        return [_said(item, lang) for item in value]
    if not isinstance(value, BaseModel):
        return value
    update: dict[str, Any] = {}
    for name in type(value).model_fields:
        item = getattr(value, name)
        if isinstance(item, list | BaseModel):
            update[name] = _said(item, lang)
    template = getattr(value, "message_id", None)
    params = getattr(value, "params", None)
    carries_id = isinstance(template, str) and bool(template) and isinstance(params, dict)
    if carries_id and "message" in type(value).model_fields:
        update["message"] = say(str(template), lang, params)
    return value.model_copy(update=update) if update else value
