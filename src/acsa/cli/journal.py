"""acsa ledger journal and acsa ledger gl-map set|list|remove|import: the nation's books in
its own general ledger's codes, for its accounting system (``acsa.services.journal``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from acsa.cli import language
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
from acsa.cli.ledger import app as ledger_app
from acsa.cli.ledger import money
from acsa.cli.options import parse_day
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, Said, heading, said, show_result
from acsa.config import actor as acting
from acsa.domain.errors import AcsaError, Code
from acsa.i18n import DEFAULT

if TYPE_CHECKING:
    from acsa.schemas.journal import GlRuleOut, JournalOut

BOOK = "you read the book"

NationOption = Annotated[
    str | None,
    typer.Option(
        "--nation",
        "--book",
        help="Whose general ledger (ISO 3166-1 alpha-3, e.g. JPN); through a server: yours.",
    ),
]


@ledger_app.command()
def journal(
    until: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD).")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day (YYYY-MM-DD); not with --new."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    new: Annotated[
        bool,
        typer.Option(
            "--new",
            help="Only the entries no earlier --new export took, through --until; recorded, so "
            "the next --new export starts after them.",
        ),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the export to this file.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Refuse (exit 2, nothing recorded) unless every account's movements in the "
            "export reconcile with `ledger balance`.",
        ),
    ] = False,
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """The journal of a nation's book in its general-ledger codes, for its accounting system.

    One line per posting with a stable id (<book>-<entry>-<seq>, the same on every export),
    the entry, day, kind, document, order, partner, acsa account, general-ledger code, fund
    citation, currency, debit and credit. Without --new: the entries effective from --since to
    --until, recorded nowhere. With --new: the entries after the last recorded export, recorded.
    Refused (GL_MAPPING_MISSING, nothing recorded) if a posting's account has no rule. The
    totals per general-ledger code and currency and the reconciliation with `ledger balance`
    are printed (on stderr when the export goes to stdout)."""
    from acsa.services import journal as service

    with refusals(False):
        first = parse_day(since, "--since")
        last = parse_day(until, "--until")
        if last is None:
            raise AcsaError.single(
                Code.MISSING_FIELD, "--until", "{option} needs a day (YYYY-MM-DD)", option="--until"
            )
        service.check_format(fmt)
        api = remote(db, actor)
        if api is not None:
            from acsa.schemas.journal import JournalOut

            api.own_nation(nation, "nation", BOOK)
            if new:
                body = {"until": last, "check": check}
                result = api.one(JournalOut, "POST", "/ledger/journal/exports", body=body)
            else:
                params = {"since": first, "until": last, "format": "json", "check": check}
                result = api.one(JournalOut, "GET", "/ledger/journal", params)
        else:
            engine = engine_for(db)
            uow = uow_for(engine, read_only=not new)
            result = service.journal(uow, nation, first, last, new, fmt, acting(actor), check)
    text = service.journal_text(result, fmt)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        summary = err
    else:
        output.write_text(text, encoding="utf-8", newline="")
        summary = out
    summary.print(in_language(totals_table(result)), crop=False)
    for line in reconciliation_lines(result):
        summary.print(line)


def in_language(table: Table) -> Table:
    """``table``'s title and headings in the command line's language (``--lang``)."""
    lang = language.current()
    if isinstance(table.title, Said):
        table.title.plain = table.title.words(lang)
    if lang != DEFAULT:
        for column in table.columns:
            if isinstance(column.header, str):
                column.header = heading(lang, column.header)
    return table


def totals_table(result: JournalOut) -> Table:
    table = Table(
        title=said("journal of %(book)s: totals per general-ledger code", book=result.book)
    )
    for column in ("gl code", "currency"):
        table.add_column(column)
    for column in ("debit", "credit"):
        table.add_column(column, justify="right")
    for total in result.totals:
        c = total.currency
        table.add_row(total.gl_code, c, money(total.debit, c), money(total.credit, c))
    return table


def reconciliation_lines(result: JournalOut) -> tuple[str, str]:
    from acsa.cli.render import say_now

    if result.new and result.export is None:
        head = say_now("nothing new to export")
    elif result.new:
        head = say_now(
            "export %(id)s recorded: entries %(first)s to %(last)s, %(lines)s lines",
            id=result.export,
            first=(result.after_entry_id or 0) + 1,
            last=result.last_entry_id,
            lines=len(result.lines),
        )
    else:
        head = say_now(
            "%(entries)s entries, %(lines)s lines (not recorded)",
            entries=result.entries,
            lines=len(result.lines),
        )
    accounts = len(result.reconciliation)
    if result.reconciled:
        tail = say_now(
            "reconciled with ledger balance as of %(day)s: %(n)s accounts",
            day=result.until,
            n=accounts,
        )
    else:
        bad = sum(1 for r in result.reconciliation if not r.ok)
        tail = say_now(
            "NOT reconciled with ledger balance as of %(day)s: %(bad)s of %(n)s accounts differ",
            day=result.until,
            bad=bad,
            n=accounts,
        )
    return head, tail


# --- the mapping ----------------------------------------------------------------------------

gl_map = typer.Typer(
    no_args_is_help=True,
    help="A nation's mapping of acsa's accounts to its general-ledger codes and fund citations.",
)
ledger_app.add_typer(gl_map, name="gl-map")

AccountArg = Annotated[
    str,
    typer.Option(
        "--account",
        help="receivable_cash, receivable_in_kind, payable_cash, payable_in_kind, "
        "support_provided, support_received or cash.",
    ),
]
PartnerOpt = Annotated[
    str, typer.Option("--partner", help="Only with this partner (e.g. AUS); * is any.")
]
CurrencyOpt = Annotated[
    str, typer.Option("--currency", help="Only in this currency (e.g. AUD); * is any.")
]


def rules_table(rows: list[GlRuleOut]) -> Table:
    table = Table(title=said("general-ledger mapping of %(nation)s", nation=rows[0].nation))
    for column in ("account", "partner", "currency", "gl code", "fund citation", "by", "at"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r.account,
            r.partner,
            r.currency,
            r.gl_code,
            r.fund_citation or "",
            r.actor,
            r.at.isoformat(timespec="seconds"),
        )
    return table


def _show(rows: list[GlRuleOut], as_json: bool, fmt: OutputFormat) -> None:
    if as_json:
        print_json(rows)
        return
    if not rows:
        from acsa.cli.render import say_now

        out.print(say_now("no mapping rules"))
        return
    show_result(rules_table(rows), fmt)


@gl_map.command("list")
def list_rules(
    nation: NationOption = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The nation's mapping rules."""
    from acsa.schemas.journal import GlRuleOut
    from acsa.services import journal as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            rows = api.many(GlRuleOut, "/ledger/gl-map")
        else:
            rows = service.list_rules(uow_for(engine_for(db), read_only=True), nation)
    _show(rows, as_json, output_format)


