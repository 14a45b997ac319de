"""The visitor's nation's book and reports: balances with each partner, statements of account
over a period, aging, what is overdue, the exceptions report and the annual report with its
charts; and downloads of exactly what each page shows (CSV, XLSX; the annual report also as
PDF; the order form as PDF).

The book is always the visitor's nation's, as in the API: no page or download takes a nation
parameter. A partner the nation has no dealings with simply has no rows.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from acsa.adapters.exports.chart_cache import ChartCache, chart_digest
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.clock import today
from acsa.domain.dates import parse_day
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.domain.fiscal import FiscalYear, fiscal_year, fiscal_year_of
from acsa.i18n import translations
from acsa.schemas.findings import ExceptionOut
from acsa.schemas.ledger import AgingOut, OverdueOut, PositionOut, StatementOut
from acsa.schemas.reports import AnnualReport, Figure
from acsa.services import ledger as books
from acsa.services.agreements import list_agreements
from acsa.services.annual_report import annual_report
from acsa.services.findings import exceptions as find_exceptions
from acsa.services.order_forms import order_form
from acsa.web.pages import PagesDep
from acsa.web.report_cache import ReportCache
from acsa.web.session import Visitor, visitor
from acsa.web.svg_charts import SvgChart, WrittenCharts
from acsa.web.tables import N_, Amount, Column, Link, Table, csv_bytes, xlsx_bytes
from acsa.web.views import parse_order_id

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
Param = Annotated[str | None, Query(max_length=40)]

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "png": "image/png",
}
TABLE_FORMATS = ("csv", "xlsx")
ANNUAL_FORMATS = ("csv", "xlsx", "pdf")
CHART_KINDS = ("monthly", "balance")

#: Headings of the age bands (acsa.services.ledger.BUCKETS), as msgids.
BAND_HEADINGS = {
    "0-30": N_("0–30 days"),
    "31-90": N_("31–90 days"),
    "91-180": N_("91–180 days"),
    "181-365": N_("181–365 days"),
    "over 365": N_("over 365 days"),
}
#: Titles of the annual report's breakdowns (acsa.adapters.exports.formats.figure_views).
VIEW_TITLES = {
    "summary": (N_("Summary"), N_("Scope")),
    "by_partner": (N_("By partner"), N_("Partner")),
    "by_category": (N_("By category (line values)"), N_("Category")),
    "by_activity": (N_("By activity"), N_("Activity")),
    "settled_open": (N_("Settled and open"), N_("Settlement")),
    "provided_received": (N_("Provided and received"), N_("Direction")),
}

#: Keys of the annual report's splits, as a reader sees them (msgids of their own: "received"
#: here is support received, not the order status). The settled and open rows are amounts
#: (paid or settled in kind; still owed), not orders settled in full or not: they take the
#: words of the Settled and Open columns.
KEY_WORDS = {
    "all": N_("all orders"),
    "settled": N_("Settled"),
    "open": N_("Open"),
    "provided": N_("support provided"),
    "received": N_("support received"),
}
#: Words the tables show through the ``words`` filter (for the catalogue).
TABLE_WORDS = (
    N_("opening balance"),
    N_("closing balance"),
    N_("receipt"),
    N_("payment"),
    N_("replacement"),
    N_("exchange"),
    N_("conversion"),
    N_("reversal"),
    N_("credit_note"),
    N_("owed to us"),
    N_("owed by us"),
    N_("invoice past due"),
    N_("replacement past deadline"),
    N_("received not invoiced"),
    N_("invoice overdue"),
    N_("replacement past due"),
    N_("replacement due soon"),
    N_("missing field"),
    N_("missing signature"),
    N_("settled not closed"),
)

#: matplotlib draws one figure at a time here: the charts module keeps no global state, but
#: the font cache and the Agg renderer are safest unshared between threads.
_drawing = threading.Lock()


# --- input -------------------------------------------------------------------------------------


def _partners(who: Visitor) -> list[str]:
    """The nations the visitor's nation has an agreement with."""
    found = {p for a in list_agreements(who.reader(), party=who.nation) for p in a.parties}
    return sorted(found - {who.nation})


