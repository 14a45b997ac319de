"""acsa invoices, acsa payments, acsa settle: settling what orders left owing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
    take,
    uow_for,
)
from acsa.cli.options import ID_MAX, ID_MIN, parse_day
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, label, say_now, show_result, term
from acsa.config import actor as acting
from acsa.domain.messages import words
from acsa.domain.money import money_text

if TYPE_CHECKING:
    from acsa.schemas.ledger import CorrectionOut, InvoiceOut, OrderAccountOut, SettlementOut


invoices_app = typer.Typer(no_args_is_help=True, help="Invoices for what is owed in cash.")
payments_app = typer.Typer(no_args_is_help=True, help="Payments against invoices.")
settle_app = typer.Typer(
    no_args_is_help=True,
    help="Settlement in kind (replacement, equal value exchange) and the deadline sweep.",
)

OrderArgument = Annotated[
    int, typer.Argument(metavar="ORDER", min=ID_MIN, max=ID_MAX, help="The order's number.")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="The day it happened (YYYY-MM-DD); default today.")
]
LinesFile = Annotated[Path, typer.Option("--file", help="The lines, JSON (see the README).")]


def _invoice_table(items: list[InvoiceOut]) -> Table:
    table = Table(title="invoices")
    for column in ("number", "order", "issuer", "debtor", "kind", "issued", "due", "status"):
        table.add_column(column)
    for column in ("amount", "paid", "unpaid"):
        table.add_column(column, justify="right")
    for i in items:
        table.add_row(
            i.number,
            str(i.order),
            i.issuer,
            i.debtor,
            term(i.kind),
            str(i.issued),
            str(i.due),
            term(i.status),
            money_text(i.amount, i.currency),
            money_text(i.paid, i.currency),
            money_text(i.unpaid, i.currency),
        )
    return table


def _show_invoice(invoice: InvoiceOut, as_json: bool) -> None:
    if as_json:
        print_json(invoice)
        return
    show_result(_invoice_table([invoice]))
    for p in invoice.payments:
        line = say_now(
            "  payment %(id)s (#%(place)s): paid %(amount)s on %(day)s (%(reference)s) "
            "recorded by %(actor)s",
            id=p.id,
            place=p.place,
            amount=money_text(p.amount, p.currency),
            day=p.paid,
            reference=p.reference or say_now("no reference"),
            actor=p.actor,
        )
        out.print(line + (say_now(" (reversed)") if p.reversed else ""), markup=False)
    for c in invoice.corrections:
        out.print(f"  {_correction_text(c)}", markup=False)
    _offices(invoice)


def _offices(invoice: InvoiceOut) -> None:
    """Where the invoice goes and who bills it, under the order's arrangement."""
    for template, nation, office in (
        (
            "  bill to (paying office of %(nation)s): %(office)s",
            invoice.debtor,
            invoice.bill_to,
        ),
        (
            "  billed by (billing office of %(nation)s): %(office)s",
            invoice.issuer,
            invoice.billed_by,
        ),
    ):
        if office is None:
            continue
        text = "; ".join(x for x in (office.name, *office.address, office.email) if x)
        out.print(say_now(template, nation=nation, office=text), markup=False)


def _correction_text(c: CorrectionOut) -> str:
    """``credit note JPN-CN-2026-000001 of JPN-2026-000004: 500 JPY on 2026-12-07 by fin:
    price agreed``."""
    what = {
        "void": f"void of {c.invoice}",
        "reversal": f"payment #{c.payment} of {c.invoice} reversed",
        "credit": f"credit note {c.number} of {c.invoice}",
    }.get(c.kind, c.kind)
    amount = money_text(c.amount, c.currency)
    return f"{what}: {amount} on {c.effective} by {c.actor}: {c.reason}"


