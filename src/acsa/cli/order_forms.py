"""acsa orders form: the order / receipt / invoice form of one order, as a PDF file."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from acsa.cli import language, orders
from acsa.cli.common import DbOption, JsonOption, engine_for, out, refusals, remote, uow_for


class FormFormat(StrEnum):
    PDF = "pdf"


def _write(path: Path, write: Callable[[], object]) -> None:
    from acsa.adapters.exports import cannot_write

    try:
        write()
    except OSError as exc:
        raise cannot_write(path, exc) from None


@orders.app.command("form")
def form(
    order_id: orders.IdArgument,
    file_format: Annotated[
        FormFormat, typer.Option("--format", help="The file to write.", case_sensitive=False)
    ] = FormFormat.PDF,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the form (default: order-ID.pdf in the current directory).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the order / receipt / invoice form: every field of the standard form, the
    signatures from the order's history, invoices, payments, settlements, documents (through
    a server: the form the server makes, written here)."""
    from acsa.adapters.exports import check_output
    from acsa.services.order_forms import order_form

    path = out_path or Path(f"order-{order_id}.{file_format.value}")

    with refusals(as_json):
        api = remote(db)
        check_output(path)
        if api is not None:
            content = api.order_form_pdf(order_id)
            _write(path, lambda: path.write_bytes(content))
        else:
            from acsa.adapters.exports.order_form import write_order_form  # reportlab: when used

            data = order_form(uow_for(engine_for(db), read_only=True), order_id)
            _write(path, lambda: write_order_form(data, path, lang=language.current()))
    if as_json:
        sys.stdout.write(json.dumps({"file": str(path)}) + "\n")
    else:
        out.print(str(path))
