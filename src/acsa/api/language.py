"""The API speaks the reader's language: ``Accept-Language`` (``ja``, ``ja,en;q=0.8``) picks
the language of the messages an answer carries (a refusal's title, detail and violations, a
draft's violations); English unless asked otherwise. Every answer under /api/ says which in
``Content-Language``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa.i18n import from_header
from acsa.schemas.language import reading

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
            await send(message)

        with reading(lang):
            await self.app(scope, receive, send_with_language)
