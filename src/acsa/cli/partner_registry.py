"""acsa partners registry NATION: where this node's registry (agreement versions, official
rates) differs from what the partner's node sent of its own."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from acsa.cli.common import ActorOption, DbOption, JsonOption, engine_for, out, print_json, refusals
from acsa.cli.courier import partners_app
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, show_result
from acsa.config import actor as acting
from acsa.services import registry_exchange as service


@partners_app.command("registry")
def registry(
    nation: Annotated[str, typer.Argument(help="The partner nation (ISO alpha-3).")],
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="First send the partner this node's whole registry that concerns it "
            "(a partner registered after the registry was recorded).",
        ),
    ] = False,
    actor: ActorOption = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Where this node's registry differs from the partner's: agreement versions and official
    rates recorded otherwise, or held by one side only."""
    with refusals(as_json):
        engine = engine_for(db)
        if send:
            sent = service.send_registry(engine, nation, acting(actor))
            if not as_json:
                out.print(f"{sent} registry documents queued for {nation.upper()}")
        report = service.registry_comparison(engine, nation)
    if as_json:
        print_json(report)
        return
    if not report.differences:
        out.print(
            f"{report.nation}'s registry and {report.partner}'s agree "
            f"({report.received} entries received from {report.partner})"
        )
        return
    table = Table(title="Registry differences")
    for column in ("kind", "entry", "field", "here", "partner"):
        table.add_column(column, overflow="fold")
    for d in report.differences:
        field = d.field or ("held here only" if d.only == "ours" else "held by the partner only")
        table.add_row(d.kind, d.key, field, d.ours or "-", d.theirs or "-")
    show_result(table, output_format)
