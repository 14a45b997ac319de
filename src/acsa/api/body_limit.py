"""The HTTP edge: a bound on every request body, enforced before anything parses it.

``BodyLimit`` is a pure ASGI middleware in front of the API and the pages. It reads the body
itself, before routing, authentication or parsing:

- a ``Content-Length`` above the bound is refused at once, without reading a byte of the body;
- a body without one (chunked) is counted while it arrives and refused as soon as it passes
  the bound (nothing more is read; the server discards the rest);
- under /api/, the body of a POST, PUT, PATCH or DELETE nested deeper than ``JSON_DEPTH_MAX``
  (counted on the bytes, before any JSON parser sees them) is refused, so no parser or
  validator ever recurses on it.

A body within its bounds is handed to the application unchanged. Refusals are 413
``BODY_TOO_LARGE`` and 422 ``BODY_TOO_DEEP`` (a partner's signed document or checkpoint:
``DOCUMENT_INVALID``, ``CHECKPOINT_INVALID``), as problem documents under /api/ and as error
pages elsewhere. Bodies that carry a file (a partner's book to reconcile) have the larger
upload bound.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa.api import problems
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.limits import (
    BODY_BYTES_CEILING,
    BODY_BYTES_DEFAULT,
    JSON_DEPTH_MAX,
    UPLOAD_BYTES_DEFAULT,
)

ENV_MAX_BODY = "ACSA_MAX_BODY_BYTES"
ENV_MAX_UPLOAD = "ACSA_MAX_UPLOAD_BYTES"

API_PREFIX = "/api/"
#: The paths whose body is a file: the API's and the page's reconciliation of a partner's book;
#: a source document attached to an order (``ATTACHMENT_UPLOADS``); a partner's signed
#: document at the courier's address, which may carry one (its own bound is checked as it is
#: parsed; the previous release's address keeps the body bound).
UPLOAD_PATHS = frozenset(
    {
        "/api/v1/books/reconcile",
        "/books/reconcile",
        "/api/v1/courier/documents",
    }
)
ATTACHMENT_UPLOADS = re.compile(r"(/api/v1)?/orders/[0-9]{1,10}/attachments")
#: Where a partner node sends signed things: one too deeply nested is malformed, under the
#: code that receiver gives a malformed one.
SIGNED_INBOXES = {
    "/api/v1/courier/documents": Code.DOCUMENT_INVALID,
    "/api/v1/exchange/documents": Code.DOCUMENT_INVALID,  # the previous release's address
    "/api/v1/audit/checkpoints": Code.CHECKPOINT_INVALID,
}
#: The methods whose body an operation reads (another's body is never parsed).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Bodies that are not JSON (form posts), whose depth is not counted.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

#: A rendering of a refusal outside the API: (request, status, violations) -> the page.
PageRenderer = Callable[[Request, int, list[Violation]], Response]

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
#: What ``_read`` answers when the client went away before the body's end.
_GONE = b"\0gone"


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The bound of a request body in bytes: ``body`` for most, ``upload`` for files."""

    body: int = BODY_BYTES_DEFAULT
    upload: int = UPLOAD_BYTES_DEFAULT

    def for_path(self, path: str) -> int:
        path = path.rstrip("/")
        if path in UPLOAD_PATHS or ATTACHMENT_UPLOADS.fullmatch(path):
            return self.upload
        return self.body


def _bytes_setting(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= BODY_BYTES_CEILING:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            name,
            "{name}={value}: give a whole number of bytes from 1 to {ceiling}",
            name=name,
            value=repr(raw[:40]),
            ceiling=BODY_BYTES_CEILING,
        )
    return int(raw)


def limits_from_environment(environ: Mapping[str, str] | None = None) -> BodyLimits:
    """The bounds ``ACSA_MAX_BODY_BYTES`` and ``ACSA_MAX_UPLOAD_BYTES`` set (else the
    defaults); INVALID_INPUT naming the variable for anything but a whole number of bytes
    from 1 to ``BODY_BYTES_CEILING``. The upload bound is never below the body bound."""
    env = os.environ if environ is None else environ
    body = _bytes_setting(env, ENV_MAX_BODY, BODY_BYTES_DEFAULT)
    upload = _bytes_setting(env, ENV_MAX_UPLOAD, UPLOAD_BYTES_DEFAULT)
    return BodyLimits(body=body, upload=max(body, upload))


def nested_deeper_than(raw: bytes, limit: int = JSON_DEPTH_MAX) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects more than ``limit`` deep,
    counted on the bytes without parsing (brackets inside strings do not count). Text that
    is not JSON is never too deep here: the parser refuses it on its own."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(_STEPS, _NOT_BRACKETS)
    if b"\x01" * (limit + 1) in brackets:  # a run of opening brackets alone is too deep
        return True
    # +1 for an opening bracket, -1 for a closing one: the deepest prefix is the nesting
    # (an opening bracket never closed counts too: a parser recurses on it all the same).
    return max(accumulate(array("b", brackets)), default=0) > limit


class BodyLimit:
    """The ASGI middleware (see the module's doc)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits, page: PageRenderer) -> None:
        self.app = app
        self.limits = limits
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        bound = self.limits.for_path(path)
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > bound:
            await self._refuse(scope, send, 413, _too_large(int(declared), bound))
            return
        body = await _read(receive, bound)
        if body is _GONE:  # the client went away mid-body: nothing to answer, nothing done
            return
        if body is None:
            await self._refuse(scope, send, 413, _too_large(None, bound))
            return
        content_type = headers.get("content-type", "").lower()
        if (
            path.startswith(API_PREFIX)
            and scope["method"] in BODY_METHODS
            and not content_type.startswith(FORM_TYPES)
            and nested_deeper_than(body)
        ):
            await self._refuse(scope, send, 422, _too_deep(path))
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, send: Send, status: int, violation: Violation) -> None:
        """Answer without reading further: the server discards what is left of the body."""

        async def nothing() -> Message:  # pragma: no cover - refusals never read the body
            return {"type": "http.disconnect"}

        if scope["path"].startswith(API_PREFIX):
            response: Response = problems.problem_response(status, [violation])
        else:
            response = self.page(Request(scope, nothing), status, [violation])
        await response(scope, nothing, send)


async def _read(receive: Receive, bound: int) -> bytes | None:
    """The body, read until it ends; None as soon as it passes ``bound`` bytes (nothing more
    is read), ``_GONE`` if the client disconnects before its end."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _GONE
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > bound:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the application the body read, then the server's messages
    (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _too_large(declared: int | None, bound: int) -> Violation:
    if declared is None:
        return Violation(
            Code.BODY_TOO_LARGE,
            "body",
            "the request body is more; at most {bound} bytes are taken (nothing was read or saved)",
            params={"bound": bound},
        )
    return Violation(
        Code.BODY_TOO_LARGE,
        "body",
        "the request body is {size} bytes; at most {bound} bytes are taken (nothing was read "
        "or saved)",
        params={"size": declared, "bound": bound},
    )


def _too_deep(path: str) -> Violation:
    code = SIGNED_INBOXES.get(path.rstrip("/"), Code.BODY_TOO_DEEP)
    return Violation(
        code,
        "body",
        "the JSON body nests arrays and objects more than {depth} deep; nothing was saved",
        params={"depth": JSON_DEPTH_MAX},
    )