@invoices_app.command("issue")
def issue(
    order_id: OrderArgument,
    on: DateOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Invoice what the order owes in cash and is not invoiced yet (numbered, due after the
    agreement's payment term)."""
    from acsa.commands import IssueInvoice

    with refusals(as_json):
        command = IssueInvoice(order_id=order_id, issued=parse_day(on, "--date"))
        invoice = take(command, db, actor)
    _show_invoice(invoice, as_json)


@invoices_app.command("list")
def list_invoices(
    order: Annotated[
        int | None, typer.Option(min=ID_MIN, max=ID_MAX, help="Only this order's invoices.")
    ] = None,
    party: Annotated[
        str | None, typer.Option(help="Only invoices issued by or to this nation.")
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Invoices with what is paid and unpaid (status open, paid or overdue today); through a
    server, those issued by or to your nation."""
    from acsa.services import settlement as service

    nation = party.upper() if party else None
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            items = api.list_invoices(order, nation)
        else:
            items = service.list_invoices(uow_for(engine_for(db), read_only=True), order, nation)
    if as_json:
        print_json(items)
    else:
        show_result(_invoice_table(items), output_format)


@invoices_app.command("show")
def show_invoice(
    invoice: Annotated[str, typer.Argument(metavar="INVOICE", help="Number or id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One invoice with its payments."""
    from acsa.services import settlement as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            found = api.get_invoice(invoice)
        else:
            found = service.get_invoice(uow_for(engine_for(db), read_only=True), invoice)
    _show_invoice(found, as_json)


@payments_app.command("record")
def record(
    invoice: Annotated[str, typer.Argument(metavar="INVOICE", help="Number or id.")],
    amount: Annotated[
        str, typer.Option("--amount", help="Amount paid, in the invoice's currency.")
    ],
    on: Annotated[str, typer.Option("--date", help="Day of payment (YYYY-MM-DD).")],
    reference: Annotated[str, typer.Option("--reference", help="Bank or transfer reference.")] = "",
    currency: Annotated[
        str | None, typer.Option(help="Currency of the amount (default: the invoice's).")
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a payment against an invoice; a payment over what is unpaid is refused."""
    from acsa.commands import RecordPayment

    code = currency.upper() if currency else None
    with refusals(as_json):
        paid = parse_day(on, "--date")
        body = {"amount": amount, "date": paid, "reference": reference, "currency": code}
        result = take(RecordPayment.from_wire(body, invoice=invoice), db, actor)
    _show_invoice(result, as_json)


ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why it is corrected (kept in the record and the audit).")
]


@invoices_app.command("void")
def void(
    invoice: Annotated[str, typer.Argument(metavar="INVOICE", help="Number or id.")],
    reason: ReasonOption,
    on: DateOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Void an invoice issued by mistake: nothing of it is billed any more and the order may
    be invoiced again. Refused while a payment stands against it (reverse it first)."""
    from acsa.commands import VoidInvoice

    with refusals(as_json):
        body = {"reason": reason, "date": parse_day(on, "--date")}
        result = take(VoidInvoice.from_wire(body, invoice=invoice), db, actor)
    _show_invoice(result, as_json)


@invoices_app.command("credit")
def credit(
    invoice: Annotated[str, typer.Argument(metavar="INVOICE", help="Number or id.")],
    amount: Annotated[
        str, typer.Option("--amount", help="Amount credited, in the invoice's currency.")
    ],
    reason: ReasonOption,
    on: DateOption = None,
    currency: Annotated[
        str | None, typer.Option(help="Currency of the amount (default: the invoice's).")
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a credit note: the amount comes off what the invoice bills and off the order's
    cash debt in both books; at most what is unpaid (reverse a payment first to credit more)."""
    from acsa.commands import IssueCreditNote

    code = currency.upper() if currency else None
    with refusals(as_json):
        body = {
            "amount": amount,
            "reason": reason,
            "date": parse_day(on, "--date"),
            "currency": code,
        }
        result = take(IssueCreditNote.from_wire(body, invoice=invoice), db, actor)
    _show_invoice(result, as_json)


@payments_app.command("reverse")
def reverse(
    payment: Annotated[
        int,
        typer.Argument(
            metavar="PAYMENT", min=ID_MIN, max=ID_MAX, help="The payment's id (invoices show)."
        ),
    ],
    reason: ReasonOption,
    on: DateOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reverse a payment recorded by mistake, returned or never received (the supplier's
    finance): it no longer counts as paid, and both books post its entries reversed."""
    from acsa.commands import ReversePayment

    with refusals(as_json):
        body = {"reason": reason, "date": parse_day(on, "--date")}
        result = take(ReversePayment.from_wire(body, payment=payment), db, actor)
    _show_invoice(result, as_json)


def _show_settlement(result: SettlementOut, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    out.print(
        f"{result.kind} {result.id} of order {result.order}: "
        f"{money_text(result.value, result.currency)} "
        f"on {result.effective}, agreed by {result.agreed_by}"
    )


@settle_app.command("replace")
def replace(
    order_id: OrderArgument,
    file: LinesFile,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record goods returned in kind: same category, quantity and NSN as the lines received."""
    from acsa.adapters.registry_file import read_document
    from acsa.commands import ReturnInKind

    with refusals(as_json):
        command = ReturnInKind.from_wire(read_document(file), order_id=order_id)
        result = take(command, db, actor)
    _show_settlement(result, as_json)


@settle_app.command("exchange")
def exchange(
    order_id: OrderArgument,
    file: LinesFile,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record other goods or services of equal value, valued in the order's currency."""
    from acsa.adapters.registry_file import read_document
    from acsa.commands import ExchangeEqualValue

    with refusals(as_json):
        command = ExchangeEqualValue.from_wire(read_document(file), order_id=order_id)
        result = take(command, db, actor)
    _show_settlement(result, as_json)


@settle_app.command("sweep")
def sweep(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge deadlines on this day.")
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Turn in-kind debt past its replacement deadline into cash debt, with an invoice each.
    Running it again the same day changes nothing. Through a server: your nation's debt."""
    from acsa.services import settlement as service

    show_progress = not as_json and sys.stdout.isatty()
    with refusals(as_json), Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("sweeping orders settled in kind", total=None)
        api = remote(db, actor)
        if api is not None:
            result = api.sweep(parse_day(as_of, "--as-of"))
        else:
            result = service.sweep(
                uow_for(engine_for(db)),
                acting(actor),
                parse_day(as_of, "--as-of"),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    if as_json:
        print_json(result)
        return
    if not result.converted:
        out.print(f"nothing past its replacement deadline on {result.as_of}")
    for c in result.converted:
        out.print(
            f"order {c.order}: {money_text(c.amount, c.currency)} converted to cash "
            f"(deadline {c.deadline}),"
            f" invoice {c.invoice}"
        )


@settle_app.command("show")
def show_account(
    order_id: OrderArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What an order has received, invoiced, been paid and settled in kind, and still owes."""
    from acsa.services import settlement as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            both = api.account(order_id)
            account, settled = both.account, both.settlements
        else:
            uow = uow_for(engine_for(db), read_only=True)
            account = service.order_account(uow, order_id)
            settled = service.settlements_of(uow, order_id)
    if as_json:
        print_json(account)
        return
    _account_table(account)
    for s in settled:
        _show_settlement(s, False)
    for c in account.corrections:
        out.print(f"  {_correction_text(c)}", markup=False)


def _account_table(a: OrderAccountOut) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("received", a.received),
        ("invoiced", a.invoiced),
        ("paid", a.paid),
        *((("credit notes", a.credited),) if a.credited else ()),
        ("settled in kind", a.settled_in_kind),
        ("converted to cash", a.converted),
        ("not yet invoiced", a.uninvoiced),
        ("owed in cash", a.owed_in_cash),
        # What open disputes hold, shown apart from what is owed (which still ages).
        *((("disputed", a.disputed),) if a.disputed else ()),
        ("awaiting replacement", a.awaiting_replacement),
    ]
    for name, value in rows:
        table.add_row(label(name), money_text(value, a.currency))
    if a.replacement_deadline:
        table.add_row(label("replacement deadline"), str(a.replacement_deadline))
    table.add_row(label("settled"), term("yes" if a.settled else "no"))
    out.print(
        say_now(
            "order %(order)s (%(settlement)s)",
            order=a.order,
            settlement=say_now(words(a.settlement)),
        )
    )
    show_result(table)
