"""/api/v1: invoices, what an order owes and the sweep; issuing an invoice, recording a
payment, replacement in kind and equal value exchange are the command table's routes
(routers/commands.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain.access import Permission
from acsa.schemas.ledger import (
    InvoiceOut,
    OrderAccountOut,
    SettlementOut,
    SweepOut,
)
from acsa.schemas.limits import Day
from acsa.schemas.orders import Strict
from acsa.services import settlement as service
from acsa.services.access import scope

router = APIRouter(prefix="/api/v1", tags=["settlement"])

InvoiceRef = Annotated[str, Path(min_length=1, max_length=40, description="Number or id.")]
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]


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
