"""/api/v1: invoices, payments, replacements in kind, equal value exchanges, the sweep and
what an order owes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import ACTION_RESPONSES, RawBody
from acsa.domain.access import Permission
from acsa.schemas.ledger import (
    ExchangeIn,
    InvoiceOut,
    OrderAccountOut,
    ReplacementIn,
    SettlementOut,
    SweepOut,
)
from acsa.schemas.limits import Amount, Day, Text
from acsa.schemas.orders import Strict
from acsa.services import settlement as service
from acsa.services.access import scope

router = APIRouter(prefix="/api/v1", tags=["settlement"])

InvoiceRef = Annotated[str, Path(min_length=1, max_length=40, description="Number or id.")]
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class InvoiceIn(Strict):
    """``acsa invoices issue ORDER [--date]``: the day of issue (default today)."""

    date: Day | None = None


class PaymentIn(Strict):
    """``acsa payments record INVOICE --amount --date [--reference] [--currency]``."""

    amount: Amount
    date: Day
    reference: Annotated[str, Text("reference")] = ""
    currency: str | None = Field(default=None, min_length=3, max_length=3)


class SweepIn(Strict):
    """``acsa settle sweep [--as-of]``: judge deadlines on this day (default today)."""

    as_of: Day | None = None


class AccountOut(BaseModel):
    """What an order owes, with its settlements in kind (``acsa settle show``)."""

    account: OrderAccountOut
    settlements: list[SettlementOut]


@router.get("/invoices", response_model=list[InvoiceOut], responses=problem_responses(401))
def list_invoices(
    ctx: CtxDep,
    order: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    partner: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
) -> list[InvoiceOut]:
    """Invoices issued by or to your nation (optionally of one order, or with one partner)."""
    items = service.list_invoices(ctx.reader(), order, scope(ctx.principal))
    if partner:
        items = [i for i in items if partner.upper() in (i.issuer, i.debtor)]
    return items


@router.get("/invoices/{invoice}", response_model=InvoiceOut, responses=problem_responses(401, 404))
def show_invoice(ctx: CtxDep, invoice: InvoiceRef) -> InvoiceOut:
    """One invoice with its payments."""
    return service.get_invoice(ctx.reader(), invoice)


@router.post(
    "/orders/{order_id}/invoices",
    status_code=201,
    response_model=InvoiceOut,
    responses=ACTION_RESPONSES,
)
def issue_invoice(
    ctx: CtxDep, order_id: OrderId, body: RawBody, doc: InvoiceIn | None = None
) -> Response:
    """Invoice what the order owes in cash and is not invoiced yet (supplier's finance)."""
    day = doc.date if doc else None

    def change(uow: UnitOfWork) -> InvoiceOut:
        return service.issue_invoice(uow, order_id, ctx.principal.name, day)

    return ctx.write(ctx.writer(Permission.INVOICE), body, change, 201)


@router.post(
    "/invoices/{invoice}/payments",
    status_code=201,
    response_model=InvoiceOut,
    responses=ACTION_RESPONSES,
)
def record_payment(ctx: CtxDep, invoice: InvoiceRef, doc: PaymentIn, body: RawBody) -> Response:
    """Record a payment against an invoice; more than is unpaid is refused (OVERPAYMENT)."""

    def change(uow: UnitOfWork) -> InvoiceOut:
        return service.record_payment(
            uow,
            invoice,
            doc.amount,
            doc.date,
            ctx.principal.name,
            doc.reference,
            doc.currency.upper() if doc.currency else None,
        )

    return ctx.write(ctx.writer(Permission.PAY, check_version=False), body, change, 201)


def _in_kind(ctx: CtxDep, body: bytes, permission: Permission, run: Any) -> Response:
    def change(uow: UnitOfWork) -> SettlementOut:
        result: SettlementOut = run(uow)
        return result

    return ctx.write(ctx.writer(permission), body, change, 201)


@router.post(
    "/orders/{order_id}/replacements",
    status_code=201,
    response_model=SettlementOut,
    responses=ACTION_RESPONSES,
)
def replace(ctx: CtxDep, order_id: OrderId, doc: ReplacementIn, body: RawBody) -> Response:
    """Record goods returned in kind: same category (and NSN where given), no more than
    received and not yet replaced."""
    data = doc.model_dump(mode="json")
    return _in_kind(
        ctx,
        body,
        Permission.REPLACE,
        lambda uow: service.replace(uow, order_id, data, ctx.principal.name),
    )


@router.post(
    "/orders/{order_id}/exchanges",
    status_code=201,
    response_model=SettlementOut,
    responses=ACTION_RESPONSES,
)
def exchange(ctx: CtxDep, order_id: OrderId, doc: ExchangeIn, body: RawBody) -> Response:
    """Record an equal value exchange, valued in the order's currency."""
    data = doc.model_dump(mode="json")
    return _in_kind(
        ctx,
        body,
        Permission.EXCHANGE,
        lambda uow: service.exchange(uow, order_id, data, ctx.principal.name),
    )


@router.get(
    "/orders/{order_id}/account",
    response_model=AccountOut,
    responses=problem_responses(401, 404),
)
def account(ctx: CtxDep, order_id: OrderId) -> AccountOut:
    """What the order received, invoiced, was paid and settled in kind, and still owes."""
    uow = ctx.reader()
    return AccountOut(
        account=service.order_account(uow, order_id),
        settlements=service.settlements_of(uow, order_id),
    )


@router.post("/sweep", response_model=SweepOut, responses=problem_responses(400, 401, 403, 503))
def sweep(ctx: CtxDep, body: RawBody, doc: SweepIn | None = None) -> Response:
    """Turn your nation's in-kind debt past its deadline into cash debt, with an invoice each;
    running it again the same day changes nothing."""
    ctx.need(Permission.SWEEP)
    as_of = doc.as_of if doc else None

    def change(uow: UnitOfWork) -> SweepOut:
        return service.sweep(uow, ctx.principal.name, as_of, party=scope(ctx.principal))

    return ctx.write(ctx.writer(Permission.SWEEP, check_version=False), body, change)
