"""acsa disputes open|answer|list|report|show: disputes of an order's receipt, invoice or
settlement, answered by the other side, and the report of their age and value per partner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    print_json,
    refusals,
    remote,
    take,
    uow_for,
)
from acsa.cli.options import ID_MAX, ID_MIN, parse_day
from acsa.cli.render import Said, heading, show_result, term
from acsa.domain.money import money_text

if TYPE_CHECKING:
    from acsa.schemas.disputes import DisputeOut, DisputeReportRow

HELP = "Disputes of receipts, invoices and settlements, and how they were resolved."
app = typer.Typer(no_args_is_help=True, help=HELP)

OrderArgument = Annotated[
    int, typer.Argument(metavar="ORDER", min=ID_MIN, max=ID_MAX, help="The order's number.")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="The day it is recorded on (default: today).")
]
SideOption = Annotated[
    str | None,
    typer.Option(
        "--side",
        help="requester or supplier: the side acting, on a local database (default: this "
        "node's nation); through a server, your nation.",
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Count ages to this day (default: today).")
]


def _show(found: list[DisputeOut], as_json: bool) -> None:
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    table = Table(
        "order",
        "dispute",
        "step",
        "ground",
        "by",
        "amount",
        "opened",
        "age",
        "status",
        "answer",
        title="disputes",
    )
    for d in found:
        table.add_row(
            str(d.order),
            d.number,
            d.step,
            term(d.ground),
            f"{d.actor} ({d.opened_by})",
            money_text(d.amount, d.currency),
            d.opened.isoformat(),
            str(d.age_days),
            _state(d.status),
            _answer(d),
        )
    show_result(table)


def _state(status: str) -> Said:
    """A dispute's status (open, resolved, withdrawn) in words: an open dispute is not an
    open invoice."""
    return Said(status, lambda lang: heading(lang, f"dispute {status}"))


def _answer(d: DisputeOut) -> Said | str:
    """How the dispute was answered: the resolution in words, the amount agreed, the credit
    note."""
    if not d.resolution:
        return ""
    extra = ""
    if d.agreed is not None:
        extra += f" {money_text(d.agreed, d.currency)}"
    if d.credit_note:
        extra += f" ({d.credit_note})"
    resolution = term(d.resolution)
    return Said(resolution.plain + extra, lambda lang: resolution.words(lang) + extra)


@app.command("open")
def open_(
    order_id: OrderArgument,
    step: Annotated[
        str,
        typer.Option(
            "--step",
            help="What is disputed: receipt:N (the order's history event), invoice:NUMBER, "
            "payment:N or settlement:N.",
        ),
    ],
    ground: Annotated[
        str,
        typer.Option(
            "--ground",
            help="A receipt's quantity or quality; an invoice's amount or price_basis; a "
            "settlement's payment, replacement or exchange.",
        ),
    ],
    amount: Annotated[
        str, typer.Option("--amount", help="The amount disputed, in the order's currency.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the record).")],
    evidence: Annotated[
        str | None,
        typer.Option("--evidence", help="The SHA-256 of a file attached to the order."),
    ] = None,
    on: DateOption = None,
    side: SideOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dispute a receipt, an invoice or a settlement of an order: the amount is shown apart
    as disputed until the other side answers; sent to the partner's node."""
    from acsa.commands import OpenDispute

    with refusals(as_json):
        body = {
            "step": step,
            "ground": ground,
            "amount": amount,
            "reason": reason,
            "evidence": evidence,
            "date": parse_day(on, "--date"),
        }
        if side is not None:
            body["side"] = side
        result = take(OpenDispute.from_wire(body, order_id=order_id), db, actor)
    _show([result], as_json)


@app.command()
def answer(
    order_id: OrderArgument,
    dispute: Annotated[str, typer.Argument(metavar="DISPUTE", help="The dispute's number.")],
    resolution: Annotated[
        str,
        typer.Option(
            "--resolution",
            help="accept (as billed), credit_note, redelivery, write_off (the other side), or "
            "withdraw (the side that opened it).",
        ),
    ],
    agreed: Annotated[
        str | None,
        typer.Option("--agreed", help="The agreed amount of a credit note or write-off."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="What was agreed.")] = "",
    invoice: Annotated[
        str | None,
        typer.Option("--invoice", help="The invoice a credit note goes on (default: found)."),
    ] = None,
    on: DateOption = None,
    side: SideOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a dispute (the other side) or withdraw it (the side that opened it): it closes;
    a credit note or write-off posts reversing entries for the agreed amount in both books."""
    from acsa.commands import AnswerDispute

    with refusals(as_json):
        body = {
            "resolution": resolution,
            "agreed": agreed,
            "note": note,
            "invoice": invoice,
            "date": parse_day(on, "--date"),
        }
        if side is not None:
            body["side"] = side
        command = AnswerDispute.from_wire(body, order_id=order_id, dispute=dispute)
        result = take(command, db, actor)
    _show([result], as_json)


@app.command()
def show(order_id: OrderArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The disputes of one order, oldest first."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            from acsa.schemas.disputes import DisputeOut

            found = api.many(DisputeOut, f"/orders/{order_id}/disputes")
        else:
            from acsa.services.disputes import disputes_of

            found = disputes_of(uow_for(engine_for(db), read_only=True), order_id)
    _show(found, as_json)


def _all(
    db: str | None,
    nation: str | None,
    status: str | None,
    partner: str | None,
    as_of: str | None,
) -> list[DisputeOut]:
    day = parse_day(as_of, "--as-of")
    choices = ("open", "resolved", "withdrawn")
    if status is not None and status not in choices:
        from acsa.domain.errors import AcsaError, Code

        raise AcsaError.single(
            Code.INVALID_FIELD,
            "--status",
            "{name}: one of {choices}",
            name="--status",
            choices=", ".join(choices),
        )
    api = remote(db)
    if api is not None:
        from acsa.schemas.disputes import DisputeOut

        params = {"status": status, "partner": partner, "as_of": day}
        return api.many(DisputeOut, "/disputes", {k: v for k, v in params.items() if v})
    from acsa.services.disputes import all_disputes

    uow = uow_for(engine_for(db), read_only=True)
    return all_disputes(uow, nation, status, partner, day)


NationOption = Annotated[
    str | None,
    typer.Option("--nation", help="On a local database: only orders this nation is party to."),
]


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option("--status", help="open, resolved or withdrawn.")
    ] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Only with this nation.")] = None,
    nation: NationOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every dispute of the orders you see, oldest first, with its age and value."""
    with refusals(as_json):
        found = _all(db, nation, status, partner, as_of)
    _show(found, as_json)


def _show_report(rows: list[DisputeReportRow], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(
        "partner",
        "currency",
        "open disputes",
        "open value",
        "oldest (days)",
        "closed",
        "credited",
        title="disputes by partner",
    )
    for r in rows:
        table.add_row(
            r.partner,
            r.currency,
            str(r.open),
            money_text(r.open_value, r.currency),
            str(r.oldest_days),
            str(r.closed),
            money_text(r.credited, r.currency),
        )
    show_result(table)


@app.command()
def report(
    nation: NationOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per partner and currency: open disputes (count, value, the oldest's age), those closed
    and what credit notes and write-offs took off."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            from acsa.schemas.disputes import DisputeReportRow

            day = parse_day(as_of, "--as-of")
            rows = api.many(DisputeReportRow, "/disputes/report", {"as_of": day} if day else {})
        else:
            from acsa.services.disputes import report as build

            rows = build(_all(db, nation, None, None, as_of))
    _show_report(rows, as_json)
