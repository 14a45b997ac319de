"""Rendering a page: the template in the visitor's language with what every page needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from acsa.domain.errors import Violation
from acsa.i18n import DEFAULT, LANGUAGES, language
from acsa.web.form_keys import FORM_KEY_FIELD, new_form_key
from acsa.web.render import make_environment
from acsa.web.session import CSRF_FIELD, Visitor

#: The language of a visitor not signed in (the sign-in page), chosen on that page.
LANG_COOKIE = "acsa_lang"


class Pages:
    """One template environment per language; renders with the common context."""

    def __init__(self) -> None:
        self.envs: dict[str, Environment] = {lang: make_environment(lang) for lang in LANGUAGES}

    def env(self, lang: str) -> Environment:
        return self.envs[language(lang)]

    def render(
        self,
        request: Request,
        template: str,
        visitor: Visitor | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = visitor.lang if visitor else anonymous_language(request)
        page = (
            self.env(lang)
            .get_template(template)
            .render(
                request_path=request.url.path,
                request_query=request.url.query,
                visitor=visitor,
                csrf_field=CSRF_FIELD,
                form_key_field=FORM_KEY_FIELD,
                form_key=new_form_key,
                **context,
            )
        )
        return HTMLResponse(page, status_code=status_code)

    def error(
        self,
        request: Request,
        status_code: int,
        title: str,
        errors: Sequence[Violation],
        visitor: Visitor | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            visitor,
            status_code=status_code,
            title=title,
            errors=errors,
            status_code_shown=status_code,
        )


def anonymous_language(request: Request) -> str:
    """The sign-in page's language: the cookie, else the browser's first supported choice."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


PagesDep = Annotated[Pages, Depends(pages_of)]
