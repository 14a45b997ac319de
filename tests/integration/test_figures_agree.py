"""The annual report, the ledger's balances, the statement of account and the dashboard give the
same figures (SQLite file and PostgreSQL), for the demo and for random books.

For a nation and a partner all of whose orders are dated in the fiscal year, on the year's last
day, per currency:

- the report's open on what the nation provided is what ``ledger balance`` says the partner owes
  it (``owed_to_us`` and ``awaiting_replacement``), and on what it received what it owes
  (``owed_by_us`` and ``awaiting_replacement_by_us``);
- the report's settled is what the statement of account shows settled: payments, replacements
  and exchanges credited to the partner's debts (provided) or debited to the nation's
  (received); settled and open add up to what the receipts posted;
- the statement opens at zero and closes at the ledger's net, which is open provided less open
  received;
- the dashboard shows those positions, when nothing is dated after the year's end.

Within the report, the settled and open of the "settled and open" rows, of the summary and of
every breakdown add up to the same amounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.commands import (
    AcceptOrder,
    AmendAgreement,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    ReturnInKind,
    SubmitOrder,
)
from acsa.domain.access import Principal, Role
from acsa.domain.fiscal import FiscalYear, fiscal_year, fiscal_year_of
from acsa.domain.money import Money, quantum
from acsa.domain.order_search import order_query
from acsa.schemas.ledger import PositionOut, StatementOut
from acsa.schemas.reports import AnnualReport, Figure
from acsa.services import agreements, ledger, orders, settlement
from acsa.services.annual_report import EXCLUDED, OPEN, SETTLED, annual_report
from acsa.services.demo import load_demo
from acsa.services.handlers import handle
from acsa.web.dashboard import dashboard
from acsa.web.session import Visitor
from tests.ledger_data import WRITTEN

D = Decimal
ZERO = D(0)
#: Statement lines that settle a debt; a conversion only moves it from in kind to cash.
SETTLING = frozenset({"payment", "replacement", "exchange"})
#: Every record of the demo is dated before this day (tests/integration/test_demo.py).
DEMO_LAST_DAY = date(2026, 11, 23)
ACTOR = "Cdr M. Tanaka"
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


# --- what each side says ----------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Settled and open, by direction, in one currency with one partner."""

    provided_settled: Decimal = ZERO
    provided_open: Decimal = ZERO
    received_settled: Decimal = ZERO
    received_open: Decimal = ZERO


def report_split(figure: Figure | None) -> Split:
    if figure is None:
        return Split()
    assert figure.settled == figure.provided_settled + figure.received_settled, figure
    assert figure.open == figure.provided_open + figure.received_open, figure
    return Split(
        figure.provided_settled, figure.provided_open, figure.received_settled, figure.received_open
    )


def ledger_split(position: PositionOut | None, statement: StatementOut) -> Split:
    """Open from the balance, settled from the statement's settling lines."""
    settled_to_us = sum((ln.credit for ln in statement.lines if ln.kind in SETTLING), ZERO)
    settled_by_us = sum((ln.debit for ln in statement.lines if ln.kind in SETTLING), ZERO)
    if position is None:
        return Split(settled_to_us, ZERO, settled_by_us, ZERO)
    return Split(
        settled_to_us,
        position.owed_to_us + position.awaiting_replacement,
        settled_by_us,
        position.owed_by_us + position.awaiting_replacement_by_us,
    )


def partners_in_year(uow: UnitOfWork, nation: str, year: FiscalYear) -> set[str]:
    """Partners with orders in the year and none outside it (drafts, rejected and cancelled
    orders aside: they never reach the books)."""
    inside: set[str] = set()
    outside: set[str] = set()
    for order in orders.list_orders(uow, order_query(party=nation)):
        if order.status in EXCLUDED:
            continue
        partner = order.supplier if order.requester == nation else order.requester
        (inside if year.start <= order.order_date <= year.end else outside).add(partner)
    return inside - outside


