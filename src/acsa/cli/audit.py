"""acsa audit log|verify."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

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
from acsa.services import audit as service

app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log of every change.")


def _state(value: object) -> str:
    """A short form: an order's state and version, else the start of the JSON."""
    if value is None:
        return ""
    if isinstance(value, dict) and "status" in value and "version" in value:
        return f"{value['status']} (v{value['version']})"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


@app.command("log")
def log(
    order: Annotated[int | None, typer.Option("--order", help="Only this order's records.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The records in order: who, when, what, before and after, and the chain's hashes
    (through a server: an auditor's or admin's, of their nation)."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            records = api.audit_log(order, limit, offset)
        else:
            records = service.audit_log(uow_for(engine_for(db), True), order, None, limit, offset)
    if as_json:
        print_json(records)
        return
    table = Table(title="Audit log")
    for column in ("#", "at", "who", "action", "subject", "before", "after", "hash"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            str(r.seq),
            r.at[:19],
            r.actor + (f" ({r.nation})" if r.nation else ""),
            r.action,
            r.subject,
            _state(r.before),
            _state(r.after),
            r.hash[:12],
        )
    out.print(table)


@app.command("verify")
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check every link and hash of the chain and that every ledger entry is covered as
    written; exits 2 and names the first broken record otherwise."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            result = api.verify_audit()
        else:
            result = service.verify_audit(uow_for(engine_for(db), True))
    if as_json:
        print_json(result)
    elif result.ok:
        out.print(
            f"[green]audit chain intact[/green]: {result.records} records, "
            f"{result.ledger_entries} ledger entries covered"
        )
    else:
        for p in result.problems:
            where = f"record {p.seq}" if p.seq is not None else "ledger"
            out.print(f"[red]{where}[/red]: {p.reason}")
    if not result.ok:
        raise typer.Exit(2)
