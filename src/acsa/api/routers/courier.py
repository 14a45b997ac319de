"""/api/v1: the node's public key, its partners, the inbox for partners' signed documents,
what the outbox holds, and sending a refused document again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from acsa.api.context import CtxDep, engine_of
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.services import courier, keys
from acsa.services.courier import (
    CourierStatusOut,
    NodeOut,
    OutboxEntryOut,
    PartnerOut,
    ReceiptOut,
)
from acsa.services.keys import KeyOut, RevokeIn, RotateIn, RotationOut

router = APIRouter(prefix="/api/v1", tags=["courier"])


@router.get("/node", response_model=NodeOut, responses=problem_responses(401, 422))
def node(ctx: CtxDep) -> NodeOut:
    """This node's nation, public key and its fingerprint (the private key never leaves it)."""
    return courier.node_info(ctx.engine)


@router.post(
    "/node/rotate-key", response_model=RotationOut, responses=problem_responses(401, 403, 422)
)
def rotate_key(ctx: CtxDep, body: RotateIn | None = None) -> RotationOut:
    """A new key pair for this node (its private key beside the old one); it signs with the new
    key from now on, and a key_rollover document signed by the old key goes to every partner,
    who takes the old key's documents until ``grace_days`` (default 7) have passed. For an
    admin of this node's nation; audited."""
    grace = (body or RotateIn()).grace_days
    return keys.rotate_key(ctx.engine, ctx.principal.name, None, grace, ctx.principal)


@router.post(
    "/node/keys/{fingerprint}/revoke",
    response_model=list[KeyOut],
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_own_key(ctx: CtxDep, fingerprint: str, body: RevokeIn) -> list[KeyOut]:
    """Revoke one of this node's old keys from ``since`` on and tell every partner in a
    key_revocation document signed by the current key. For an admin of this node's nation."""
    return keys.revoke_own_key(
        ctx.engine, fingerprint, body.since, ctx.principal.name, ctx.principal
    )


@router.post(
    "/partners/{nation}/keys/{fingerprint}/revoke",
    response_model=list[KeyOut],
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_partner_key(ctx: CtxDep, nation: str, fingerprint: str, body: RevokeIn) -> list[KeyOut]:
    """Revoke a partner's key from ``since`` on: its documents dated later are refused
    (DOCUMENT_KEY_REVOKED), earlier ones still verify. For an admin of this node's nation."""
    return keys.revoke_partner_key(
        ctx.engine, nation.upper(), fingerprint, body.since, ctx.principal.name, ctx.principal
    )


@router.get("/partners", response_model=list[PartnerOut], responses=problem_responses(401))
def partners(ctx: CtxDep) -> list[PartnerOut]:
    """The partner nations' nodes: address, public key, fingerprint."""
    return courier.list_partners(ctx.engine)


@router.get("/courier/status", response_model=CourierStatusOut, responses=problem_responses(401))
@router.get(
    "/exchange/status",
    response_model=CourierStatusOut,
    responses=problem_responses(401),
    deprecated=True,
    summary="Status (the previous release's address; use /courier/status)",
)
def status(ctx: CtxDep) -> CourierStatusOut:
    """Per partner: documents pending (and of those, held behind a refused document of their
    order), delivered, refused and received, why the oldest pending one waits; the latest
    refusals, those set aside after their bounded attempts marked ``set_aside``."""
    return courier.courier_status(ctx.engine)


@router.post(
    "/courier/documents/{document_id}/resend",
    response_model=OutboxEntryOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
@router.post(
    "/exchange/documents/{document_id}/resend",
    response_model=OutboxEntryOut,
    responses=problem_responses(401, 403, 404, 409, 422),
    deprecated=True,
    summary="Resend (the previous release's address; use /courier/documents/{id}/resend)",
)
def resend(ctx: CtxDep, document_id: str) -> OutboxEntryOut:
    """Send again a document the partner refused or the outbox set aside (its id, or a unique
    prefix of 8 characters at least): pending again, its attempts from zero; audited. For an
    admin of this node's nation. The later documents of its order follow it."""
    return courier.resend(ctx.engine, document_id, ctx.principal.name, ctx.principal)


EngineDep = Annotated[Any, Depends(engine_of)]


@router.post(
    "/courier/documents",
    status_code=201,
    response_model=ReceiptOut,
    responses=problem_responses(400, 409, 422),
)
@router.post(
    "/exchange/documents",
    status_code=201,
    response_model=ReceiptOut,
    responses=problem_responses(400, 409, 422),
    deprecated=True,
    summary="A partner's document (the previous release's address, where its nodes send)",
)
def receive(request: Request, body: RawBody, engine: EngineDep) -> ReceiptOut:
    """A partner node's signed document. No token: the signature, checked against the key
    registered for the issuing nation, is the credential. Recorded with everything it changes
    in one transaction, or refused with its code and nothing recorded; a document already
    recorded is DOCUMENT_REPLAYED (409) naming its hash. A document larger than 1 MiB (an
    attachment carrying its file, at /courier/documents: limits.ATTACHMENT_DOCUMENT_BYTES_MAX),
    nested deeper than 32 levels or malformed in any field is DOCUMENT_INVALID naming the
    field, before its signature is looked at; one dated more than ACSA_COURIER_MAX_SKEW seconds
    (300) ahead of this node's clock is DOCUMENT_FROM_THE_FUTURE."""
    del request
    return courier.receive_document(engine, body)
