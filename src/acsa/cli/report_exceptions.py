"""acsa report exceptions: what audits keep finding, listed at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from acsa.cli import report
from acsa.cli.common import (
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
    uow_for,
)
from acsa.cli.options import parse_day
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, message, said, say_now, show_result, term
from acsa.domain.money import money_text

if TYPE_CHECKING:
    from acsa.schemas.findings import ExceptionOut


@report.app.command("exceptions")
def exceptions(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="As of the end of this day (YYYY-MM-DD); default: today."),
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """What audits keep finding, with order, nations, age in days and value.

    Received but not invoiced; invoiced and overdue; replacement in kind due within 30 days
    or past due; orders missing a required field or a signature; orders settled but not
    closed. Through a server: on orders your nation is party to."""
    from acsa.services.findings import exceptions as find_exceptions

    with refusals(as_json):
        api = remote(db)
        day = parse_day(as_of, "--as-of")
        if api is not None:
            found = api.exceptions(day)
        else:
            found = find_exceptions(uow_for(engine_for(db), read_only=True), day)
    if as_json:
        print_json(found)
        return
    if not found and output_format is OutputFormat.TABLE:
        out.print(say_now("no exceptions"), style="green")
        return
    show_result(exceptions_table(found), output_format)


def exceptions_table(items: list[ExceptionOut]) -> Table:
    table = Table(title=said("exceptions (%(n)s)", n=len(items)))
    for column in ("kind", "order", "supplier", "requester"):
        table.add_column(column)
    table.add_column("age (days)", justify="right")
    table.add_column("value", justify="right")
    table.add_column("finding", overflow="fold")
    for e in items:
        table.add_row(
            term(e.kind),
            str(e.order),
            e.supplier,
            e.requester,
            str(e.age_days),
            money_text(e.value, e.currency),
            message(e.message, e.message_id, e.params),
        )
    return table
