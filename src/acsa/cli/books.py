"""acsa books export|reconcile: this node's book with a partner, signed, and the partner's
book against ours, order by order. On a local database only (the node's own)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from acsa.cli import language
from acsa.cli.common import DbOption, JsonOption, engine_for, out, refusals
from acsa.cli.output import OutputFormat
from acsa.cli.render import show_result, use_format
from acsa.domain.errors import AcsaError, Code

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from acsa.domain.reconcile import Report


app = typer.Typer(
    no_args_is_help=True,
    help="The two books: export this node's book with a partner (signed), and reconcile the "
    "partner's book with ours.",
)

#: ``acsa books reconcile`` exits with this when the books differ (2 is a refusal).
EXIT_DIFFERENCES = 1


class ReconcileFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    XLSX = "xlsx"
    PDF = "pdf"


def _choose_format(value: ReconcileFormat) -> ReconcileFormat:
    """--format: csv, tsv and json as every command's --format takes them."""
    if value.value in set(OutputFormat):
        use_format(OutputFormat(value.value))
    return value


def _export(engine: Engine, partner: str, json_path: Path, csv_path: Path) -> int:
    """The book written to the two files as it is read (a page of orders at a time), each
    first as FILE.part, renamed when whole: a failed export leaves no half file."""
    from acsa.adapters.exports import cannot_write
    from acsa.services import books as service

    paths = (json_path, csv_path)
    parts = [path.with_name(path.name + ".part") for path in paths]
    written = json_path
    try:
        with parts[0].open("wb") as book, parts[1].open("w", encoding="utf-8", newline="") as table:
            orders = service.write_export(engine, partner, book, table)
        for part, path in zip(parts, paths, strict=True):
            written = path
            part.replace(path)
    except OSError as exc:
        raise cannot_write(written, exc) from None
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return orders


@app.command("export")
def export(
    partner: Annotated[str, typer.Option("--partner", help="The partner (e.g. NZL).")],
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write FILE.json (signed) and FILE.csv; default: book-<NATION>-<PARTNER>-<date> "
            "in the current directory.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export this node's book with a partner: every order between the two nations, its
    lines, money and documents, as a JSON file signed with the node's key (for the partner's
    `acsa books reconcile`) and a CSV for people."""
    from acsa.adapters.exports import check_output
    from acsa.clock import today

    with refusals(as_json):
        engine = engine_for(db)
        partner = partner.strip().upper()
        if out_file is None:
            from acsa.services.books import node_nation

            nation = node_nation(engine)
            out_file = Path(f"book-{nation}-{partner}-{today().isoformat()}")
        if out_file.suffix in (".json", ".csv"):
            out_file = out_file.with_suffix("")
        json_path = out_file.with_name(out_file.name + ".json")
        csv_path = out_file.with_name(out_file.name + ".csv")
        check_output(json_path)
        orders = _export(engine, partner, json_path, csv_path)
    if as_json:
        written = {
            "partner": partner,
            "orders": orders,
            "json": str(json_path),
            "csv": str(csv_path),
        }
        sys.stdout.write(json.dumps(written, indent=2) + "\n")
        return
    out.print(f"{orders} orders with {partner}: wrote {json_path} (signed) and {csv_path}")


@app.command("reconcile")
def reconcile(
    file: Annotated[Path, typer.Argument(help="The partner's book file (JSON).")],
    file_format: Annotated[
        ReconcileFormat,
        typer.Option(
            "--format",
            help="table, csv, tsv, json (as --json), or a statement as xlsx or pdf.",
            case_sensitive=False,
            is_eager=True,
            callback=_choose_format,
        ),
    ] = ReconcileFormat.TABLE,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the xlsx or pdf statement (default: "
            "reconciliation-<NATION>-<PARTNER>-<date>.<format>).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reconcile a partner's book file with ours, order by order: orders missing on either
    side, other states, currencies, amounts, quantities, documents, broken chains, and a
    signature that does not verify with the partner's registered key. Exits 1 when the books
    differ."""
    from acsa.adapters.exports import check_output
    from acsa.services import books as service

    with refusals(as_json):
        try:
            stream = file.open("rb")
        except OSError as exc:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                "file",
                "cannot read {file}: {problem}",
                file=str(file),
                problem=str(exc.strerror or exc),
            ) from None
        if out_file is not None:
            check_output(out_file)
        with stream:  # read as it is reconciled, never whole (a version 2 book)
            report = service.reconcile_stream(engine_for(db), stream)
        if file_format in (ReconcileFormat.XLSX, ReconcileFormat.PDF):
            _statement(report, file_format, out_file)
    if as_json:
        sys.stdout.write(json.dumps(_json(report), indent=2) + "\n")
    elif file_format in (ReconcileFormat.CSV, ReconcileFormat.TSV):
        show_result(differences_table(report), OutputFormat(file_format.value))
        out.print(report.summary)
    elif file_format is ReconcileFormat.TABLE:
        if report.differences:
            show_result(differences_table(report))
        out.print(("[green]" if report.ok else "[red]") + report.summary)
    if not report.ok:
        raise typer.Exit(EXIT_DIFFERENCES)


def _json(report: Report) -> dict[str, object]:
    from acsa.services import books as service

    body = service.report_out(report).model_dump(mode="json")
    return {
        "matched": body["matched"],
        "differences": body["differences"],
        "summary": body["summary"],
    }


def _statement(report: Report, file_format: ReconcileFormat, path: Path | None) -> None:
    from acsa.adapters.exports.reconciliation import write_pdf, write_xlsx
    from acsa.clock import today, utc_now

    suffix = file_format.value
    if path is None:
        path = Path(f"reconciliation-{report.nation}-{report.partner}-{today()}.{suffix}")
    write = write_xlsx if file_format is ReconcileFormat.XLSX else write_pdf
    write(report, path, utc_now(), language.current())
    out.print(f"wrote {path}: {report.summary}")


def differences_table(report: Report) -> Table:
    from acsa.services import books as service

    table = Table(title=f"differences: {report.nation} / {report.partner}")
    for column in ("kind", "order", "our number", "their number", "field", "ours", "theirs"):
        table.add_column(column, overflow="fold")
    table.add_column("finding", overflow="fold")
    for row in service.differences_rows(report):
        table.add_row(*row)
    return table
