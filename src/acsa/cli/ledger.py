"""acsa ledger balance|statement|aging|overdue|verify: the books as people and scripts read them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group
from rich.table import Table

from acsa.cli import language
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
from acsa.cli.render import FormatOption, label, said, say_now, show_result, term
from acsa.domain.errors import AcsaError, Code
from acsa.domain.money import money_text
from acsa.i18n import DEFAULT
from acsa.i18n.memos import document_and_memo, memo_text

if TYPE_CHECKING:
    from acsa.schemas.ledger import AgingOut, OverdueOut, PositionOut, StatementOut, VerifyOut


app = typer.Typer(
    no_args_is_help=True,
    help="The books: balances per partner, statements of account, aging, overdue debts.",
)

NationOption = Annotated[
    str | None,
    typer.Option("--nation", help="Only this nation's book (ISO 3166-1 alpha-3, e.g. JPN)."),
]
PartnerOption = Annotated[
    str | None, typer.Option("--partner", help="Only the accounts with this partner (e.g. NZL).")
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="As of the end of this day (YYYY-MM-DD); default: now."),
]


BOOK = "you read the book"


def money(amount: Decimal, currency: str) -> str:
    """An amount as people read it (``money_text``: ``25,980,000 JPY``)."""
    return money_text(amount, currency)


def _money_columns(table: Table, *names: str) -> None:
    for name in names:
        table.add_column(name, justify="right")


@app.command()
def balance(
    nation: NationOption = None,
    partner: PartnerOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Where each nation stands with each partner, per currency.

    Cash owed each way, what awaits replacement in kind each way, the net, and the support
    provided and received. Through a server: your nation's book."""
    from acsa.services import ledger as service

    with refusals(as_json):
        api = remote(db)
        day = parse_day(as_of, "--as-of")
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            found = api.balances(partner, day)
        else:
            found = service.balances(uow_for(engine_for(db), read_only=True), nation, partner, day)
    if as_json:
        print_json(found)
        return
    if not found and output_format is OutputFormat.TABLE:
        out.print(say_now("nothing in the books for this selection"))
        return
    show_result(balances_table(found), output_format)


def balances_table(items: list[PositionOut]) -> Table:
    as_of = items[0].as_of if items else None
    table = Table(title=said("balances as of %(day)s", day=as_of) if as_of else "balances")
    table.add_column("nation")
    table.add_column("partner")
    _money_columns(
        table,
        "owed to us",
        "owed by us",
        "in kind to us",
        "in kind by us",
        "net",
        "provided",
        "received",
    )
    for p in items:
        c = p.currency
        table.add_row(
            p.nation,
            p.partner,
            money(p.owed_to_us, c),
            money(p.owed_by_us, c),
            money(p.awaiting_replacement, c),
            money(p.awaiting_replacement_by_us, c),
            money(p.net, c),
            money(p.provided, c),
            money(p.received, c),
        )
    return table