def _fy_now(who: Visitor) -> FiscalYear:
    return fiscal_year_of(who.nation, today(), shipped_fiscal_calendars())


def _fy_number(year: FiscalYear) -> int:
    return int(year.label.removeprefix("FY"))


def parse_fy(who: Visitor, value: str | None) -> FiscalYear:
    """``?fy=2026`` as the visitor's nation numbers its years; blank: the current year."""
    if value is None or not value.strip():
        return _fy_now(who)
    text = value.strip().upper().removeprefix("FY")
    if not text.isdigit() or not 1900 <= int(text) <= 9998:
        raise AcsaError.single(
            Code.INVALID_FIELD, "fy", "fy '{value}' is not a fiscal year (e.g. 2026)", value=value
        )
    return fiscal_year(who.nation, int(text), shipped_fiscal_calendars())


def _download(content: bytes, suffix: str, name: str) -> Response:
    return Response(
        content,
        media_type=MEDIA_TYPES[suffix],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


def _format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise NotFoundError.single(
            Code.INVALID_INPUT, "format", "no download as '{format}'", format=value
        )
    return value


def _tables_file(who: Visitor, tables: list[Table], suffix: str, name: str, title: str) -> Response:
    if suffix == "csv":
        return _download(csv_bytes(tables, who.lang), "csv", name)
    return _download(xlsx_bytes(tables, who.lang, title), "xlsx", name)


# --- balances ----------------------------------------------------------------------------------


def balances_table(who: Visitor, items: list[PositionOut]) -> Table:
    table = Table(
        "balances",
        N_("Balances of %(nation)s with each partner"),
        [
            Column(N_("Partner"), "link"),
            Column(N_("Currency")),
            Column(N_("Owed to us"), "money"),
            Column(N_("Owed by us"), "money"),
            Column(N_("Awaiting replacement (to us)"), "money"),
            Column(N_("Awaiting replacement (by us)"), "money"),
            Column(N_("Net"), "money"),
            Column(N_("Support provided"), "money"),
            Column(N_("Support received"), "money"),
        ],
        args={"nation": who.nation},
        empty=N_("Nothing is owed either way."),
    )
    for p in items:
        c = p.currency
        href = f"/ledger/statement?partner={p.partner}&currency={c}"
        table.add(
            [
                Link(p.partner, href),
                c,
                *(
                    Amount(v, c)
                    for v in (
                        p.owed_to_us,
                        p.owed_by_us,
                        p.awaiting_replacement,
                        p.awaiting_replacement_by_us,
                        p.net,
                        p.provided,
                        p.received,
                    )
                ),
            ]
        )
    return table


@dataclass(frozen=True)
class BalancesView:
    as_of: date | None
    table: Table


def balances_view(who: Visitor, as_of: str | None) -> BalancesView:
    day = parse_day(as_of, "as_of")
    items = books.balances(who.reader(), who.nation, None, day)
    return BalancesView(day, balances_table(who, items))


@router.get("/ledger", response_class=HTMLResponse)
def ledger(request: Request, pages: PagesDep, who: VisitorDep, as_of: Param = None) -> HTMLResponse:
    """Where the visitor's nation stands with each partner, per currency."""
    view = balances_view(who, as_of)
    return pages.render(request, "ledger_balances.html", who, title=N_("Ledger"), view=view)


@router.get("/ledger/balances.{suffix}")
def ledger_file(who: VisitorDep, suffix: str, as_of: Param = None) -> Response:
    view = balances_view(who, as_of)
    name = f"balances-{who.nation}-{(view.as_of or today()).isoformat()}"
    return _tables_file(who, [view.table], _format(suffix, TABLE_FORMATS), name, name)


# --- statements --------------------------------------------------------------------------------


@dataclass
class StatementView:
    partners: list[str]
    partner: str | None
    currency: str | None
    since: date
    until: date
    statements: list[StatementOut] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    #: The page shown starts after this cursor (None: the first page).
    after: str | None = None
    #: Links to the next page of entries and back to the first (None: there is none).
    more: str | None = None
    first_page: str | None = None


def statement_table(s: StatementOut) -> Table:
    c = s.currency
    table = Table(
        f"statement statement-{c}",
        N_(
            "Statement of account of %(nation)s with %(partner)s, "
            "%(since)s to %(until)s (%(currency)s)"
        ),
        [
            Column(N_("Day"), "day"),
            Column(N_("Entry"), "number"),
            Column(N_("Kind"), "word"),
            Column(N_("Order"), "order"),
            Column(N_("Document"), "memo"),
            Column(N_("Memo"), "memo"),
            Column(N_("Currency")),
            Column(N_("Debit"), "money"),
            Column(N_("Credit"), "money"),
            Column(N_("Balance"), "money"),
        ],
        args={
            "nation": s.nation,
            "partner": s.partner,
            "since": s.start.isoformat(),
            "until": s.end.isoformat(),
            "currency": c,
        },
    )
    table.add(
        [s.start, None, "opening balance", None, "", "", c, None, None, Amount(s.opening, c)],
        "total",
    )
    for line in s.lines:
        table.add(
            [
                line.effective,
                line.entry,
                line.kind,
                line.order,
                line.document,
                line.memo,
                c,
                Amount(line.debit, c) if line.debit else None,
                Amount(line.credit, c) if line.credit else None,
                Amount(line.balance, c),
            ]
        )
    table.add(
        [s.end, None, "closing balance", None, "", "", c, None, None, Amount(s.closing, c)], "total"
    )
    return table


def statement_view(
    who: Visitor,
    partner: str | None,
    currency: str | None,
    since: str | None,
    until: str | None,
    limit: int | None = None,
    after: str | None = None,
) -> StatementView:
    """The statement of the visitor's nation's book with ``partner`` over the period
    (default: from the start of the current fiscal year to today): a page of ``limit``
    entries after the cursor ``after`` (None: every entry)."""
    other = books.party_code(partner, "partner")
    wanted = books.currency_code(currency)
    last = parse_day(until, "until") or today()
    first = parse_day(since, "since") or min(_fy_now(who).start, last)
    view = StatementView(_partners(who), other, wanted, first, last, after=after or None)
    if other is not None:
        view.statements = books.statement(
            who.reader(), who.nation, other, first, last, wanted, limit, view.after
        )
        view.tables = [statement_table(s) for s in view.statements]
        query = {"partner": other, "currency": wanted or "", "since": first, "until": last}
        following = next((s.next for s in view.statements if s.next), None)
        if following is not None:
            view.more = "/ledger/statement?" + urlencode({**query, "after": following})
        if view.after is not None:
            view.first_page = "/ledger/statement?" + urlencode(query)
    return view


@router.get("/ledger/statement", response_class=HTMLResponse)
def statement(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    partner: Param = None,
    currency: Param = None,
    since: Param = None,
    until: Param = None,
    after: Param = None,
) -> HTMLResponse:
    """A statement of account with one partner over a period, per currency: a page of
    entries at a time (``after``: the cursor the page before links to)."""
    view = statement_view(who, partner, currency, since, until, books.STATEMENT_PAGE, after)
    return pages.render(
        request, "ledger_statement.html", who, title=N_("Statement of account"), view=view
    )


@router.get("/ledger/statement.{suffix}")
def statement_file(
    who: VisitorDep,
    suffix: str,
    partner: Param = None,
    currency: Param = None,
    since: Param = None,
    until: Param = None,
) -> Response:
    """The statement on screen as CSV or XLSX (a partner is required)."""
    kind = _format(suffix, TABLE_FORMATS)
    view = statement_view(who, partner, currency, since, until)
    if view.partner is None:
        raise AcsaError.single(Code.MISSING_FIELD, "partner", "choose the partner first")
    name = f"statement-{who.nation}-{view.partner}-{view.since}-{view.until}"
    return _tables_file(who, view.tables, kind, name, name)


# --- aging and overdue -------------------------------------------------------------------------


@dataclass
class AgingView:
    partners: list[str]
    partner: str | None
    as_of: date | None
    items: list[AgingOut]
    table: Table


def aging_table(who: Visitor, items: list[AgingOut], as_of: date) -> Table:
    table = Table(
        "aging",
        N_("Open debts of %(nation)s by age, as of %(day)s"),
        [
            Column(N_("Partner")),
            Column(N_("Currency")),
            Column(N_("Direction"), "word"),
            *(Column(BAND_HEADINGS[b], "money") for b in books.BUCKETS),
            Column(N_("Total"), "money"),
        ],
        args={"nation": who.nation, "day": as_of.isoformat()},
        empty=N_("No open debts."),
    )
    for a in items:
        c = a.currency
        table.add(
            [
                a.partner,
                c,
                a.direction,
                *(Amount(a.buckets[b], c) for b in books.BUCKETS),
                Amount(a.total, c),
            ]
        )
    return table


def aging_view(who: Visitor, partner: str | None, as_of: str | None) -> AgingView:
    other = books.party_code(partner, "partner")
    day = parse_day(as_of, "as_of")
    items = books.aging(who.reader(), who.nation, other, day)
    return AgingView(_partners(who), other, day, items, aging_table(who, items, day or today()))


@router.get("/ledger/aging", response_class=HTMLResponse)
def aging(
    request: Request, pages: PagesDep, who: VisitorDep, partner: Param = None, as_of: Param = None
) -> HTMLResponse:
    """Open debts each way, by age band in days."""
    view = aging_view(who, partner, as_of)
    return pages.render(request, "ledger_aging.html", who, title=N_("Aging"), view=view)


@router.get("/ledger/aging.{suffix}")
def aging_file(
    who: VisitorDep, suffix: str, partner: Param = None, as_of: Param = None
) -> Response:
    kind = _format(suffix, TABLE_FORMATS)
    view = aging_view(who, partner, as_of)
    name = f"aging-{who.nation}-{(view.as_of or today()).isoformat()}"
    return _tables_file(who, [view.table], kind, name, name)


@dataclass
class OverdueView:
    as_of: date | None
    table: Table


def overdue_table(who: Visitor, items: list[OverdueOut], as_of: date) -> Table:
    table = Table(
        "overdue",
        N_("Overdue on orders of %(nation)s, as of %(day)s"),
        [
            Column(N_("Kind"), "word"),
            Column(N_("Order"), "order"),
            Column(N_("Document"), "memo"),
            Column(N_("Creditor")),
            Column(N_("Debtor")),
            Column(N_("Currency")),
            Column(N_("Amount"), "money"),
            Column(N_("Due"), "day"),
            Column(N_("Days overdue"), "number"),
        ],
        args={"nation": who.nation, "day": as_of.isoformat()},
        empty=N_("Nothing is overdue."),
    )
    for o in items:
        table.add(
            [
                o.kind,
                o.order,
                o.document,
                o.creditor,
                o.debtor,
                o.currency,
                Amount(o.amount, o.currency),
                o.due,
                o.days_overdue,
            ],
            "late",
        )
    return table


def overdue_view(who: Visitor, as_of: str | None) -> OverdueView:
    day = parse_day(as_of, "as_of")
    items = books.overdue(who.reader(), who.nation, day)
    return OverdueView(day, overdue_table(who, items, day or today()))


@router.get("/ledger/overdue", response_class=HTMLResponse)
def overdue(
    request: Request, pages: PagesDep, who: VisitorDep, as_of: Param = None
) -> HTMLResponse:
    """Invoices past due and in-kind debt past its deadline, most overdue first."""
    view = overdue_view(who, as_of)
    return pages.render(request, "ledger_overdue.html", who, title=N_("Overdue"), view=view)


@router.get("/ledger/overdue.{suffix}")
def overdue_file(who: VisitorDep, suffix: str, as_of: Param = None) -> Response:
    kind = _format(suffix, TABLE_FORMATS)
    view = overdue_view(who, as_of)
    name = f"overdue-{who.nation}-{(view.as_of or today()).isoformat()}"
    return _tables_file(who, [view.table], kind, name, name)


# --- the exceptions report ---------------------------------------------------------------------


@dataclass
class ExceptionsView:
    as_of: date | None
    table: Table


#: What a finding names as missing (acsa.services.findings), as a person reads it.
MISSING_WORDS = {
    "requester_unit": N_("requester unit"),
    "supplier_unit": N_("supplier unit"),
    "fund_citation": N_("fund citation"),
    "operation": N_("operation"),
    "requester_signature": N_("requester signature"),
    "supplier_acceptance": N_("supplier acceptance"),
    "receipt_signature": N_("receipt signature"),
}


def exceptions_table(who: Visitor, items: list[ExceptionOut], as_of: date) -> Table:
    say = translations(who.lang).gettext
    table = Table(
        "exceptions",
        N_("Exceptions on orders of %(nation)s, as of %(day)s"),
        [
            Column(N_("Finding"), "word"),
            Column(N_("Order"), "order"),
            Column(N_("Supplier")),
            Column(N_("Requester")),
            Column(N_("Since"), "day"),
            Column(N_("Age (days)"), "number"),
            Column(N_("Currency")),
            Column(N_("Value"), "money"),
            Column(N_("Document"), "memo"),
            Column(N_("Due"), "day"),
            Column(N_("Missing"), "text"),
        ],
        args={"nation": who.nation, "day": as_of.isoformat()},
        empty=N_("No exceptions: nothing the audits look for was found."),
    )
    for e in items:
        table.add(
            [
                e.kind,
                e.order,
                e.supplier,
                e.requester,
                e.since,
                e.age_days,
                e.currency,
                Amount(e.value, e.currency),
                e.document or "",
                e.due,
                ", ".join(say(MISSING_WORDS.get(f, f.replace("_", " "))) for f in e.fields),
            ]
        )
    return table


def exceptions_view(who: Visitor, as_of: str | None) -> ExceptionsView:
    day = parse_day(as_of, "as_of")
    items = find_exceptions(who.reader(), day, nation=who.nation)
    return ExceptionsView(day, exceptions_table(who, items, day or today()))


@router.get("/reports/exceptions", response_class=HTMLResponse)
def exceptions(
    request: Request, pages: PagesDep, who: VisitorDep, as_of: Param = None
) -> HTMLResponse:
    """What audits keep finding, on the orders the visitor's nation is party to."""
    view = exceptions_view(who, as_of)
    return pages.render(
        request, "reports_exceptions.html", who, title=N_("Exceptions report"), view=view
    )


@router.get("/reports/exceptions.{suffix}")
def exceptions_file(who: VisitorDep, suffix: str, as_of: Param = None) -> Response:
    kind = _format(suffix, TABLE_FORMATS)
    view = exceptions_view(who, as_of)
    name = f"exceptions-{who.nation}-{(view.as_of or today()).isoformat()}"
    return _tables_file(who, [view.table], kind, name, name)


# --- the annual report -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRef:
    kind: str
    currency: str

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.currency}"


