"""acsa orders new|edit|check|list|show|submit|accept|reject|deliver|receive|cancel|close|note."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape

from acsa.cli import language
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
    take,
    uow_for,
)
from acsa.cli.options import ID_MAX, ID_MIN, LimitOption, OffsetOption, parse_day
from acsa.cli.output import OutputFormat
from acsa.cli.render import (
    FormatOption,
    ListedOrder,
    listed_order,
    order_panel,
    orders_table,
    show_result,
)
from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t
from acsa.domain.order_search import order_query
from acsa.i18n import say

if TYPE_CHECKING:
    from acsa.commands import Command
    from acsa.domain.order import Order
    from acsa.schemas.orders import OrderOut


app = typer.Typer(no_args_is_help=True, help="Orders for supplies and services under an agreement.")

IdArgument = Annotated[
    int, typer.Argument(metavar="ID", min=ID_MIN, max=ID_MAX, help="The order's number.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the record.")]

#: Codes of the warnings a person may confirm on an order (rules.CONFIRMABLE).
CONFIRMABLE = ("IN_FORCE_DATE_UNCERTAIN", "ACTIVITY_UNVERIFIED")

CashReasonOption = Annotated[
    str | None,
    typer.Option(
        "--cash-reason",
        metavar="TEXT",
        help="Why supplies are settled in cash where the agreement settles them by return "
        "(required there: CASH_REASON_REQUIRED); overrides the file's cash_reason.",
        show_default=False,
    ),
]
DeterminationOption = Annotated[
    str | None,
    typer.Option(
        "--determination",
        metavar="REF",
        help="The reference of the two governments' mutual determination an order under "
        "'other_activities' cites (DETERMINATION_REQUIRED without it).",
        show_default=False,
    ),
]
DeterminationDateOption = Annotated[
    str | None,
    typer.Option(
        "--determination-date",
        metavar="YYYY-MM-DD",
        help="The determination's date (on or before the order date).",
        show_default=False,
    ),
]
HostilitiesOption = Annotated[
    bool,
    typer.Option(
        "--hostilities",
        help="The requesting nation declares a period of active hostilities: annual ceilings "
        "that do not apply then (10 U.S.C. 2347) are not counted. Recorded; never assumed.",
    ),
]
ConfirmOption = Annotated[
    list[str] | None,
    typer.Option(
        "--confirm",
        metavar="CODE",
        help=f"Confirm a warning of the checks ({' or '.join(CONFIRMABLE)}); repeat for both. "
        "Replaces the file's confirm list.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Attested:
    """What the command line attests for an order (see ``Attestations``); each option given
    overrides the document's field of the same name."""

    cash_reason: str | None = None
    determination: str | None = None
    determination_date: str | None = None
    hostilities: bool = False
    confirm: list[str] | None = None

    @property
    def given(self) -> list[str]:
        """The options given, as typed on the command line."""
        options = (
            ("--cash-reason", self.cash_reason is not None),
            ("--determination", self.determination is not None),
            ("--determination-date", self.determination_date is not None),
            ("--hostilities", self.hostilities),
            ("--confirm", bool(self.confirm)),
        )
        return [name for name, given in options if given]

    def fields(self) -> dict[str, Any]:
        """The document fields the options give, each bounded and named by its option;
        refused with every problem at once."""
        found: dict[str, Any] = {}
        errors: list[Violation] = []
        for given, wrong in (
            self._texts(),
            self._determination_day(),
            ({"hostilities": True} if self.hostilities else {}, []),
            self._confirmed(),
        ):
            found.update(given)
            errors.extend(wrong)
        if errors:
            raise AcsaError(errors)
        return found

    def _texts(self) -> tuple[dict[str, Any], list[Violation]]:
        """--cash-reason and --determination: stripped, not blank, within their bounds."""
        found: dict[str, Any] = {}
        errors: list[Violation] = []
        for option, name, value in (
            ("--cash-reason", "cash_reason", self.cash_reason),
            ("--determination", "determination", self.determination),
        ):
            if value is None:
                continue
            text = value.strip()
            bad = limits.text_violation(
                option, text, multiline=limits.is_multiline(name), bound=limits.text_bound(name)
            )
            if not text:
                bad = Violation(
                    Code.INVALID_FIELD,
                    option,
                    "{option} is blank; give its text",
                    params={"option": option},
                )
            if bad is not None:
                errors.append(bad)
            found[name] = text
        return found, errors

    def _determination_day(self) -> tuple[dict[str, Any], list[Violation]]:
        """--determination-date: a day as YYYY-MM-DD, not blank."""
        if self.determination_date is None:
            return {}, []
        try:
            day = parse_day(self.determination_date, "--determination-date")
        except AcsaError as refused:
            return {}, list(refused.violations)
        if day is None:
            blank = Violation(
                Code.INVALID_DATE,
                "--determination-date",
                "--determination-date is blank; give the day as YYYY-MM-DD",
            )
            return {}, [blank]
        return {"determination_date": day.isoformat()}, []

    def _confirmed(self) -> tuple[dict[str, Any], list[Violation]]:
        """--confirm: warnings a person confirms, in capitals, each once."""
        if not self.confirm:
            return {}, []
        codes = [c.strip().upper() for c in self.confirm]
        unknown = [c for c in codes if c not in CONFIRMABLE]
        errors: list[Violation] = []
        if unknown:
            errors.append(
                Violation(
                    Code.INVALID_FIELD,
                    "--confirm",
                    "--confirm {value} is not a warning a person confirms; give {warnings}",
                    params={
                        "value": repr(self.confirm[codes.index(unknown[0])][:40]),
                        "warnings": " or ".join(CONFIRMABLE),
                    },
                )
            )
        return {"confirm": sorted(set(codes))}, errors

    def merged(self, document: Any) -> Any:
        """``document`` with the options' fields over its own (a document that is no JSON
        object is left for the order's checks to refuse)."""
        fields = self.fields()
        if not fields or not isinstance(document, dict):
            return document
        return {**document, **fields}


