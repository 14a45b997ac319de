"""How this node reaches a partner's node: send a signed document to its inbox, ask whether it
answers at all. HTTP (httpx) lives here only; the outbox (``services.exchange``) takes a
``Send`` and a ``Probe``, so tests hand it another transport."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Answer:
    """What a partner's node answered: its HTTP status and its JSON (None: no answer)."""

    status: int | None
    body: dict[str, Any]
    error: str = ""


#: Send a document's wire form to a URL and say what came back.
Send = Callable[[str, bytes], Answer]

#: Whether a URL (a node's health check) answers at all.
Probe = Callable[[str], bool]


def http_sender(timeout: float = 10.0) -> Send:
    """Send documents with httpx (the wire form is already canonical JSON)."""
    import httpx  # only when sending: the command line starts faster without it

    def send(url: str, wire: bytes) -> Answer:
        try:
            response = httpx.post(
                url, content=wire, headers={"Content-Type": "application/json"}, timeout=timeout
            )
        except httpx.HTTPError as error:
            return Answer(None, {}, f"{type(error).__name__}: {error}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if "detail" not in body:
            body = {**body, "detail": f"HTTP {response.status_code} {response.text[:200]}"}
        return Answer(response.status_code, body)

    return send


def http_probe(timeout: float = 5.0) -> Probe:
    """Whether a partner's node answers at all (its health check)."""
    import httpx

    def probe(url: str) -> bool:
        try:
            return httpx.get(url, timeout=timeout).status_code < 500
        except httpx.HTTPError:
            return False

    return probe