def charts_of(data: AnnualReport) -> list[ChartRef]:
    """The charts the report has, as acsa.adapters.exports.charts draws them."""
    found: list[ChartRef] = []
    for currency in data.currencies:
        if any(m.currency == currency for m in data.monthly):
            found.append(ChartRef("monthly", currency))
        if any(b.currency == currency for b in data.balances):
            found.append(ChartRef("balance", currency))
    return found


def _figures_table(name: str, figures: list[Figure], nation: str) -> Table:
    title, key = VIEW_TITLES[name]
    table = Table(
        f"annual annual-{name}",
        title,
        [
            Column(key, "word"),
            Column(N_("Currency")),
            Column(N_("Orders"), "number"),
            Column(N_("Value"), "money"),
            Column(N_("Support provided"), "money"),
            Column(N_("Support received"), "money"),
            Column(N_("Settled"), "money"),
            Column(N_("Open"), "money"),
        ],
        args={"nation": nation},
        empty=N_("No orders in this year."),
    )
    for f in figures:
        c = f.currency
        table.add(
            [
                KEY_WORDS.get(f.key, f.key)
                if name in ("summary", "settled_open", "provided_received")
                else f.key,
                c,
                f.count,
                *(Amount(v, c) for v in (f.value, f.provided, f.received, f.settled, f.open)),
            ]
        )
    return table