def _show(order: OrderOut, as_json: bool) -> None:
    if as_json:
        print_json(order)
    else:
        show_result(order_panel(order))


def _act(db: str | None, actor: str | None, as_json: bool, command: Callable[[], Command]) -> None:
    """Take the command made by ``command`` (refused with its coded errors as any other)
    through the server or on the local database, then show the order as it now stands."""
    with refusals(as_json):
        result = take(command(), db, actor)
    _show(result, as_json)


ArrangementOption = Annotated[
    str | None,
    typer.Option(
        "--arrangement",
        help="The implementing arrangement the order is placed under (its reference, as "
        "`acsa arrangements list AGREEMENT` shows it); replaces the file's.",
    ),
]


def _with_arrangement(data: Any, arrangement: str | None) -> Any:
    """The order document with ``--arrangement`` in it, when given."""
    if arrangement is None or not isinstance(data, dict):
        return data
    return {**data, "arrangement": arrangement}


@app.command()
def new(
    file: Annotated[Path, typer.Option("--file", help="Order document (JSON); see the README.")],
    cash_reason: CashReasonOption = None,
    determination: DeterminationOption = None,
    determination_date: DeterminationDateOption = None,
    hostilities: HostilitiesOption = False,
    confirm: ConfirmOption = None,
    arrangement: ArrangementOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft order from a JSON document. Malformed orders are refused; what the
    agreement would refuse is shown, and must be fixed before submit. What the order attests
    (--cash-reason, --determination and --determination-date, --hostilities, --confirm) may
    be given here instead of in the file."""
    from acsa.adapters.registry_file import read_document
    from acsa.commands import PlaceOrder

    attested = Attested(cash_reason, determination, determination_date, hostilities, confirm)
    with refusals(as_json):
        document = _with_arrangement(read_document(file), arrangement)
        command = PlaceOrder.from_wire(attested.merged(document))
        result = take(command, db, actor)
    _show_draft(result, as_json)


def _show_draft(result: OrderOut, as_json: bool) -> None:
    """A saved draft, and under it (not in JSON) that submit waits for its problems' fixes."""
    _show(result, as_json)
    if result.violations and not as_json:
        saved = t(
            "order {order} saved as a draft; submit will be refused until the problems above "
            "are fixed"
        )
        err.print(
            f"[yellow]{escape(say(saved, language.current(), {'order': result.id}))}[/yellow]"
        )


@app.command()
def edit(
    order_id: IdArgument,
    file: Annotated[
        Path, typer.Option("--file", help="The draft's new order document (JSON), whole.")
    ],
    cash_reason: CashReasonOption = None,
    determination: DeterminationOption = None,
    determination_date: DeterminationDateOption = None,
    hostilities: HostilitiesOption = False,
    confirm: ConfirmOption = None,
    arrangement: ArrangementOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Edit a draft in place: its terms and lines become those of the document (the whole
    order, as `orders new --file` takes it, checked the same way); its agreement and nations
    stay. Only a draft, by its requesting nation."""
    from acsa.adapters.registry_file import read_document
    from acsa.commands import EditDraft

    attested = Attested(cash_reason, determination, determination_date, hostilities, confirm)
    with refusals(as_json):
        document = _with_arrangement(read_document(file), arrangement)
        command = EditDraft.from_wire(attested.merged(document), order_id=order_id)
        result = take(command, db, actor)
    _show_draft(result, as_json)


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Option("--file", help="Check a document without saving it.")
    ] = None,
    order_id: Annotated[
        int | None,
        typer.Argument(metavar="[ID]", min=ID_MIN, max=ID_MAX, help="Check a stored order."),
    ] = None,
    cash_reason: CashReasonOption = None,
    determination: DeterminationOption = None,
    determination_date: DeterminationDateOption = None,
    hostilities: HostilitiesOption = False,
    confirm: ConfirmOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the agreement checks on an order or a document, changing nothing. Exits 2 when the
    checks would refuse it. With --file, the options of `orders new` that attest (--cash-reason,
    --determination, --determination-date, --hostilities, --confirm) apply to the document."""
    from acsa.schemas.orders import ErrorsOut, OrderIn, parse_model, violation_out
    from acsa.services import orders as service

    attested = Attested(cash_reason, determination, determination_date, hostilities, confirm)
    with refusals(as_json):
        if file is None and attested.given:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                attested.given[0],
                "{option} goes with --file: a stored order is checked as it was placed",
                option=attested.given[0],
            )
        api = remote(db)
        if api is not None:
            client = api
            violations = _checked(
                file,
                order_id,
                lambda doc: client.check_document(attested.merged(doc)),
                client.check_order,
            )
        else:
            uow = uow_for(engine_for(db), read_only=True)
            violations = _checked(
                file,
                order_id,
                lambda doc: service.check_document(uow, parse_model(OrderIn, attested.merged(doc))),
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
    from acsa.adapters.registry_file import read_document

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
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """List orders, oldest first (through a server: those of your nation)."""
    from acsa.services import orders as service

    items: Sequence[OrderOut | ListedOrder]
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            items = api.list_orders(status, agreement, limit, offset)
        else:
            query = order_query(status=status, agreement=agreement, limit=limit, offset=offset)
            uow = uow_for(engine_for(db), read_only=True)
            # The table (and its CSV) shows no history and needs no JSON model: --json does.
            found = service.list_orders(uow, query, with_history=as_json)
            items = _json_orders(found) if as_json else [listed_order(o) for o in found]
    if as_json:
        print_json(cast("list[OrderOut]", items))
        return
    show_result(orders_table(items), output_format)


def _json_orders(found: Sequence[Order]) -> list[OrderOut]:
    from acsa.schemas.orders import order_out

    return [order_out(o) for o in found]


@app.command()
def show(order_id: IdArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    """One order with its lines and its full dated, attributed history."""
    from acsa.services import orders as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            result = api.get_order(order_id)
        else:
            result = service.order_view(uow_for(engine_for(db), read_only=True), order_id)
    _show(result, as_json)


@app.command()
def submit(
    order_id: IdArgument,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Submit a draft to the supplier; the agreement checks run first."""
    from acsa.commands import SubmitOrder

    _act(db, actor, as_json, lambda: SubmitOrder(order_id=order_id))


@app.command()
def accept(
    order_id: IdArgument,
    line: LineOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept for the supplier (less on some lines with --line N=QTY); the checks run again."""
    from acsa.commands import AcceptOrder

    _act(db, actor, as_json, lambda: AcceptOrder(order_id=order_id, quantities=parse_lines(line)))


@app.command()
def reject(
    order_id: IdArgument,
    reason: ReasonOption = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a submitted order for the supplier."""
    from acsa.commands import RejectOrder

    _act(db, actor, as_json, lambda: RejectOrder(order_id=order_id, reason=reason))


@app.command()
def deliver(
    order_id: IdArgument,
    line: LineOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a delivery: everything still to deliver, or --line N=QTY for a partial one."""
    from acsa.commands import DeliverOrder

    _act(db, actor, as_json, lambda: DeliverOrder(order_id=order_id, quantities=parse_lines(line)))


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
    from acsa.commands import ReceiveOrder

    _act(
        db,
        actor,
        as_json,
        lambda: ReceiveOrder(order_id=order_id, quantities=parse_lines(line), note=note),
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
    from acsa.commands import CancelOrder

    _act(db, actor, as_json, lambda: CancelOrder(order_id=order_id, reason=reason))


@app.command()
def close(
    order_id: IdArgument,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a received order once nothing is owed on it, in cash or in kind."""
    from acsa.commands import CloseOrder

    _act(db, actor, as_json, lambda: CloseOrder(order_id=order_id))


@app.command()
def note(
    order_id: IdArgument,
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help=f"The remark (at most {limits.NOTE_CHARS_MAX} characters; line breaks "
            "allowed). Sent to the partner's node as a signed note.",
        ),
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a dated remark to an order, for either party; the order's state is unchanged."""
    from acsa.commands import AddNote

    _act(db, actor, as_json, lambda: AddNote(order_id=order_id, note=text))
