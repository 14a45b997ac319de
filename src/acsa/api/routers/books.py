"""/api/v1/books: this node's book with a partner (signed, for the partner's reconciliation)
and the partner's book reconciled with ours, as ``acsa books export|reconcile`` make them.

The book is the node's nation's: only that nation's people may read it (anyone else is
FORBIDDEN), and a book file is reconciled with it only. Reading: nothing is recorded.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from acsa.api.context import CtxDep
from acsa.api.language import in_reader_language
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.api.routers.reports import MEDIA_TYPES, _download, _file_responses
from acsa.clock import today, utc_now
from acsa.domain.access import ForbiddenError, Permission
from acsa.domain.errors import Code
from acsa.schemas.language import reader_language
from acsa.services import books as service
from acsa.services.books import ReconciliationOut

router = APIRouter(prefix="/api/v1/books", tags=["books"])


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class ReconcileFormat(StrEnum):
    JSON = "json"
    XLSX = "xlsx"
    PDF = "pdf"


def _own_book(ctx: CtxDep) -> str:
    """The node's nation, if it is the signed-in person's; FORBIDDEN otherwise."""
    ctx.need(Permission.VIEW)
    nation = service.node_nation(ctx.engine)
    if ctx.nation != nation:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            "this node keeps {nation}'s book; as a user of {yours} you may not read it",
            nation=nation,
            yours=ctx.nation,
        )
    return nation


@router.get(
    "/export",
    responses={
        **problem_responses(400, 401, 403, 404, 422),
        200: {
            "content": {"application/json": {}, MEDIA_TYPES["csv"]: {}},
            "description": "The signed book file (JSON), or the CSV for people",
        },
    },
)
def export(
    ctx: CtxDep,
    partner: Annotated[
        str, Query(min_length=3, max_length=3, description="The partner (e.g. NZL).")
    ],
    file_format: Annotated[
        ExportFormat,
        Query(alias="format", description="The signed JSON book file, or the CSV for people."),
    ] = ExportFormat.JSON,
) -> Response:
    """This node's book with ``partner``: every order between the two nations, its lines,
    money and documents, signed with the node's key (the file the partner reconciles)."""
    nation = _own_book(ctx)
    partner = partner.upper()
    data, text = service.export_book(ctx.engine, partner)
    name = f"book-{nation}-{partner}-{today().isoformat()}"
    if file_format is ExportFormat.CSV:
        return Response(
            text.encode(),
            media_type=MEDIA_TYPES["csv"],
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        data,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


@router.post(
    "/reconcile",
    response_model=ReconciliationOut,
    responses={**problem_responses(400, 401, 403, 422), **_file_responses("xlsx", "pdf")},
)
def reconcile(
    ctx: CtxDep,
    body: RawBody,
    file_format: Annotated[
        ReconcileFormat,
        Query(alias="format", description="JSON, or the statement as an XLSX or PDF file."),
    ] = ReconcileFormat.JSON,
) -> Response | ReconciliationOut:
    """The partner's book file (the body, as their node exported it) against our book, order
    by order: how many match, and every difference; a signature that does not verify with the
    partner's registered key is a difference of kind ``signature``."""
    _own_book(ctx)
    report = service.reconcile_file(ctx.engine, body)
    if file_format is ReconcileFormat.JSON:
        return in_reader_language(service.report_out(report))
    suffix = file_format.value
    generated = utc_now()
    lang = reader_language()  # Accept-Language

    def write(path: FilePath) -> None:
        from acsa.adapters.exports.reconciliation import write_pdf, write_xlsx

        writer = write_xlsx if file_format is ReconcileFormat.XLSX else write_pdf
        writer(report, path, generated, lang)

    name = f"reconciliation-{report.nation}-{report.partner}-{generated.date()}.{suffix}"
    return _download(name, suffix, write)