def _monthly_table(data: AnnualReport) -> Table:
    """Partners down, months across, with the year's total."""
    table = Table(
        "annual annual-monthly",
        N_("Value of orders by month and partner"),
        [
            Column(N_("Partner")),
            Column(N_("Currency")),
            *(Column(m, "money") for m in data.months),
            Column(N_("Total"), "money"),
        ],
        empty=N_("No orders in this year."),
    )
    rows: dict[tuple[str, str], dict[str, Decimal]] = {}
    for m in data.monthly:
        rows.setdefault((m.partner, m.currency), {})[m.month] = m.value
    for (partner, c), values in sorted(rows.items()):
        amounts = [values.get(month, Decimal(0)) for month in data.months]
        table.add(
            [partner, c, *(Amount(v, c) for v in amounts), Amount(sum(amounts, Decimal(0)), c)]
        )
    return table


def _balance_table(data: AnnualReport) -> Table:
    """Partners down, month ends across: owed to the nation (+) or by it (-)."""
    days = sorted({b.day for b in data.balances})
    table = Table(
        "annual annual-balances",
        N_("Balance with each partner at month end (owed to %(nation)s +, by it −)"),
        [
            Column(N_("Partner")),
            Column(N_("Currency")),
            *(Column(d.isoformat(), "money") for d in days),
        ],
        args={"nation": data.nation},
        empty=N_("No debts either way during the year."),
    )
    rows: dict[tuple[str, str], dict[date, Decimal]] = {}
    for b in data.balances:
        rows.setdefault((b.partner, b.currency), {})[b.day] = b.balance
    for (partner, c), values in sorted(rows.items()):
        table.add([partner, c, *(Amount(values.get(d, Decimal(0)), c) for d in days)])
    return table


