"""Source documents on the order page: the form that attaches a file to the order or one of
its steps, the list of its files, and each file's download (always as an attachment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from acsa.api.downloads import file_response
from acsa.commands import AttachFile
from acsa.domain.access import Permission
from acsa.domain.attachments import ENDING, TYPES
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.http_status import status_of
from acsa.services import attachments as service
from acsa.services.attachments import AttachmentOut
from acsa.services.handlers import handle
from acsa.web.pages import Pages, PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]


def order_files(who: Visitor, order_id: int) -> list[AttachmentOut]:
    """The files of an order the visitor sees (the order page's list)."""
    return service.attachments_of(who.reader(), order_id)


def required_of(who: Visitor) -> list[str]:
    """The steps the visitor's nation requires a source document for (the report's note)."""
    return service.required_steps(who.reader(), who.nation)


def install(pages: Pages) -> None:
    """Give the templates the list of an order's files and the nation's required steps."""
    for env in pages.envs.values():
        env.globals["order_files"] = order_files
        env.globals["order_files_required"] = required_of
        env.globals["file_kinds"] = {v: ENDING[k].upper() for k, v in TYPES.items()}


def _order_id(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or len(text) > 10:
        raise NotFoundError.single(Code.ORDER_NOT_FOUND, "id", "no order '{order}'", order=value)
    return int(text)


@router.post("/orders/{order_id}/attachments", response_model=None)
def attach(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    file: Annotated[UploadFile | None, File()] = None,
    step: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Attach the uploaded file to the order (or the step chosen); back to the order's files,
    or the order page again with why the file was refused (nothing saved)."""
    from acsa.i18n.speech import Speech
    from acsa.web.routes.orders import order_page

    number = _order_id(order_id)
    try:
        check_csrf(who, csrf)
        if file is None or not file.filename:
            raise AcsaError.single(Code.MISSING_FIELD, "file", "choose a file to attach")
        content = file.file.read(service.max_bytes() + 1)
        command = AttachFile(
            order_id=number,
            name=file.filename[:1000],
            media_type=(file.content_type or "")[:200],
            content=content,
            step=step.strip() or None,
        )
        handle(who.writer(Permission.NOTE), command, who.principal.name)
    except NotFoundError:
        raise
    except AcsaError as error:
        say = Speech(who.lang)
        view = order_page(who, say, number)
        return pages.render(
            request,
            "order_detail.html",
            who,
            status_code=403
            if any(v.code is Code.FORBIDDEN for v in error.violations)
            else status_of(error),
            title=say("Order #%(id)s", id=view.order.id),
            view=view,
            attach_errors=list(error.violations),
        )
    return RedirectResponse(f"/orders/{number}?done=attach#attachments", status_code=303)


@router.get("/attachments/{sha256}", response_model=None)
def download(who: VisitorDep, sha256: str) -> Response:
    """The file with this SHA-256, if it is on an order the visitor sees: as a download."""
    if len(sha256) != 64:
        raise NotFoundError.single(
            Code.ATTACHMENT_NOT_FOUND,
            "sha256",
            "no file {sha256} on an order you may see",
            sha256=sha256[:64],
        )
    attached, content = service.file_of(who.reader(), sha256)
    return file_response(attached.name, attached.type, attached.sha256, content)
