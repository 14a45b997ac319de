"""acsa audit log|verify|checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from acsa.cli.options import LimitOption, OffsetOption, OrderIdOption
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, action_words, show_result
from acsa.domain.errors import AcsaError, Code

if TYPE_CHECKING:
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
    order: OrderIdOption = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    oldest: Annotated[
        bool, typer.Option("--oldest", help="The oldest records first (chain order).")
    ] = False,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The records, the newest first (--oldest: in chain order): who, when, what, before and
    after, and the chain's hashes (through a server: an auditor's or admin's, of their
    nation)."""
    from acsa.services import audit as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            records = api.audit_log(order, limit, offset, newest_first=not oldest)
        else:
            uow = uow_for(engine_for(db), True)
            records = service.audit_log(uow, order, None, limit, offset, newest_first=not oldest)
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
            action_words(r.action),
            r.subject,
            _state(r.before),
            _state(r.after),
            r.hash[:12],
        )
    show_result(table, output_format)


CheckpointFileOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help="Check the chain against this checkpoint file (default: the latest kept for "
        "this database in the checkpoint directory).",
        dir_okay=False,
    ),
]


@app.command("verify")
def verify(
    checkpoint: CheckpointFileOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check every link and hash of the chain, that every ledger entry is covered as written,
    that every business row (orders, lines, history, invoices, payments, settlements, users,
    agreements) is what the chain last recorded, and the chain against the latest checkpoint;
    exits 2 and names the first record or row at fault otherwise."""
    from acsa.adapters.checkpoints import read_checkpoint
    from acsa.services import audit as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            if checkpoint is not None:
                raise AcsaError.single(
                    Code.INVALID_INPUT,
                    "checkpoint",
                    "--checkpoint is checked against the database itself: run it where the "
                    "database is (--db), not through a server",
                )
            result = api.verify_audit()
        else:
            given = read_checkpoint(checkpoint) if checkpoint is not None else None
            result = service.verify_audit(
                uow_for(engine_for(db), True), checkpoint=given, keep_outcome=True
            )
    if as_json:
        print_json(result)
    elif result.ok:
        held = ""
        if result.checkpoint is not None:
            cp = result.checkpoint.checkpoint
            held = f"; holds against the checkpoint of {cp.at[:19]} (record {cp.seq})"
        out.print(
            f"[green]audit chain intact[/green]: {result.records} records, "
            f"{result.ledger_entries} ledger entries covered, {result.rows} rows as recorded" + held
        )
    else:
        for p in result.problems:
            out.print(f"[red]{_where(p)}[/red]: {p.reason}")
        if result.rows_at_fault > sum(1 for p in result.problems if p.table is not None):
            out.print(f"{result.rows_at_fault} rows in all are not as recorded")
    if not result.ok:
        raise typer.Exit(2)


def _where(problem: service.AuditProblemOut) -> str:
    if problem.code == Code.AUDIT_CHECKPOINT_MISMATCH.value:
        return "checkpoint"
    if problem.table is not None:
        return f"row {problem.table} {problem.key}"
    if problem.code != Code.AUDIT_CHAIN_BROKEN.value:
        return "rows"
    return f"record {problem.seq}" if problem.seq is not None else "ledger"


@app.command("checkpoint")
def checkpoint(
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the checkpoint to this file (to keep elsewhere).",
            dir_okay=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign the audit chain's head (record, hash, count, time) with the node's key, or this
    installation's, and keep it outside the database: in the checkpoint directory and --out."""
    from acsa.services import audit as service

    with refusals(as_json):
        if remote(db) is not None:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                "server",
                "a checkpoint is taken where the database is (the server takes its own every "
                "ACSA_CHECKPOINT_INTERVAL seconds)",
            )
        engine = engine_for(db)
        head = service.head_checkpoint(uow_for(engine, True))
        taken = service.keep_checkpoint(uow_for(engine, True), head, out_file)
        sent = service.send_checkpoint(uow_for(engine, True), head)
    if as_json:
        print_json(taken)
        return
    out.print(
        f"checkpoint of record {taken.seq} ({taken.count} records, hash {taken.hash[:16]}...) "
        f"signed by {taken.signer} at {taken.at[:19]}: {taken.file}"
    )
    for partner in sent:
        out.print(
            f"sent to {partner.nation}'s node"
            if partner.ok
            else f"[yellow]not sent to {partner.nation}'s node[/yellow]: {partner.error}"
        )


@app.command("partner-heads")
def partner_heads(
    nation: Annotated[
        str | None, typer.Option("--nation", help="Only this partner's (with --out).")
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write --nation's latest checkpoint to this file, for its own "
            "`acsa audit verify --checkpoint`.",
            dir_okay=False,
        ),
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The latest checkpoint of its audit chain each partner node sent here: what that node
    cannot later deny having recorded."""
    from acsa.adapters.checkpoints import write_checkpoint
    from acsa.services import audit as service

    with refusals(as_json):
        if remote(db) is not None:
            raise AcsaError.single(
                Code.INVALID_INPUT, "server", "run partner-heads where the database is (--db)"
            )
        uow = uow_for(engine_for(db), True)
        if out_file is not None:
            if nation is None:
                raise AcsaError.single(Code.MISSING_FIELD, "nation", "--out needs --nation")
            write_checkpoint(service.partner_head(uow, nation), out_file)
        heads = service.partner_heads(uow)
    if nation is not None:
        heads = [h for h in heads if h.nation == nation.upper()]
    if as_json:
        print_json(heads)
        return
    table = Table(title="Partners' audit checkpoints")
    for column in ("partner", "record", "records", "hash", "at"):
        table.add_column(column)
    for head in heads:
        cp = head.checkpoint
        table.add_row(head.nation, str(cp.seq), str(cp.count), cp.hash[:16], cp.at[:19])
    show_result(table, output_format)
