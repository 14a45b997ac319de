"""/api/v1: the exceptions report and the annual report of your nation, and the order form of
one order, as ``acsa report exceptions``, ``acsa report annual`` and ``acsa orders form`` make
them (the files by the same exporters)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.api.context import CtxDep
from acsa.api.language import in_reader_language
from acsa.api.problems import problem_responses
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.domain.fiscal import fiscal_year
from acsa.schemas.findings import ExceptionOut
from acsa.schemas.language import reader_language
from acsa.schemas.limits import Day
from acsa.schemas.reports import AnnualReport, OrderForm
from acsa.services.annual_report import annual_report
from acsa.services.findings import exceptions as find_exceptions
from acsa.services.order_forms import order_form

router = APIRouter(prefix="/api/v1", tags=["reports"])

OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class AnnualFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class FormFormat(StrEnum):
    PDF = "pdf"
    JSON = "json"


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _file_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the 200 answer is the JSON model or one of these files."""
    content: dict[str, Any] = {MEDIA_TYPES[f]: {} for f in formats}
    return {200: {"content": content, "description": "JSON, or the file asked for"}}


def _download(name: str, suffix: str, write: Callable[[FilePath], None]) -> Response:
    """The bytes ``write(path)`` puts in a scratch directory, sent as ``name``."""
    with tempfile.TemporaryDirectory(prefix="acsa-api-") as scratch:
        path = FilePath(scratch) / name
        write(path)
        content = path.read_bytes()
    return Response(
        content,
        media_type=MEDIA_TYPES[suffix],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/reports/exceptions",
    response_model=list[ExceptionOut],
    responses=problem_responses(400, 401),
)
def exceptions(
    ctx: CtxDep,
    as_of: Annotated[
        Day | None,
        Query(ge=FIRST_DAY, le=LAST_DAY, description="As of the end of this day (default: today)."),
    ] = None,
) -> list[ExceptionOut]:
    """What audits keep finding on orders your nation is party to: received but not
    invoiced, invoiced and overdue, replacement in kind due soon or past due, missing fields
    or signatures, settled but not closed."""
    return in_reader_language(find_exceptions(ctx.reader(), as_of, nation=ctx.nation))


@router.get(
    "/reports/annual",
    response_model=AnnualReport,
    responses={**problem_responses(400, 401, 422), **_file_responses("csv", "xlsx", "pdf")},
)
def annual(
    ctx: CtxDep,
    fy: Annotated[
        int,
        Query(
            ge=1900,
            le=9998,
            description="Fiscal year as your nation numbers it (JPN 2026: April 2026 to "
            "March 2027).",
        ),
    ],
    file_format: Annotated[
        AnnualFormat,
        Query(alias="format", description="JSON, or a CSV, XLSX or PDF file (with charts)."),
    ] = AnnualFormat.JSON,
) -> Response | AnnualReport:
    """Your nation's support over one fiscal year: orders and their value by partner,
    category and activity, settled and open, provided and received; value per month; balance
    with each partner at month end. Amounts per currency, never added across currencies."""
    year = fiscal_year(ctx.nation, fy, shipped_fiscal_calendars())
    data = annual_report(ctx.reader(), ctx.nation, year.start, year.end, year.label)
    if file_format is AnnualFormat.JSON:
        return data
    suffix = file_format.value
    return _download(
        f"annual-{data.nation}-{year.label}.{suffix}",
        suffix,
        lambda path: _write_annual(file_format, data, path),
    )


def _write_annual(file_format: AnnualFormat, data: AnnualReport, path: FilePath) -> None:
    """As ``acsa report annual --format``: the workbook and the PDF carry the charts (drawn
    beside the file first); the CSV has none. The exporters (matplotlib, reportlab, openpyxl)
    load when a file is asked for, as in the CLI."""
    if file_format is AnnualFormat.CSV:
        from acsa.adapters.exports.csv_export import write_csv

        write_csv(data, path)
        return
    from acsa.adapters.exports.charts import write_charts

    lang = reader_language()
    charts = write_charts(data, path.parent, path.stem, lang=lang)
    if file_format is AnnualFormat.XLSX:
        from acsa.adapters.exports.xlsx import write_xlsx

        write_xlsx(data, path, charts, lang=lang)
    else:
        from acsa.adapters.exports.pdf import write_pdf

        write_pdf(data, path, charts, lang=lang)


@router.get(
    "/orders/{order_id}/form",
    response_model=OrderForm,
    responses={**problem_responses(400, 401, 404), **_file_responses("pdf")},
)
def form(
    ctx: CtxDep,
    order_id: OrderId,
    file_format: Annotated[
        FormFormat, Query(alias="format", description="The PDF form, or what it shows as JSON.")
    ] = FormFormat.PDF,
) -> Response | OrderForm:
    """The order / receipt / invoice form: every field of the standard form, the signatures
    from the order's history, invoices, payments, settlements, documents."""
    data = order_form(ctx.reader(), order_id)
    if file_format is FormFormat.JSON:
        return data
    lang = reader_language()  # Accept-Language

    def write(path: FilePath) -> None:
        from acsa.adapters.exports.order_form import write_order_form

        write_order_form(data, path, lang=lang)

    return _download(f"order-{order_id}.pdf", "pdf", write)
