"""/api/v1: source documents. Attach a file to an order (multipart), list an order's files,
download one by its SHA-256 (always as an attachment, never shown inline), and read or set
which steps your nation requires a source document for."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from acsa.api.context import CtxDep
from acsa.api.downloads import file_response
from acsa.api.problems import problem_responses
from acsa.commands import AttachFile
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.services import attachments as service
from acsa.services.attachments import AttachmentOut
from acsa.services.handlers import handle

router = APIRouter(prefix="/api/v1", tags=["attachments"])

OrderId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]
Sha256 = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


class RequiredStepsIn(BaseModel):
    """The steps your nation requires a source document for (none: an empty list)."""

    steps: Annotated[
        list[Annotated[str, Field(max_length=16)]],
        Field(max_length=5, description="Among delivery, receipt, invoice, payment, settlement."),
    ]


class RequiredStepsOut(BaseModel):
    nation: str
    steps: list[str]


@router.post(
    "/orders/{order_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses=problem_responses(401, 403, 404, 413, 422),
)
def attach(
    ctx: CtxDep,
    order_id: OrderId,
    file: Annotated[UploadFile, File(description="The file: PDF, PNG, JPEG, XLSX or CSV.")],
    step: Annotated[
        str | None,
        Form(
            max_length=limits.text_bound("step"),
            description="The step it backs: delivery:N, receipt:N (the order's history event), "
            "invoice:NUMBER, payment:N or settlement:N; none: the order as a whole.",
        ),
    ] = None,
) -> Response:
    """Attach a source document to an order or one of its steps (either party's acting
    roles). Kept by its SHA-256; its type is read from its bytes and must be what its name
    and declared type say (ATTACHMENT_TYPE_MISMATCH), its size within
    ACSA_MAX_ATTACHMENT_BYTES (ATTACHMENT_TOO_LARGE); nothing is written when refused. On a
    node it is sent to the partner as a signed attachment document with its bytes."""
    content = file.file.read(service.max_bytes() + 1)
    command = AttachFile(
        order_id=order_id,
        name=(file.filename or "file")[:1000],
        media_type=(file.content_type or "")[:200],
        content=content,
        step=step or None,
    )
    fingerprint = hashlib.sha256(content).hexdigest() + "|" + (step or "") + "|" + command.name
    uow = ctx.writer(Permission.NOTE, check_version=False)
    return ctx.write(
        uow,
        fingerprint.encode(),
        lambda u: handle(u, command, ctx.principal.name),
        201,
        lambda r: {"Location": f"/api/v1/attachments/{getattr(r, 'sha256', '')}"},
    )


@router.get(
    "/orders/{order_id}/attachments",
    response_model=list[AttachmentOut],
    responses=problem_responses(401, 404),
)
def list_attachments(ctx: CtxDep, order_id: OrderId) -> list[AttachmentOut]:
    """The files attached to an order, oldest first."""
    return service.attachments_of(ctx.reader(), order_id)


@router.get(
    "/attachments/{sha256}",
    response_class=Response,
    responses={
        **problem_responses(401, 404, 422),
        200: {"description": "The file, as an attachment", "content": {"application/pdf": {}}},
    },
)
def download(ctx: CtxDep, sha256: Sha256) -> Response:
    """The file with this SHA-256, if it is attached to an order your nation is party to:
    always as an attachment (Content-Disposition), with its stored type, ``nosniff`` and a
    Content-Security-Policy that runs nothing."""
    attached, content = service.file_of(ctx.reader(), sha256)
    return file_response(attached.name, attached.type, attached.sha256, content)


@router.get(
    "/attachments-required",
    response_model=RequiredStepsOut,
    responses=problem_responses(401),
)
def required(ctx: CtxDep) -> RequiredStepsOut:
    """The steps your nation requires a source document for (the exceptions report lists
    those without one)."""
    return RequiredStepsOut(
        nation=ctx.nation, steps=service.required_steps(ctx.reader(), ctx.nation)
    )


@router.put(
    "/attachments-required",
    response_model=RequiredStepsOut,
    responses=problem_responses(401, 403, 422),
)
def set_required(ctx: CtxDep, body: RequiredStepsIn) -> RequiredStepsOut:
    """Set the steps your nation requires a source document for (an admin of your nation)."""
    ctx.need(Permission.MANAGE_USERS)
    from acsa.adapters.db.unit_of_work import UnitOfWork

    uow = UnitOfWork(ctx.engine, principal=ctx.principal)
    steps = service.set_required_steps(uow, ctx.nation, body.steps, ctx.principal.name)
    return RequiredStepsOut(nation=ctx.nation, steps=steps)