@dataclass
class AnnualView:
    year: FiscalYear
    fy: int
    data: AnnualReport
    charts: list[ChartRef]
    tables: list[Table]
    #: The charts as inline SVG, in the visitor's language (the page shows these).
    svg: list[SvgChart] = field(default_factory=list)
    #: Where the page's charts are written once (``written.html(data, chart, lang, macro)``).
    written: WrittenCharts | None = None


#: Annual reports read, shared by the report's page and its charts (until the books change).
reports = ReportCache()
#: Charts drawn, by a digest of all they show.
charts = ChartCache()
#: The page's charts as SVG, laid out and written once per report read and language.
written = WrittenCharts()


def annual_data(who: Visitor, year: FiscalYear) -> AnnualReport:
    """The visitor's nation's report of ``year``, read once for the page and all its charts
    (again as soon as any order or book changed)."""
    key = (who.principal.name, who.nation, year.start, year.end, year.label)
    return reports.get(
        who.engine,
        key,
        lambda: annual_report(who.reader(), who.nation, year.start, year.end, year.label),
    )


def annual_view(who: Visitor, fy: str | None) -> AnnualView:
    year = parse_fy(who, fy)
    data = annual_data(who, year)
    views = [
        ("summary", data.summary),
        ("by_partner", data.by_partner),
        ("by_category", data.by_category),
        ("by_activity", data.by_activity),
        ("settled_open", data.settled_open),
        ("provided_received", data.provided_received),
    ]
    tables = [_figures_table(name, figures, data.nation) for name, figures in views]
    tables += [_monthly_table(data), _balance_table(data)]
    svg = written.charts(data, who.lang)
    return AnnualView(year, _fy_number(year), data, charts_of(data), tables, svg, written)


