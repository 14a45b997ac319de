"""/api/v1: the node's public key, its partners, the inbox for partners' signed documents,
what the outbox holds, and sending a refused document again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from acsa.api.context import CtxDep, engine_of
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.services import exchange
from acsa.services.exchange import (
    ExchangeStatusOut,
    NodeOut,
    OutboxEntryOut,
    PartnerOut,
    ReceiptOut,
)

router = APIRouter(prefix="/api/v1", tags=["exchange"])


@router.get("/node", response_model=NodeOut, responses=problem_responses(401, 422))
def node(ctx: CtxDep) -> NodeOut:
    """This node's nation, public key and its fingerprint (the private key never leaves it)."""
    return exchange.node_info(ctx.engine)


@router.get("/partners", response_model=list[PartnerOut], responses=problem_responses(401))
def partners(ctx: CtxDep) -> list[PartnerOut]:
    """The partner nations' nodes: address, public key, fingerprint."""
    return exchange.list_partners(ctx.engine)


@router.get("/exchange/status", response_model=ExchangeStatusOut, responses=problem_responses(401))
def status(ctx: CtxDep) -> ExchangeStatusOut:
    """Per partner: documents pending (and of those, held behind a refused document of their
    order), delivered, refused and received, why the oldest pending one waits; the latest
    refusals, those set aside after their bounded attempts marked ``set_aside``."""
    return exchange.exchange_status(ctx.engine)


@router.post(
    "/exchange/documents/{document_id}/resend",
    response_model=OutboxEntryOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def resend(ctx: CtxDep, document_id: str) -> OutboxEntryOut:
    """Send again a document the partner refused or the outbox set aside (its id, or a unique
    prefix of 8 characters at least): pending again, its attempts from zero; audited. For an
    admin of this node's nation. The later documents of its order follow it."""
    return exchange.resend(ctx.engine, document_id, ctx.principal.name, ctx.principal)


EngineDep = Annotated[Any, Depends(engine_of)]


@router.post(
    "/exchange/documents",
    status_code=201,
    response_model=ReceiptOut,
    responses=problem_responses(400, 409, 422),
)
def receive(request: Request, body: RawBody, engine: EngineDep) -> ReceiptOut:
    """A partner node's signed document. No token: the signature, checked against the key
    registered for the issuing nation, is the credential. Recorded with everything it changes
    in one transaction, or refused with its code and nothing recorded; a document already
    recorded is DOCUMENT_REPLAYED (409) naming its hash. A document larger than 1 MiB, nested
    deeper than 32 levels or malformed in any field is DOCUMENT_INVALID naming the field,
    before its signature is looked at; one dated more than ACSA_EXCHANGE_MAX_SKEW seconds
    (300) ahead of this node's clock is DOCUMENT_FROM_THE_FUTURE."""
    del request
    return exchange.receive_document(engine, body)
