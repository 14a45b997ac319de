"""Webhooks' POSTs: a signed JSON body to the receiver's address, with a timeout."""

from __future__ import annotations

import httpx

from acsa import __version__
from acsa.domain.limits import DELIVERY_TIMEOUT_S


class WebhookPoster:
    """POSTs ``body`` with ``headers`` to ``url``; returns the HTTP status (raises
    httpx.HTTPError when there is none: refused, timed out, not TLS-valid). Redirects are not
    followed: a receiver answers where it was configured."""

    def __init__(self, timeout: float = DELIVERY_TIMEOUT_S) -> None:
        self.timeout = timeout

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        response = httpx.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"acsa/{__version__}",
                **headers,
            },
            timeout=self.timeout,
            follow_redirects=False,
        )
        return response.status_code