@router.get("/reports/annual", response_class=HTMLResponse)
def annual(request: Request, pages: PagesDep, who: VisitorDep, fy: Param = None) -> HTMLResponse:
    """The nation's support over one fiscal year, with its charts."""
    view = annual_view(who, fy)
    return pages.render(request, "reports_annual.html", who, title=N_("Annual report"), view=view)


def chart_png(data: AnnualReport, kind: str, currency: str, lang: str = "en") -> bytes | None:
    """One chart of the report as PNG in ``lang``, drawn by the exports' charts code (once for
    the same figures: see ``acsa.adapters.exports.chart_cache``); None if the report has no
    such chart."""
    if ChartRef(kind, currency) not in charts_of(data):
        return None
    key = chart_digest(data, kind, currency, lang, "png")
    found = charts.get(key)
    if found is not None:
        return found
    from acsa.adapters.exports.charts import render_chart

    with _drawing:
        found = charts.get(key)  # drawn by another request while this one waited
        if found is not None:
            return found
        png = render_chart(data, kind, currency, lang, "png")
    if png is not None:
        charts.put(key, png)
    return png


@router.get("/reports/annual/chart/{name}.png")
def annual_chart(who: VisitorDep, name: str, fy: Param = None) -> Response:
    """A chart of the annual report (``monthly-JPY``, ``balance-JPY``) as a PNG image."""
    kind, _, currency = name.partition("-")
    missing = NotFoundError.single(Code.INVALID_INPUT, "chart", "no chart '{chart}'", chart=name)
    if kind not in CHART_KINDS or len(currency) != 3:
        raise missing
    png = chart_png(annual_data(who, parse_fy(who, fy)), kind, currency.upper(), who.lang)
    if png is None:
        raise missing
    return Response(png, media_type=MEDIA_TYPES["png"], headers={"Cache-Control": "no-store"})


