"""acsa partners registry NATION: where this node's registry (agreement versions, official
rates) differs from what the partner's node sent of its own."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from acsa.cli import language
from acsa.cli.common import ActorOption, DbOption, JsonOption, engine_for, out, print_json, refusals
from acsa.cli.courier import partners_app
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, show_result
from acsa.config import actor as acting
from acsa.domain.messages import t
from acsa.i18n import say


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
    from acsa.services import registry_exchange as service

    lang = language.current()
    with refusals(as_json):
        engine = engine_for(db)
        if send:
            sent = service.send_registry(engine, nation, acting(actor))
            if not as_json:
                said = t("{count} registry documents queued for {partner}")
                out.print(say(said, lang, {"count": sent, "partner": nation.upper()}))
        report = service.registry_comparison(engine, nation)
    if as_json:
        print_json(report)
        return
    if not report.differences:
        said = t(
            "{nation}'s registry and {partner}'s agree ({count} entries received from {partner})"
        )
        params = {"nation": report.nation, "partner": report.partner, "count": report.received}
        out.print(say(said, lang, params))
        return
    table = Table(title="Registry differences")
    for column in ("kind", "registry entry", "field", "this node", "partner"):
        table.add_column(column, overflow="fold")
    for d in report.differences:
        only = t("held here only") if d.only == "ours" else t("held by the partner only")
        field = d.field or say(only, lang)
        table.add_row(d.kind, d.key, field, d.ours or "-", d.theirs or "-")
    show_result(table, output_format)
