"""Notices by e-mail and webhook on the wire: a webhook as given (``WebhookIn``), as read
(``WebhookOut``; its key only by its first characters) and as made (``WebhookMadeOut``: the
whole key, once), the delivery log (``AttemptOut``) and a person's choice (``NotifyIn``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from acsa.domain import limits
from acsa.schemas.orders import Strict

Kind = Annotated[str, Field(min_length=1, max_length=32)]


class WebhookIn(Strict):
    """A webhook of your nation: the https address each notice is POSTed to, the kinds it
    takes (none: every kind), and its key (made by acsa when not given; at least 16
    characters)."""

    url: Annotated[str, Field(min_length=1, max_length=limits.WEBHOOK_URL_CHARS_MAX)]
    kinds: Annotated[list[Kind], Field(default_factory=list, max_length=limits.WEBHOOK_KINDS_MAX)]
    secret: (
        Annotated[
            str,
            Field(
                min_length=limits.WEBHOOK_SECRET_CHARS_MIN,
                max_length=limits.WEBHOOK_SECRET_CHARS_MAX,
            ),
        ]
        | None
    ) = None


class WebhookOut(BaseModel):
    id: int
    nation: str
    url: str
    secret_prefix: str
    kinds: list[str]
    active: bool
    created_at: datetime
    actor: str


class WebhookMadeOut(WebhookOut):
    """A webhook just made, with its whole key: keep it now, it is never shown again."""

    secret: str


class AttemptOut(BaseModel):
    """One attempt of one delivery: when, whether it went, the HTTP status (webhooks), the
    error, how long it took; the delivery's channel, target, state and attempts so far; the
    notice's id, kind and order."""

    id: int
    delivery_id: int
    at: datetime
    ok: bool
    status: int | None
    error: str | None
    duration_ms: int
    channel: str
    target: str
    state: str
    attempts: int
    notice_id: int
    kind: str
    order_id: int | None


class NotifyIn(Strict):
    """Your e-mail address (an empty text clears it) and how notices reach it: off, each (a
    mail per notice) or digest (one mail a day). Only what is given changes."""

    email: Annotated[str, Field(max_length=limits.EMAIL_CHARS_MAX)] | None = None
    notify: Annotated[str, Field(min_length=1, max_length=8)] | None = None


class NotifyOut(BaseModel):
    email: str | None
    notify: str


class DeliveryReportOut(BaseModel):
    """What one delivery pass did (``acsa alerts deliver``)."""

    planned: int
    sent: int
    failed: int
    abandoned: int
    digests: int
    errors: list[str]
