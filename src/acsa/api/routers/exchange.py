"""/api/v1: the node's public key, its partners, the inbox for partners' signed documents and
what the outbox holds."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from acsa.api.context import CtxDep, engine_of
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain.errors import AcsaError, Code
from acsa.services import exchange
from acsa.services.exchange import ExchangeStatusOut, NodeOut, PartnerOut, ReceiptOut

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
    """Per partner: documents pending, delivered, refused and received; the latest refusals."""
    return exchange.exchange_status(ctx.engine)


def _document(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise AcsaError.single(
            Code.DOCUMENT_INVALID, "document", "the body is not a JSON document"
        ) from None


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
    recorded is DOCUMENT_REPLAYED (409) naming its hash."""
    del request
    return exchange.receive_document(engine, _document(body))