def agree(
    engine: Engine,
    nation: str,
    year: FiscalYear,
    with_dashboard: bool,
    kinds: set[str] | None = None,
) -> dict[tuple[str, str], Split]:
    """Check the report of ``nation`` for ``year`` against the ledger for every partner whose
    orders all fall in it (and against the dashboard, if asked); the figures compared. The
    kinds of the statements' lines are added to ``kinds``."""
    uow = UnitOfWork(engine)
    report = annual_report(uow, nation, year.start, year.end, year.label)
    adds_up(report)
    figures = {(f.key, f.currency): f for f in report.by_partner}
    positions = {(p.partner, p.currency): p for p in ledger.balances(uow, nation, as_of=year.end)}
    shown: dict[tuple[str, str], PositionOut] = {}
    if with_dashboard:
        visitor = Visitor(
            Principal(f"{nation.lower()}-finance", nation, frozenset({Role.FINANCE, Role.VIEWER})),
            csrf="",
            lang="en",
            engine=engine,
        )
        shown = {(p.partner, p.currency): p for p in dashboard(visitor).positions}
    compared: dict[tuple[str, str], Split] = {}
    for partner in sorted(partners_in_year(uow, nation, year)):
        currencies = {c for p, c in figures if p == partner} | {
            c for p, c in positions if p == partner
        }
        for currency in sorted(currencies):
            key = (partner, currency)
            [account] = ledger.statement(uow, nation, partner, year.start, year.end, currency)
            books = ledger_split(positions.get(key), account)
            found = report_split(figures.get(key))
            assert found == books, (nation, year.label, key)
            assert account.opening == 0, (nation, year.label, key)
            net = positions[key].net if key in positions else ZERO
            assert account.closing == net == found.provided_open - found.received_open
            if kinds is not None:
                kinds.update(ln.kind for ln in account.lines)
            receipts = [ln for ln in account.lines if ln.kind == "receipt"]
            posted_to_us = sum((ln.debit for ln in receipts), ZERO)
            posted_by_us = sum((ln.credit for ln in receipts), ZERO)
            assert posted_to_us == found.provided_settled + found.provided_open, key
            assert posted_by_us == found.received_settled + found.received_open, key
            if with_dashboard:
                on_dashboard = ledger_split(shown.get(key), account)
                assert on_dashboard == books, (nation, key, shown.get(key))
                assert (shown[key].net if key in shown else ZERO) == net
            compared[key] = found
    return compared


def adds_up(report: AnnualReport) -> None:
    """Settled and open are the same amounts in the summary, the settled and open rows and
    every breakdown (an order's amounts are shared among its categories, not repeated)."""
    totals: dict[str, Split] = {}
    for f in report.summary:
        totals[f.currency] = report_split(f)
    rows = {(f.key, f.currency): f for f in report.settled_open}
    for currency, total in totals.items():
        settled, open_ = rows[(SETTLED, currency)], rows[(OPEN, currency)]
        assert (settled.provided, settled.received) == (
            total.provided_settled,
            total.received_settled,
        )
        assert (open_.provided, open_.received) == (total.provided_open, total.received_open)
        assert (settled.open, open_.settled) == (ZERO, ZERO)
    for breakdown in (
        report.by_partner,
        report.by_category,
        report.by_activity,
        report.provided_received,
    ):
        assert summed(breakdown) == totals, breakdown
    assert {c for _key, c in rows} == set(totals)


def summed(figures: Iterable[Figure]) -> dict[str, Split]:
    parts: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 4)
    for f in figures:
        for index, amount in enumerate(astuple(report_split(f))):
            parts[f.currency][index] += amount
    return {currency: Split(*amounts) for currency, amounts in parts.items()}


