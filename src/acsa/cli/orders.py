"""acsa orders new|check|list|show|submit|accept|reject|deliver|receive|cancel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    remote,
    uow_for,
)
from acsa.cli.options import ID_MAX, ID_MIN, LimitOption, OffsetOption
from acsa.cli.render import order_panel, orders_table
from acsa.config import actor as acting
from acsa.domain.errors import Violation
from acsa.domain.order import Order, OrderStatus
from acsa.schemas import ErrorsOut, OrderOut, order_out, violation_out
from acsa.services import orders as service
from acsa.services.settlement import close as close_order

if TYPE_CHECKING:
    from acsa.adapters.db.unit_of_work import UnitOfWork
    from acsa.client import Client

app = typer.Typer(no_args_is_help=True, help="Orders for supplies and services under an agreement.")

IdArgument = Annotated[
    int, typer.Argument(metavar="ID", min=ID_MIN, max=ID_MAX, help="The order's number.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the record.")]


def _show(order: OrderOut, as_json: bool) -> None:
    if as_json:
        print_json(order)
    else:
        out.print(order_panel(order))


def _stored(db: str | None, order: Order) -> OrderOut:
    """An order just changed as it is now stored, with its whole history."""
    assert order.id is not None
    stored = service.get_order(uow_for(engine_for(db, check_schema=False), True), order.id)
    return order_out(stored)


def _out(db: str | None, order: Order) -> OrderOut:
    """The order's JSON form; drafts carry what the checks would refuse now."""
    violations = []
    if order.status is OrderStatus.DRAFT:
        violations = service.violations_now(
            uow_for(engine_for(db, check_schema=False), read_only=True), order
        )
    return order_out(order, violations)


Step = Callable[["UnitOfWork", str], Order]


def _act(
    db: str | None,
    actor: str | None,
    as_json: bool,
    through: Callable[[Client], OrderOut],
    step: Step,
) -> None:
    """Act on an order through the server or with the service, then show it as stored."""
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            result = through(api)
        else:
            result = _stored(db, step(uow_for(engine_for(db)), acting(actor)))
    _show(result, as_json)


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
        api = remote(db, actor)
        if api is not None:
            result = api.place_order(read_document(file))
        else:
            order, warnings = service.place_order(
                uow_for(engine_for(db)), read_document(file), acting(actor)
            )
            result = order_out(order, warnings)
    _show(result, as_json)
    if result.violations and not as_json:
        err.print(
            f"[yellow]order {result.id} saved as a draft; submit will be refused until "
            "the problems above are fixed[/yellow]"
        )


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Option("--file", help="Check a document without saving it.")
    ] = None,
    order_id: Annotated[
        int | None,
        typer.Argument(metavar="[ID]", min=ID_MIN, max=ID_MAX, help="Check a stored order."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the agreement checks on an order or a document, changing nothing. Exits 2 when the
    checks would refuse it."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            violations = _checked(file, order_id, api.check_document, api.check_order)
        else:
            uow = uow_for(engine_for(db), read_only=True)
            violations = _checked(
                file,
                order_id,
                lambda doc: service.check_document(uow, doc),
                lambda i: service.violations_now(uow, service.get_order(uow, i)),
            )
    if violations:
        print_errors(violations, as_json)
        raise typer.Exit(2)
    if as_json:
        print_json(ErrorsOut(errors=[violation_out(v) for v in violations]))
    else:
        out.print("[green]the agreement checks pass[/green]")


def _checked(
    file: Path | None,
    order_id: int | None,
    document: Callable[[object], list[Violation]],
    stored: Callable[[int], list[Violation]],
) -> list[Violation]:
    if file is not None:
        return document(read_document(file))
    if order_id is not None:
        return stored(order_id)
    raise typer.BadParameter("give an order ID or --file")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Only orders in this state.")] = None,
    agreement: Annotated[str | None, typer.Option(help="Only orders under this agreement.")] = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List orders, oldest first (through a server: those of your nation)."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            items = api.list_orders(status, agreement, limit, offset)
        else:
            found = service.list_orders(
                uow_for(engine_for(db), read_only=True), status, agreement, limit, offset
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
        api = remote(db)
        if api is not None:
            result = api.get_order(order_id)
        else:
            result = _out(db, service.get_order(uow_for(engine_for(db), read_only=True), order_id))
    _show(result, as_json)


@app.command()
def submit(
    order_id: IdArgument,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Submit a draft to the supplier; the agreement checks run first."""
    _act(
        db,
        actor,
        as_json,
        lambda api: api.submit(order_id),
        lambda uow, who: service.submit(uow, order_id, who),
    )


@app.command()
def accept(
    order_id: IdArgument,
    line: LineOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept for the supplier (less on some lines with --line N=QTY); the checks run again."""
    _act(
        db,
        actor,
        as_json,
        lambda api: api.accept(order_id, parse_lines(line)),
        lambda uow, who: service.accept(uow, order_id, who, parse_lines(line)),
    )


@app.command()
def reject(
    order_id: IdArgument,
    reason: ReasonOption = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a submitted order for the supplier."""
    _act(
        db,
        actor,
        as_json,
        lambda api: api.reject(order_id, reason),
        lambda uow, who: service.reject(uow, order_id, who, reason),
    )


@app.command()
def deliver(
    order_id: IdArgument,
    line: LineOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a delivery: everything still to deliver, or --line N=QTY for a partial one."""
    _act(
        db,
        actor,
        as_json,
        lambda api: api.deliver(order_id, parse_lines(line)),
        lambda uow, who: service.deliver(uow, order_id, who, parse_lines(line)),
    )


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
    _act(
        db,
        actor,
        as_json,
        lambda api: api.receive(order_id, parse_lines(line), note),
        lambda uow, who: service.receive(uow, order_id, who, parse_lines(line), note),
    )


@app.command()
def cancel(
    order_id: IdArgument,
    reason: ReasonOption = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel an order before anything is delivered."""
    _act(
        db,
        actor,
        as_json,
        lambda api: api.cancel(order_id, reason),
        lambda uow, who: service.cancel(uow, order_id, who, reason),
    )


@app.command()
def close(
    order_id: IdArgument,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a received order once nothing is owed on it, in cash or in kind."""
    _act(
        db,
        actor,
        as_json,
        lambda api: api.close_order(order_id),
        lambda uow, who: close_order(uow, order_id, who),
    )
