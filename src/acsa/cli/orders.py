"""acsa orders new|check|list|show|submit|accept|reject|deliver|receive|cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from acsa.adapters.registry_file import read_document
from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    LineOption,
    engine_for,
    err,
    out,
    parse_lines,
    print_errors,
    print_json,
    refusals,
    uow_for,
)
from acsa.cli.render import order_panel, orders_table
from acsa.config import actor as acting
from acsa.domain.order import Order, OrderStatus
from acsa.schemas import ErrorsOut, OrderOut, order_out, violation_out
from acsa.services import orders as service
from acsa.services.settlement import close as close_order

app = typer.Typer(no_args_is_help=True, help="Orders for supplies and services under an agreement.")

IdArgument = Annotated[int, typer.Argument(metavar="ID", help="The order's number.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the record.")]


def _show(order: OrderOut, as_json: bool) -> None:
    if as_json:
        print_json(order)
    else:
        out.print(order_panel(order))


def _show_stored(db: str | None, order: Order, as_json: bool) -> None:
    """Show an order just changed as it is now stored, with its whole history."""
    assert order.id is not None
    with refusals(as_json):
        stored = service.get_order(uow_for(engine_for(db, check_schema=False), True), order.id)
    _show(order_out(stored), as_json)


def _out(db: str | None, order: Order) -> OrderOut:
    """The order's JSON form; drafts carry what the checks would refuse now."""
    violations = []
    if order.status is OrderStatus.DRAFT:
        violations = service.violations_now(
            uow_for(engine_for(db, check_schema=False), read_only=True), order
        )
    return order_out(order, violations)


@app.command()
def new(
    file: Annotated[Path, typer.Option("--file", help="Order document (JSON); see the README.")],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft order from a JSON document. Malformed orders are refused; what the
    agreement would refuse is shown, and must be fixed before submit."""
    with refusals(as_json):
        order, warnings = service.place_order(
            uow_for(engine_for(db)), read_document(file), acting(actor)
        )
        result = order_out(order, warnings)
    _show(result, as_json)
    if warnings and not as_json:
        err.print(
            f"[yellow]order {order.id} saved as a draft; submit will be refused until "
            "the problems above are fixed[/yellow]"
        )


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Option("--file", help="Check a document without saving it.")
    ] = None,
    order_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="Check a stored order.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the agreement checks on an order or a document, changing nothing. Exits 2 when the
    checks would refuse it."""
    with refusals(as_json):
        uow = uow_for(engine_for(db), read_only=True)
        if file is not None:
            violations = service.check_document(uow, read_document(file))
        elif order_id is not None:
            order = service.get_order(uow, order_id)
            violations = service.violations_now(uow, order)
        else:
            raise typer.BadParameter("give an order ID or --file")
    if violations:
        print_errors(violations, as_json)
        raise typer.Exit(2)
    if as_json:
        print_json(ErrorsOut(errors=[violation_out(v) for v in violations]))
    else:
        out.print("[green]the agreement checks pass[/green]")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Only orders in this state.")] = None,
    agreement: Annotated[str | None, typer.Option(help="Only orders under this agreement.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List orders, oldest first."""
    with refusals(as_json):
        engine = engine_for(db)
        found = service.list_orders(
            uow_for(engine, read_only=True), status, agreement, limit, offset
        )
        items = [order_out(o) for o in found]
    if as_json:
        print_json(items)
        return
    out.print(orders_table(items))


@app.command()
def show(order_id: IdArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    """One order with its lines and its full dated, attributed history."""
    with refusals(as_json):
        order = service.get_order(uow_for(engine_for(db), read_only=True), order_id)
        result = _out(db, order)
    _show(result, as_json)


@app.command()
def submit(
    order_id: IdArgument,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Submit a draft to the supplier; the agreement checks run first."""
    with refusals(as_json):
        order = service.submit(uow_for(engine_for(db)), order_id, acting(actor))
    _show_stored(db, order, as_json)


@app.command()
def accept(
    order_id: IdArgument,
    line: LineOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept for the supplier (less on some lines with --line N=QTY); the checks run again."""
    with refusals(as_json):
        order = service.accept(uow_for(engine_for(db)), order_id, acting(actor), parse_lines(line))
    _show_stored(db, order, as_json)


@app.command()
def reject(
    order_id: IdArgument,
    reason: ReasonOption = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a submitted order for the supplier."""
    with refusals(as_json):
        order = service.reject(uow_for(engine_for(db)), order_id, acting(actor), reason)
    _show_stored(db, order, as_json)


@app.command()
def deliver(
    order_id: IdArgument,
    line: LineOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a delivery: everything still to deliver, or --line N=QTY for a partial one."""
    with refusals(as_json):
        order = service.deliver(uow_for(engine_for(db)), order_id, acting(actor), parse_lines(line))
    _show_stored(db, order, as_json)


@app.command()
def receive(
    order_id: IdArgument,
    line: LineOption = None,
    note: Annotated[str, typer.Option("--note", help="Discrepancy note for the record.")] = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the receipt of what was delivered. With --line N=QTY, line N was received in
    that quantity (0 for none) and the difference is recorded as a discrepancy; lines not
    named were received as delivered."""
    with refusals(as_json):
        order = service.receive(
            uow_for(engine_for(db)), order_id, acting(actor), parse_lines(line), note
        )
    _show_stored(db, order, as_json)


@app.command()
def cancel(
    order_id: IdArgument,
    reason: ReasonOption = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel an order before anything is delivered."""
    with refusals(as_json):
        order = service.cancel(uow_for(engine_for(db)), order_id, acting(actor), reason)
    _show_stored(db, order, as_json)


@app.command()
def close(
    order_id: IdArgument,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a received order once nothing is owed on it, in cash or in kind."""
    with refusals(as_json):
        order = close_order(uow_for(engine_for(db)), order_id, acting(actor))
    _show_stored(db, order, as_json)
