"""The node's courier (the signed documents it sends its partners' nodes and receives from
them) and the reconciliation of the two books, for the
people of the node's nation: this node's key and fingerprint, the partners' (to compare by
another channel), what was sent, received and refused; the signed book file with each partner
to download, and a partner's book file reconciled with ours (on the page, or as a statement in
XLSX or PDF); an admin sends a refused or set-aside document again. People of another nation
are refused (403), as in the API; reading changes nothing."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.clock import today, utc_now
from acsa.domain.access import ForbiddenError, Permission, require_permission
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import t
from acsa.domain.reconcile import Report
from acsa.http_status import status_of
from acsa.schemas.language import reading
from acsa.services import books, courier
from acsa.services.books import DifferenceOut, ReconciliationOut
from acsa.services.courier import CourierStatusOut, NodeOut, OutboxEntryOut, PartnerOut
from acsa.services.registry_exchange import RegistryComparisonOut, registry_comparison
from acsa.web.pages import Pages, PagesDep
from acsa.web.session import Visitor, check_csrf, visitor
from acsa.web.tables import N_

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
Token = Annotated[str | None, Form(max_length=200)]
Choice = Annotated[str, Form(max_length=10)]
Upload = Annotated[UploadFile | None, File()]

#: The largest book file the page reads (bytes).
MAX_FILE = 64 * 1024 * 1024
#: What the reconciliation form may answer with: the page, or the statement as a file.
FORMATS = ("html", "xlsx", "pdf")
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
#: The command that makes an installation a node.
INIT_COMMAND = "acsa node init --nation XXX"

#: What each kind of difference is, in words (translated in courier.po).
KINDS = {
    "missing_here": N_("in their book, not in ours"),
    "missing_there": N_("in our book, not in theirs"),
    "state": N_("status, agreement or parties differ"),
    "currency": N_("currency differs"),
    "amount": N_("an amount differs"),
    "quantity": N_("a line's quantity differs"),
    "document": N_("a document differs"),
    "chain": N_("their documents do not link"),
    "signature": N_("the file's signature does not verify"),
}


@dataclass(frozen=True)
class Refusal:
    """A document the partner refused, with its code and error (for the ``explain`` filter)."""

    entry: OutboxEntryOut
    code: str
    message: str


@dataclass(frozen=True)
class CourierView:
    node: NodeOut | None
    status: CourierStatusOut | None
    partners: list[PartnerOut]
    refusals: list[Refusal]
    init_command: str = INIT_COMMAND
    #: Whether the visitor may send a refused document again (an admin of the node's nation).
    can_resend: bool = False
    #: The document just queued again, for the confirmation.
    resent: str = ""
    #: Per partner, where this node's registry and the partner's differ.
    registries: list[RegistryComparisonOut] = field(default_factory=list)


@dataclass(frozen=True)
class BooksView:
    node: NodeOut | None
    partners: list[PartnerOut]
    report: ReconciliationOut | None = None
    file_name: str = ""
    errors: tuple[Violation, ...] = ()
    init_command: str = INIT_COMMAND

    def kind(self, difference: DifferenceOut) -> str:
        return KINDS.get(difference.kind, difference.kind.replace("_", " "))


def _node(who: Visitor) -> NodeOut | None:
    """The node, if this installation is one, once the visitor is shown to be of its nation
    (FORBIDDEN otherwise, as the API's books)."""
    require_permission(who.principal, Permission.VIEW)
    try:
        node = courier.node_info(who.engine)
    except AcsaError as exc:
        if any(v.code == Code.NODE_NOT_INITIALISED for v in exc.violations):
            return None
        raise
    if who.nation != node.nation:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            t(
                "this node is {node}'s; as a user of {nation} you may not see its courier or"
                " its books"
            ),
            node=node.nation,
            nation=who.nation,
        )
    return node


def _own_node(who: Visitor) -> NodeOut:
    """The node (NODE_NOT_INITIALISED if this installation is none)."""
    node = _node(who)
    if node is None:
        raise AcsaError.single(
            Code.NODE_NOT_INITIALISED,
            "node",
            "this installation is not a node yet: `{command}` makes its key",
            command=INIT_COMMAND,
        )
    return node


def courier_view(who: Visitor, resent: str = "") -> CourierView:
    node = _node(who)
    if node is None:
        return CourierView(None, None, [], [])
    status = courier.courier_status(who.engine)
    refusals = [Refusal(r, r.code or "", r.error or "") for r in status.refused]
    can_resend = who.may(Permission.MANAGE_REGISTRY)
    partners = courier.list_partners(who.engine)
    registries = [registry_comparison(who.engine, p.nation) for p in partners]
    return CourierView(
        node, status, partners, refusals, INIT_COMMAND, can_resend, resent, registries
    )


def books_view(who: Visitor) -> BooksView:
    node = _node(who)
    return BooksView(node, courier.list_partners(who.engine) if node is not None else [])


