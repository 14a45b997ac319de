"""/api/v1/webhooks: a nation's webhooks and the delivery log of its notices (an admin of the
nation); /api/v1/profile/notify: your own e-mail address and how notices reach it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import Ctx, CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain import limits
from acsa.schemas.webhooks import (
    AttemptOut,
    NotifyIn,
    NotifyOut,
    WebhookIn,
    WebhookMadeOut,
    WebhookOut,
)
from acsa.services import notice_delivery as service

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

WebhookId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]


def _held(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)


def _reader(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, read_only=True, principal=ctx.principal)


@router.get("/webhooks", response_model=list[WebhookOut], responses=problem_responses(401, 403))
def list_webhooks(ctx: CtxDep) -> list[WebhookOut]:
    """Your nation's webhooks, removed ones too, oldest first (admin); each key only by its
    first characters."""
    return [WebhookOut(**w) for w in service.list_webhooks(_reader(ctx), ctx.nation)]


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookMadeOut,
    responses=problem_responses(400, 401, 403, 422, 503),
)
def add_webhook(ctx: CtxDep, doc: WebhookIn, body: RawBody) -> Response:
    """Add a webhook of your nation (admin): each notice of the nation (of ``kinds``; none:
    every kind) is POSTed to ``url`` as JSON, with ``X-Acsa-Signature: sha256=<hex>`` (the
    HMAC-SHA256, under the key, of ``X-Acsa-Timestamp``, a full stop and the body) and
    ``X-Acsa-Delivery`` (the same for each retry of one delivery: dedupe on it). A 2xx answer
    is delivered; anything else is tried again later (30 s, 2 min, 8 min, ...). The answer
    holds the whole key, never shown again."""
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> WebhookMadeOut:
        made = service.add_webhook(uow, ctx.nation, doc.url, doc.kinds, actor, doc.secret)
        return WebhookMadeOut(**made)

    return ctx.write(_held(ctx), body, change, 201)


@router.post(
    "/webhooks/{webhook_id}/remove",
    response_model=WebhookOut,
    responses=problem_responses(400, 401, 403, 404, 503),
)
def remove_webhook(ctx: CtxDep, webhook_id: WebhookId, body: RawBody) -> Response:
    """Stop a webhook of your nation (admin): nothing more is sent to it; it is kept with its
    log. Another nation's: 404 WEBHOOK_NOT_FOUND."""
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> WebhookOut:
        return WebhookOut(**service.remove_webhook(uow, ctx.nation, webhook_id, actor))

    return ctx.write(_held(ctx), body, change)


@router.get(
    "/webhooks/log",
    response_model=list[AttemptOut],
    responses=problem_responses(400, 401, 403, 404),
)
def delivery_log(
    ctx: CtxDep,
    webhook: Annotated[int | None, Query(ge=1, le=limits.ID_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=limits.PAGE_LIMIT_MAX)] = 100,
    offset: Annotated[int, Query(ge=0, le=limits.PAGE_OFFSET_MAX)] = 0,
) -> list[AttemptOut]:
    """The delivery log of your nation's notices (admin), newest first: every attempt of
    every e-mail and webhook delivery (of one webhook, if given)."""
    rows = service.delivery_log(_reader(ctx), ctx.nation, webhook, limit, offset)
    return [AttemptOut(**row) for row in rows]


@router.get("/profile/notify", response_model=NotifyOut, responses=problem_responses(401))
def my_notify(ctx: CtxDep) -> NotifyOut:
    """Your e-mail address and how notices reach it (off, each, digest)."""
    return NotifyOut(**service.notify_choice(_reader(ctx), ctx.principal.name))


@router.patch(
    "/profile/notify",
    response_model=NotifyOut,
    responses=problem_responses(400, 401, 422, 503),
)
def update_my_notify(ctx: CtxDep, doc: NotifyIn, body: RawBody) -> Response:
    """Set your e-mail address (an empty text clears it) and how notices reach it: ``off``,
    ``each`` (a mail per notice) or ``digest`` (one mail a day at ACSA_DIGEST_HOUR, UTC).
    A choice other than off needs an address; INVALID_FIELD names ``email`` or ``notify``."""
    name = ctx.principal.name

    def change(uow: UnitOfWork) -> NotifyOut:
        return NotifyOut(**service.set_notify(uow, name, name, doc.email, doc.notify))

    return ctx.write(_held(ctx), body, change)