@gl_map.command("set")
def set_rule(
    account: AccountArg,
    gl_code: Annotated[str, typer.Option("--gl-code", help="The general-ledger code (1310-AUS).")],
    partner: PartnerOpt = "*",
    currency: CurrencyOpt = "*",
    fund_citation: Annotated[
        str | None, typer.Option("--fund-citation", help="The fund citation to carry.")
    ] = None,
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a rule, or replace the rule of the same account, partner and currency (audited).
    The most specific rule wins: account+partner+currency, account+partner, account+currency,
    the account alone."""
    from acsa.schemas.journal import GlRuleOut
    from acsa.services import journal as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            body = {
                "account": account,
                "partner": partner,
                "currency": currency,
                "gl_code": gl_code,
                "fund_citation": fund_citation,
            }
            made = api.one(GlRuleOut, "PUT", "/ledger/gl-map", body=body)
        else:
            made = service.set_rule(
                uow_for(engine_for(db)),
                nation,
                account,
                partner,
                currency,
                gl_code,
                fund_citation,
                acting(actor),
            )
    _show([made], as_json, OutputFormat.TABLE)


@gl_map.command("remove")
def remove_rule(
    account: AccountArg,
    partner: PartnerOpt = "*",
    currency: CurrencyOpt = "*",
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove the rule of exactly this account, partner and currency (audited)."""
    from acsa.schemas.journal import GlRuleOut
    from acsa.services import journal as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            params = {"account": account, "partner": partner, "currency": currency}
            gone = api.one(GlRuleOut, "DELETE", "/ledger/gl-map", params)
        else:
            gone = service.remove_rule(
                uow_for(engine_for(db)), nation, account, partner, currency, acting(actor)
            )
    _show([gone], as_json, OutputFormat.TABLE)


@gl_map.command("import")
def import_rules(
    file: Annotated[
        Path, typer.Argument(help="CSV: account,partner,currency,gl_code,fund_citation")
    ],
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add or replace every rule of a CSV file, all or none (audited per rule changed)."""
    from acsa.schemas.journal import GlRuleOut
    from acsa.services import journal as service

    with refusals(as_json):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                "file",
                "cannot read {path}: {problem}",
                path=str(file),
                problem=str(error),
            ) from None
        api = remote(db, actor)
        if api is not None:
            api.own_nation(nation, "nation", BOOK)
            service.rules_from_csv(text)  # refused here, as on a database, before it is sent
            found = api.request("POST", "/ledger/gl-map/import", body={"csv": text})
            rows = [GlRuleOut.model_validate(r) for r in found.json()]
        else:
            rows = service.import_rules(uow_for(engine_for(db)), nation, text, acting(actor))
    _show(rows, as_json, OutputFormat.TABLE)