def astuple(split: Split) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (
        split.provided_settled,
        split.provided_open,
        split.received_settled,
        split.received_open,
    )


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_report_agrees_with_the_ledger_and_the_dashboard(engine: Engine) -> None:
    """Every nation of the demo, every fiscal year of its orders (each nation's own calendar),
    every partner whose orders all fall in that year; the dashboard for the years not over
    when the demo's last record was made."""
    load_demo(engine)
    calendars = shipped_fiscal_calendars()
    years: set[tuple[str, FiscalYear]] = set()
    for order in orders.list_orders(UnitOfWork(engine)):
        for nation in (order.requester, order.supplier):
            years.add((nation, fiscal_year_of(nation, order.order_date, calendars)))
    compared: dict[tuple[str, str, str, str], Split] = {}
    on_dashboard: set[tuple[str, str]] = set()
    for nation, year in sorted(years, key=lambda y: (y[0], y[1].start)):
        current = year.end >= DEMO_LAST_DAY
        found = agree(engine, nation, year, with_dashboard=current)
        compared.update({(nation, year.label, *key): split for key, split in found.items()})
        if current and found:
            on_dashboard.add((nation, year.label))
    # Australia's years (July to June) split its orders with Japan: none is compared. The
    # United States' and Britain's orders are not received yet: compared, at nothing owed.
    assert on_dashboard == {
        ("JPN", "FY2026"),
        ("ITA", "FY2026"),
        ("GBR", "FY2026"),
        ("USA", "FY2027"),
    }
    assert not any(key[0] == "AUS" for key in compared)
    # The figures of issue 12, where the report said open AUD 4,710.00 and JPY 53,520,000:
    assert compared[("JPN", "FY2026", "AUS", "AUD")] == Split(
        ZERO, ZERO, D("3000.00"), D("1710.00")
    )
    assert compared[("JPN", "FY2026", "ITA", "JPY")] == Split(D(23600000), D(29754800))
    assert compared[("JPN", "FY2026", "ITA", "EUR")] == Split(ZERO, ZERO, ZERO, D("24430.00"))
    assert compared[("JPN", "FY2026", "AUS", "JPY")] == Split(ZERO, D(906720))
    assert compared[("ITA", "FY2026", "JPN", "JPY")] == Split(ZERO, ZERO, D(23600000), D(29754800))
    assert compared[("JPN", "FY2024", "DEU", "JPY")] == Split(D(25980000))  # paid and closed
    assert compared[("DEU", "FY2024", "JPN", "JPY")] == Split(ZERO, ZERO, D(25980000))
    # Support asked for, not received yet: nothing is owed, in the report as in the books.
    assert compared[("JPN", "FY2026", "USA", "USD")] == Split()


# --- random books -----------------------------------------------------------------------------

YEAR = fiscal_year("JPN", 2025)  # 2025-04-01 to 2026-03-31
QUANTITIES = st.sampled_from(["1", "2.5", "4", "7", "10", "12.5"])
PRICES = {
    "JPY": st.integers(1, 3000).map(str),
    "AUD": st.integers(1, 50000).map(lambda cents: str(D(cents) / 100)),
}
GOODS = st.sampled_from(["fuel", "food", "water", "spare_parts"])
#: The 2017 text settles services, not supplies, by equal value exchange.
SERVICES = st.sampled_from(["billeting", "transportation", "storage", "repair_maintenance"])
STEPS = st.sampled_from(["invoice", "pay", "replace", "exchange"])
FORM = {
    "requester_unit": "No. 1 Squadron",
    "supplier_unit": "JASDF 2nd Air Wing",
    "fund_citation": "FC-2025-001",
    "operation": "Exercise Southern Jackaroo",
}


def cash_reason(method: str) -> dict[str, str]:
    """The reason the 2017 text asks of an order settling supplies in cash."""
    if method != "cash":
        return {}
    return {"cash_reason": "the supplies are consumed in the exercise; return is difficult"}