@router.get("/exchange", response_class=RedirectResponse, include_in_schema=False)
def exchange_page_moved(request: Request) -> RedirectResponse:
    """The page's address of the previous release (its word was "exchange")."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/courier{query}", status_code=308)


@router.get("/courier", response_class=HTMLResponse)
def courier_page(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    resent: Annotated[str, Query(max_length=36, pattern="^[0-9a-f-]*$")] = "",
) -> HTMLResponse:
    """This node, its partners and what was exchanged with each."""
    view = courier_view(who, resent)
    return pages.render(request, "courier.html", who, title=N_("Courier"), view=view)


@router.post("/courier/documents/{document_id}/resend", response_model=None)
@router.post(
    "/exchange/documents/{document_id}/resend", response_model=None, include_in_schema=False
)
def resend(who: VisitorDep, document_id: str, csrf: Token = None) -> RedirectResponse:
    """Send again a document the partner refused or the outbox set aside (an admin of the
    node's nation); back to the Courier page with the confirmation."""
    check_csrf(who, csrf)
    _own_node(who)
    entry = courier.resend(who.engine, document_id, who.principal.name, who.principal)
    return RedirectResponse(
        f"/courier?resent={quote(entry.document)}#confirmation", status_code=303
    )


@router.get("/books", response_class=HTMLResponse)
def books_page(request: Request, pages: PagesDep, who: VisitorDep) -> HTMLResponse:
    """Our book with each partner to download, and the form that reconciles theirs."""
    return _render(request, pages, who, books_view(who))


def _render(
    request: Request, pages: Pages, who: Visitor, view: BooksView, status_code: int = 200
) -> HTMLResponse:
    return pages.render(
        request, "books.html", who, status_code=status_code, title=N_("Reconcile"), view=view
    )


def _attachment(content: bytes, suffix: str, name: str) -> Response:
    return Response(
        content,
        media_type=MEDIA[suffix],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/books/{partner}.{suffix}")
def book_file(who: VisitorDep, partner: str, suffix: str) -> Response:
    """Our book with ``partner``: the signed file (JSON) or the CSV for people."""
    if suffix not in ("json", "csv"):
        raise NotFoundError.single(
            Code.INVALID_INPUT, "format", "no download as '{format}'", format=suffix
        )
    node = _own_node(who)
    code = partner.strip().upper()
    if code not in {p.nation for p in courier.list_partners(who.engine)}:
        raise NotFoundError.single(
            Code.PARTNER_NOT_FOUND,
            "partner",
            "'{partner}' is not a registered partner",
            partner=partner,
        )
    data, text = books.export_book(who.engine, code)
    name = f"book-{node.nation}-{code}-{today().isoformat()}"
    return _attachment(data if suffix == "json" else text.encode(), suffix, name)


def _statement(report: Report, suffix: str, lang: str = "en") -> Response:
    """The statement of reconciliation as a file, in the visitor's language ``lang``."""
    from acsa.adapters.exports.reconciliation import write_pdf, write_xlsx

    generated: datetime = utc_now()
    writer: Callable[[Report, FilePath, datetime, str], FilePath] = (
        write_xlsx if suffix == "xlsx" else write_pdf
    )
    name = f"reconciliation-{report.nation}-{report.partner}-{generated.date()}"
    with tempfile.TemporaryDirectory(prefix="acsa-web-") as scratch:
        path = FilePath(scratch) / f"{name}.{suffix}"
        writer(report, path, generated, lang)
        content = path.read_bytes()
    return _attachment(content, suffix, name)


def _read(upload: UploadFile | None) -> bytes:
    if upload is None or not upload.filename:
        raise AcsaError.single(Code.BOOK_INVALID, "file", "choose the partner's book file")
    data = upload.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise AcsaError.single(
            Code.BOOK_INVALID,
            "file",
            "the file is larger than {megabytes} MB",
            megabytes=MAX_FILE // (1024 * 1024),
        )
    return data


@router.post("/books/reconcile", response_model=None)
def reconcile(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    file: Upload = None,
    csrf: Token = None,
    answer: Choice = "html",
) -> Response:
    """The partner's book file against ours: the summary and every difference on the page,
    or the statement as XLSX or PDF. A refused file shows the page with why; nothing is
    recorded either way."""
    check_csrf(who, csrf)
    view = books_view(who)
    if answer not in FORMATS:
        raise AcsaError.single(
            Code.INVALID_INPUT, "answer", "no answer as '{answer}'", answer=answer
        )
    name = (file.filename or "") if file is not None else ""
    try:
        _own_node(who)
        report = books.reconcile_file(who.engine, _read(file))
    except (ForbiddenError, NotFoundError):
        raise
    except AcsaError as exc:
        errors = tuple(exc.violations)
        failed = BooksView(view.node, view.partners, file_name=name, errors=errors)
        return _render(request, pages, who, failed, status_of(exc))
    if answer != "html":
        return _statement(report, answer, who.lang)
    with reading(who.lang):  # the words the differences name, in the visitor's language
        out = books.report_out(report)
    shown = BooksView(view.node, view.partners, out, name)
    return _render(request, pages, who, shown)