@app.command()
def statement(
    nation: Annotated[str, typer.Option("--nation", help="Whose book (e.g. JPN).")],
    partner: Annotated[str, typer.Option("--partner", help="The partner (e.g. NZL).")],
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    currency: Annotated[str | None, typer.Option("--currency", help="Only this currency.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Entries per page (1 to 1000; default 200).")
    ] = 200,
    after: Annotated[
        str | None,
        typer.Option("--after", help="The page after this cursor (the page before's next)."),
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """A statement of account of one nation's book with one partner.

    The opening balance the partner owes (negative: is owed), the entries of the period with
    their order and document, the period's debits and credits, and the closing balance. A page
    of --limit entries at a time: the next page is --after the cursor the table's caption (or
    the JSON's next) gives."""
    from acsa.domain.limits import page_violations
    from acsa.services import ledger as service

    with refusals(as_json):
        api = remote(db)
        first = _required_day(start, "--from")
        last = _required_day(end, "--to")
        violations = page_violations(limit, 0)
        if violations:
            raise AcsaError(violations)
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            found = api.statement(partner, first, last, currency, limit, after)
        else:
            found = service.statement(
                uow_for(engine_for(db), read_only=True),
                nation,
                partner,
                first,
                last,
                currency,
                limit,
                after,
            )
    if as_json:
        print_json(found)
        return
    if not found:
        out.print(f"no entries between {nation.upper()} and {partner.upper()}")
        return
    show_result(Group(*(statement_table(s, language.current()) for s in found)), output_format)


def _required_day(value: str, field: str) -> date:
    day = parse_day(value, field)
    if day is None:
        raise AcsaError.single(
            Code.MISSING_FIELD, field, "{option} needs a day (YYYY-MM-DD)", option=field
        )
    return day


def statement_table(s: StatementOut, lang: str = DEFAULT) -> Group:
    """``s`` as a table; each line's document and memo in ``lang``."""
    c = s.currency
    table = Table(
        title=said(
            "statement of account: %(nation)s with %(partner)s, %(start)s to %(end)s (%(c)s)",
            nation=s.nation,
            partner=s.partner,
            start=s.start,
            end=s.end,
            c=c,
        ),
        caption=(
            said(
                "balance: what the partner owes (negative: what it is owed); "
                "more entries: --after %(next)s",
                next=s.next,
            )
            if s.next is not None
            else "balance: what the partner owes (negative: what it is owed)"
        ),
    )
    for column in ("day", "entry", "kind", "order", "document"):
        table.add_column(column, overflow="fold")
    _money_columns(table, "debit", "credit", "balance")
    table.add_row("", "", "", "", label("opening balance"), "", "", money(s.opening, c))
    for line in s.lines:
        table.add_row(
            line.effective.isoformat(),
            str(line.entry),
            term(line.kind),
            "" if line.order is None else str(line.order),
            document_and_memo(line.document, line.memo, lang),
            money(line.debit, c) if line.debit else "",
            money(line.credit, c) if line.credit else "",
            money(line.balance, c),
        )
    if s.debits is not None and s.credits is not None:
        debits, credits = money(s.debits, c), money(s.credits, c)
        table.add_row("", "", "", "", label("period totals"), debits, credits, "")
    closing = label("closing balance")
    table.add_row("", "", "", "", closing, "", "", money(s.closing, c), style="bold")
    if s.disputed:  # shown apart: not taken off the balance, which still ages
        table.add_row("", "", "", "", label("under dispute"), "", "", money(s.disputed, c))
    return Group(table)


@app.command()
def aging(
    nation: NationOption = None,
    partner: PartnerOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Open debts by age band in days.

    Unpaid invoices age from their issue, received value not invoiced and in-kind debt
    awaiting replacement from their receipt. Through a server: your nation's book."""
    from acsa.services import ledger as service

    with refusals(as_json):
        api = remote(db)
        day = parse_day(as_of, "--as-of")
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            found = api.aging(partner, day)
        else:
            found = service.aging(uow_for(engine_for(db), read_only=True), nation, partner, day)
    if as_json:
        print_json(found)
        return
    if not found and output_format is OutputFormat.TABLE:
        out.print(say_now("no open debts"), style="green")
        return
    show_result(aging_table(found), output_format)


def aging_table(items: list[AgingOut]) -> Table:
    from acsa.services import ledger as service

    as_of = items[0].as_of if items else None
    table = Table(
        title=said("open debts by age in days as of %(day)s", day=as_of)
        if as_of
        else "open debts by age in days"
    )
    for column in ("nation", "partner", "direction"):
        table.add_column(column)
    _money_columns(table, *service.BUCKETS, "total")
    for a in items:
        table.add_row(
            a.nation,
            a.partner,
            term(a.direction),
            *(money(a.buckets[name], a.currency) for name in service.BUCKETS),
            money(a.total, a.currency),
        )
    return table


@app.command()
def overdue(
    nation: NationOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """What is overdue, most overdue first.

    Invoices past due with something unpaid, and in-kind debt past its replacement deadline
    not yet converted to cash. Through a server: on orders your nation is party to."""
    from acsa.services import ledger as service

    with refusals(as_json):
        api = remote(db)
        day = parse_day(as_of, "--as-of")
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            found = api.overdue(day)
        else:
            found = service.overdue(uow_for(engine_for(db), read_only=True), nation, day)
    if as_json:
        print_json(found)
        return
    if not found and output_format is OutputFormat.TABLE:
        out.print(say_now("nothing is overdue"), style="green")
        return
    show_result(overdue_table(found, language.current()), output_format)


def overdue_table(items: list[OverdueOut], lang: str = DEFAULT) -> Table:
    table = Table(title="overdue")
    for column in ("kind", "order", "document", "creditor", "debtor", "due"):
        table.add_column(column, overflow="fold")
    _money_columns(table, "amount", "days overdue")
    for o in items:
        table.add_row(
            term(o.kind),
            str(o.order),
            memo_text(o.document, lang),
            o.creditor,
            o.debtor,
            o.due.isoformat(),
            money(o.amount, o.currency),
            str(o.days_overdue),
        )
    return table


@app.command()
def verify(nation: NationOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check the running balances against a recompute from postings, and every order's records.

    Every running balance must equal its postings' sum and every book must balance per
    currency. Every order's records (closed ones too) must keep the money rules: nothing
    invoiced beyond what is owed in cash (OVER_INVOICED), paid beyond an invoice (OVERPAID),
    settled in kind beyond what was received, in all or on a line (OVER_SETTLED), converted
    other than what was past its deadline (CONVERSION_MISMATCH), owed below zero
    (OWED_BELOW_ZERO); and its payments, replacements, exchanges and conversions must equal
    what the supplier's book posted for them (RECORDS_UNPOSTED). Exits 2 naming each
    difference and breach (code, order, figures) if not. Through a server: your nation's book
    and orders."""
    from acsa.services import ledger as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            result: VerifyOut = api.verify_ledger()
        else:
            result = service.verify(uow_for(engine_for(db), read_only=True), nation)
        service.require_verified(result)
    if as_json:
        print_json(result)
        return
    out.print(
        f"[green]the books verify: {result.balances} running balances match; the records of "
        f"{result.orders} orders keep the money rules and match their postings[/green]"
    )