@dataclass(frozen=True)
class OrderPlan:
    doc: dict[str, Any]
    accept_half: bool
    deliveries: int  # 0: never delivered; 1: at once; 2: half, then the rest
    short: int  # quarters of the first delivery found short on receipt (0 to 3)
    receive_after: int
    steps: tuple[tuple[str, int, int], ...]  # (step, days after the first receipt, quarters)

    @property
    def day(self) -> date:
        return date.fromisoformat(str(self.doc["order_date"]))


@dataclass(frozen=True)
class BookPlan:
    orders: tuple[OrderPlan, ...]
    sweeps: tuple[int, ...]  # days from the year's start
    spill: bool  # records may be dated after the year's end


@st.composite
def order_plans(draw: st.DrawFn) -> OrderPlan:
    currency = draw(st.sampled_from(["JPY", "AUD"]))
    supplier, requester = draw(st.sampled_from([("JPN", "AUS"), ("AUS", "JPN")]))
    day = YEAR.start + timedelta(days=draw(st.integers(0, 300)))
    method = draw(st.sampled_from(["cash", "replacement_in_kind", "equal_value_exchange"]))
    categories = SERVICES if method == "equal_value_exchange" else GOODS
    lines = [
        {
            "category": draw(categories),
            "description": "goods" if categories is GOODS else "services",
            "quantity": draw(QUANTITIES),
            "unit": "EA",
            "unit_price": draw(PRICES[currency]),
            "currency": currency,
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    doc = {
        "agreement": "JPN-AUS",
        "supplier": supplier,
        "requester": requester,
        "activity": draw(st.sampled_from(["exercise", "humanitarian_relief"])),
        "settlement": method,
        "order_date": day.isoformat(),
        "needed_by": day.isoformat(),
        "location": "Darwin",
        "lines": lines,
        **FORM,
        **cash_reason(method),
    }
    steps = draw(
        st.lists(st.tuples(STEPS, st.integers(0, 60), st.integers(1, 4)), max_size=4).map(tuple)
    )
    return OrderPlan(
        doc=doc,
        accept_half=draw(st.booleans()),
        deliveries=draw(st.sampled_from([0, 1, 1, 1, 2])),
        short=draw(st.sampled_from([0, 0, 1, 3])),
        receive_after=draw(st.integers(0, 20)),
        steps=steps,
    )


BOOKS = st.builds(
    BookPlan,
    orders=st.lists(order_plans(), min_size=3, max_size=6).map(tuple),
    sweeps=st.lists(st.integers(20, 400), min_size=1, max_size=3).map(tuple),
    spill=st.booleans(),
)


class Clerk:
    """Runs a book's plan through the services, every action in date order."""

    def __init__(self, engine: Engine, plan: BookPlan) -> None:
        self.uow = UnitOfWork(engine)
        self.plan = plan
        self.seq = 0
        self.last_day = YEAR.start

    def day(self, day: date) -> date:
        return day if self.plan.spill else min(day, YEAR.end)

    def now(self, day: date) -> datetime:
        self.seq += 1
        self.last_day = max(self.last_day, day)
        return datetime(day.year, day.month, day.day, 6, tzinfo=UTC) + timedelta(seconds=self.seq)

    def run(self) -> None:
        events: list[tuple[date, int, int, str, object]] = []
        for index, plan in enumerate(self.plan.orders):
            events.append((plan.day, 0, index, "place", None))
            if plan.deliveries:
                received = self.day(plan.day + timedelta(days=plan.receive_after))
                events.append((received, 1, index, "deliver", plan.deliveries))
                for name, after, quarters in plan.steps:
                    events.append(
                        (self.day(received + timedelta(days=after)), 2, index, name, quarters)
                    )
                if plan.deliveries == 2:
                    rest = self.day(received + timedelta(days=10))
                    events.append((rest, 1, index, "deliver rest", None))
        for offset in self.plan.sweeps:
            events.append((self.day(YEAR.start + timedelta(days=offset)), 3, -1, "sweep", None))
        ids: dict[int, int] = {}
        for day, _rank, index, name, arg in sorted(events, key=lambda e: e[:3]):
            if name == "place":
                ids[index] = self.place(self.plan.orders[index], day)
            elif name == "sweep":
                settlement.sweep(self.uow, ACTOR, as_of=day, now=self.now(day))
            elif name.startswith("deliver"):
                self.deliver(ids[index], self.plan.orders[index], day, arg == 2)
            else:
                assert isinstance(arg, int)
                getattr(self, name)(ids[index], day, arg)

    def place(self, plan: OrderPlan, day: date) -> int:
        order, _ = handle(self.uow, PlaceOrder.from_wire(plan.doc), "Lt K. Sato", self.now(day))
        assert order.id is not None
        handle(self.uow, SubmitOrder(order_id=order.id), "Capt. J. Smith", self.now(day))
        half = {1: D(plan.doc["lines"][0]["quantity"]) / 2}
        handle(
            self.uow,
            AcceptOrder(order_id=order.id, quantities=half if plan.accept_half else None),
            ACTOR,
            self.now(day),
        )
        return order.id

    def deliver(self, order_id: int, plan: OrderPlan, day: date, first_of_two: bool) -> None:
        """Deliver (half of each line first, if in two) and receive what came, the first time
        ``plan.short`` quarters short."""
        order = orders.get_order(self.uow, order_id)
        quantities = None
        if first_of_two:
            quantities = {ln.number: ln.to_deliver / 2 for ln in order.lines}
        handle(
            self.uow,
            DeliverOrder(order_id=order_id, quantities=quantities),
            "Sgt A. Ito",
            self.now(day),
        )
        order = orders.get_order(self.uow, order_id)
        got = None
        if plan.short and (first_of_two or plan.deliveries == 1):
            got = {ln.number: ln.to_receive * (4 - plan.short) / 4 for ln in order.lines}
        handle(
            self.uow,
            ReceiveOrder(order_id=order_id, quantities=got, note="counted"),
            "Sgt R. Brown",
            self.now(day),
        )

    def invoice(self, order_id: int, day: date, _quarters: int) -> None:
        account = settlement.order_account(self.uow, order_id)
        if account.uninvoiced > 0:
            handle(self.uow, IssueInvoice(order_id=order_id, issued=day), ACTOR, self.now(day))

    def pay(self, order_id: int, day: date, quarters: int) -> None:
        for invoice in settlement.list_invoices(self.uow, order_id=order_id):
            amount = part(invoice.unpaid, quarters, invoice.currency)
            if amount > 0:
                paid = max(day, invoice.issued)
                handle(
                    self.uow,
                    RecordPayment(invoice=invoice.number, amount=amount, paid=paid),
                    ACTOR,
                    self.now(paid),
                )
                return

    def replace(self, order_id: int, day: date, quarters: int) -> None:
        """Return ``quarters`` of what is left to return of the first line that has some, as
        much of it as is still owed in kind."""
        with self.uow:
            order = orders.load_order(self.uow, order_id)
            account = settlement.load_account(self.uow, order)
        replaced = account.replaced_per_line()
        for line, left in account.returnable_per_line().items():
            quantity = (left * quarters / 4).quantize(D("0.01"), ROUND_FLOOR)
            while quantity > 0:
                before = replaced.get(line, ZERO)
                price = order.line(line).unit_price
                worth = Money.of_product(before + quantity, price, order.currency).amount
                worth -= Money.of_product(before, price, order.currency).amount
                if 0 < worth <= account.awaiting_replacement:
                    returned = {"line": line, "category": order.line(line).category}
                    doc = {"lines": [{**returned, "quantity": str(quantity)}], "date": str(day)}
                    handle(
                        self.uow,
                        ReturnInKind.from_wire(doc, order_id=order_id),
                        ACTOR,
                        self.now(day),
                    )
                    return
                if worth == 0:
                    break  # too little to be worth a minor unit
                quantity = (quantity / 2).quantize(D("0.01"), ROUND_FLOOR)

    def exchange(self, order_id: int, day: date, quarters: int) -> None:
        account = settlement.order_account(self.uow, order_id)
        value = part(account.awaiting_replacement, quarters, account.currency)
        if value <= 0:
            return
        doc = {
            "lines": [{"category": "food", "description": "rations", "value": str(value)}],
            "agreed_by": "both liaison officers",
            "date": day.isoformat(),
        }
        handle(self.uow, ExchangeEqualValue.from_wire(doc, order_id=order_id), ACTOR, self.now(day))


def part(amount: Decimal, quarters: int, currency: str) -> Decimal:
    """``quarters`` quarters of ``amount``, rounded down to the currency's minor unit."""
    return (amount * quarters / 4).quantize(quantum(currency), ROUND_FLOOR)


def short_deadlines(engine: Engine) -> None:
    """A new text of the Japan-Australia agreement, in force from 2025, with a replacement
    deadline of 20 days: in-kind debt converts to cash within the year (at 365 days it never
    would for an order of the year)."""
    uow = UnitOfWork(engine)
    current = agreements.get_agreement(uow, "JPN-AUS").latest
    amendment = AmendAgreement.from_wire(
        {
            "label": "2025 text (short deadlines)",
            "signed": "2024-12-01",
            "in_force": "2025-01-01",
            "activities": sorted(current.activities),
            "categories": sorted(current.categories),
            "excluded": sorted(current.excluded),
            "settlement_methods": sorted(current.settlement_methods),
            "replacement_deadline_days": 20,
            "payment_term_days": 15,
        },
        agreement_id="JPN-AUS",
    )
    handle(uow, amendment, "operator")


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in WRITTEN:
            conn.execute(delete(table))


def planned(
    supplier: str,
    currency: str,
    method: str,
    day: str,
    steps: tuple[tuple[str, int, int], ...],
    deliveries: int = 1,
    short: int = 0,
    accept_half: bool = False,
) -> OrderPlan:
    """One order of an example written out: two lines, received three days after its date
    (services of the same values if settled by equal value exchange, which the 2017 text
    allows for services only)."""
    price = "152" if currency == "JPY" else "3.45"
    services = method == "equal_value_exchange"
    doc = {
        "agreement": "JPN-AUS",
        "supplier": supplier,
        "requester": "AUS" if supplier == "JPN" else "JPN",
        "activity": "exercise",
        "settlement": method,
        "order_date": day,
        "needed_by": day,
        "location": "Darwin",
        "lines": [
            {
                "category": "transportation" if services else "fuel",
                "description": "Bus transport" if services else "JP-8",
                "quantity": "10",
                "unit": "day" if services else "L",
                "unit_price": price,
                "currency": currency,
            },
            {
                "category": "billeting" if services else "food",
                "description": "Transit accommodation" if services else "rations",
                "quantity": "4",
                "unit": "night" if services else "EA",
                "unit_price": "1850" if currency == "JPY" else "12.25",
                "currency": currency,
            },
        ],
        **FORM,
        **cash_reason(method),
    }
    return OrderPlan(doc, accept_half, deliveries, short, 3, steps)


#: Every kind of record, all within the year: received in two deliveries and short, invoiced
#: twice and paid in part; replaced in part, then converted by the sweep and paid in part; and
#: exchanged in part.
EVERYTHING = BookPlan(
    orders=(
        planned(
            "JPN",
            "JPY",
            "cash",
            "2025-05-02",
            (("invoice", 1, 4), ("pay", 5, 2), ("invoice", 15, 4), ("pay", 20, 4)),
            deliveries=2,
            short=1,
            accept_half=True,
        ),
        planned(
            "AUS",
            "AUD",
            "replacement_in_kind",
            "2025-06-10",
            (("replace", 2, 2), ("pay", 60, 2)),
        ),
        planned("JPN", "JPY", "equal_value_exchange", "2025-07-01", (("exchange", 4, 1),)),
        planned("AUS", "JPY", "replacement_in_kind", "2026-03-20", (("replace", 1, 4),)),
    ),
    sweeps=(100, 380),
    spill=False,
)
#: The same first three, then what goes on after the year's end: half of an in-kind order of
#: March returned in March, the rest converted by the sweep in April; a cash order of March
#: received, invoiced and paid in part in April. None of April's records is in the report.
SPILLED = BookPlan(
    orders=(
        *EVERYTHING.orders[:3],
        planned("AUS", "JPY", "replacement_in_kind", "2026-03-20", (("replace", 1, 2),)),
        planned("JPN", "AUD", "cash", "2026-03-30", (("invoice", 0, 4), ("pay", 3, 2))),
    ),
    sweeps=(100, 380),
    spill=True,
)


def test_random_books_report_what_the_ledger_says(engine: Engine) -> None:
    """Random books of Japan and Australia, every order dated in Japan's fiscal year 2025:
    the report of each nation over that year agrees with its books, and the two reports are
    each other's mirror image. Two written-out books always run first."""
    short_deadlines(engine)
    examples = 6 if engine.dialect.name == "sqlite" else 3
    kinds: set[str] = set()
    runs: list[bool] = []

    # A failing book is reported as drawn: shrinking it through the database takes minutes.
    @settings(max_examples=examples, deadline=None, phases=NO_SHRINK)
    @given(plan=BOOKS)
    @example(plan=EVERYTHING)
    @example(plan=SPILLED)
    def check(plan: BookPlan) -> None:
        wipe(engine)
        clerk = Clerk(engine, plan)
        clerk.run()
        current = clerk.last_day <= YEAR.end
        jpn = agree(engine, "JPN", YEAR, with_dashboard=current, kinds=kinds)
        aus = agree(engine, "AUS", YEAR, with_dashboard=current)
        assert set(jpn) == {("AUS", c) for c in currencies(plan)}
        assert set(aus) == {("JPN", c) for c in currencies(plan)}
        if plan == EVERYTHING:
            # By hand. Provided JPY: order 1 received 3,060 then 4,080, the first invoice paid,
            # the second not; order 3 received 8,920, 2,230 exchanged, 6,690 converted and
            # unpaid. Received JPY: order 4's fuel (1,520) returned of 8,920. Received AUD:
            # order 2 received 83.50, 17.25 returned, 66.25 converted, 33.12 of it paid.
            assert jpn == {
                ("AUS", "JPY"): Split(D(3060 + 2230), D(4080 + 6690), D(1520), D(7400)),
                ("AUS", "AUD"): Split(ZERO, ZERO, D("17.25") + D("33.12"), D("33.13")),
            }
        if plan == SPILLED:
            # Order 4's fuel half returned (760) by the year's end; order 5 received after it.
            assert jpn[("AUS", "JPY")] == Split(D(5290), D(10770), D(760), D(8160))
            assert jpn[("AUS", "AUD")] == Split(ZERO, ZERO, D("50.37"), D("33.13"))
        for (_partner, currency), split in jpn.items():
            mirror = aus[("JPN", currency)]
            assert astuple(split) == (
                mirror.received_settled,
                mirror.received_open,
                mirror.provided_settled,
                mirror.provided_open,
            )
        runs.append(current)

    check()
    assert kinds >= {"receipt", "payment", "replacement", "exchange", "conversion"}
    assert True in runs  # nothing dated after the year: the dashboard compared too
    assert False in runs  # records after the year's end, left out of both sides


def currencies(plan: BookPlan) -> set[str]:
    return {str(p.doc["lines"][0]["currency"]) for p in plan.orders}