def _annual_file(data: AnnualReport, suffix: str, path: FilePath, lang: str = "en") -> None:
    """As ``acsa report annual --format``: the workbook and the PDF carry the charts (in
    ``lang``)."""
    if suffix == "csv":
        from acsa.adapters.exports.csv_export import write_csv

        write_csv(data, path)
        return
    from acsa.adapters.exports.charts import write_charts

    with _drawing:
        charts = write_charts(data, path.parent, path.stem, lang=lang)
    if suffix == "xlsx":
        from acsa.adapters.exports.xlsx import write_xlsx

        write_xlsx(data, path, charts, lang=lang)
    else:
        from acsa.adapters.exports.pdf import write_pdf

        write_pdf(data, path, charts, lang=lang)


def _file_of(suffix: str, name: str, write: Callable[[FilePath], None]) -> Response:
    with tempfile.TemporaryDirectory(prefix="acsa-web-") as scratch:
        path = FilePath(scratch) / f"{name}.{suffix}"
        write(path)
        content = path.read_bytes()
    return _download(content, suffix, name)


@router.get("/reports/annual.{suffix}")
def annual_file(who: VisitorDep, suffix: str, fy: Param = None) -> Response:
    """The annual report on screen as CSV, XLSX (with charts) or PDF (with charts)."""
    kind = _format(suffix, ANNUAL_FORMATS)
    year = parse_fy(who, fy)
    data = annual_data(who, year)
    name = f"annual-{data.nation}-{year.label}"
    return _file_of(kind, name, lambda path: _annual_file(data, kind, path, who.lang))


# --- the order form ----------------------------------------------------------------------------


@router.get("/orders/{order_id}/form.pdf")
def order_form_pdf(who: VisitorDep, order_id: str) -> Response:
    """The order / receipt / invoice form of one order as PDF in the visitor's language
    (another nation's: 404)."""
    data = order_form(who.reader(), parse_order_id(order_id))

    def write(path: FilePath) -> None:
        from acsa.adapters.exports.order_form import write_order_form

        write_order_form(data, path, lang=who.lang)

    return _file_of("pdf", f"order-{data.order.id}", write)
