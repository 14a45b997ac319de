"""The books against a model of them, under random sequences of service calls (SQLite file and
PostgreSQL).

A hypothesis state machine places orders between Japan and its partners (USA, AUS, GBR, CAN,
FRA, IND, DEU, ITA in force; NLD, NZL, PHL signed but not in force, so their orders are refused
on submit), in JPY, the partner's currency or KWD (three decimals), settled in cash, by
replacement in kind or by equal value exchange. It delivers and receives them in full or in
part, issues invoices, records payments (partial, full, overpaying, in the wrong currency),
replaces and exchanges in kind, sweeps with an advancing as-of date (in-kind debt older than the
replacement deadline becomes cash) and closes, all through ``acsa.services``.

Beside the database it keeps its own model of every order: line quantities, receipts, invoices,
payments and settlements, computed with its own arithmetic. Every call is predicted from the
model first: what the model says must succeed has to succeed (writing exactly the audit records
and ledger entries expected), what it says must be refused has to be refused and change no row.

After every step:

- ``services.ledger.verify`` is ok: each book sums to zero per currency, and the running
  balances equal a recompute from the postings;
- ``services.audit.verify_audit`` is ok: the chain is intact and covers every ledger entry once;
- every running balance equals the model's (book, partner, account, currency), so each
  supplier's receivable equals the requester's payable for the pair and currency, cash and in
  kind separately;
- per order, from the tables: value received = settled in kind + converted + invoiced in cash +
  not yet invoiced or settled; conversions are invoiced in full; paid <= invoiced on every
  invoice; the order's own postings in both books say what it still owes, and all of it equals
  the model.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, delete, func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    CloseOrder,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    ReturnInKind,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError
from acsa.domain.ledger import Account
from acsa.domain.money import minor_units
from acsa.services import ledger, orders, settlement
from acsa.services.audit import baseline_rows, verify_audit
from acsa.services.handlers import handle
from tests.ledger_data import COMPLETE_FORM, at, import_usd_jpy_rates
from tests.ledger_data import WRITTEN as LEDGER_WRITTEN

OFFICER = "Cdr M. Tanaka"
START = date(2026, 1, 5)
ZERO = Decimal(0)

#: Japan's partners whose agreements are in force from START, with their currency.
IN_FORCE = {
    "JPN-USA": ("USA", "USD"),
    "JPN-AUS": ("AUS", "AUD"),
    "JPN-GBR": ("GBR", "GBP"),
    "JPN-CAN": ("CAN", "CAD"),
    "JPN-FRA": ("FRA", "EUR"),
    "JPN-IND": ("IND", "INR"),
    "JPN-DEU": ("DEU", "EUR"),
    "JPN-ITA": ("ITA", "EUR"),
}
#: Signed, not in force: an order under them is saved as a draft and refused on submit.
NOT_IN_FORCE = {"JPN-NLD": ("NLD", "EUR"), "JPN-NZL": ("NZL", "NZD"), "JPN-PHL": ("PHL", "PHP")}
GOODS = ("fuel", "food", "water", "spare_parts", "clothing")
#: Refused on submit of an order settled by replacement in kind.
SERVICES = ("transportation", "billeting")
#: The texts that settle supplies by equal value exchange too (the US one); the others settle
#: supplies in cash or in kind, and by exchange only services (refused on submit otherwise).
EXCHANGE_SUPPLIES = frozenset({"JPN-USA"})
#: The last day of the ECB rates the test stores (the bundled history): accepting an order the
#: USA requests under JPN-USA converts its value to USD for the US ceilings, so the USA
#: requests only while there are rates (and never in KWD, which the ECB does not publish).
LAST_RATES = date(2026, 10, 30)
FUEL_NSN = "9130-01-031-5816"
QUANTITIES = ("0.5", "1", "2", "2.5", "3", "7", "10", "12.25", "400")
METHODS = ("cash", "replacement_in_kind", "equal_value_exchange")
IN_KIND = frozenset(METHODS[1:])
#: Open states that may hold receipts: the ones a sweep looks at.
SWEPT = frozenset({"partially_delivered", "delivered", "partially_received", "received"})
#: Orders per example: beyond this the machine settles what it has.
MAX_ORDERS = 8
#: Tables the machine writes; emptied before each example (the registry stays).
WRITTEN = (t.audit_log, *LEDGER_WRITTEN)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def value_of(quantity: Decimal, price: Decimal, currency: str) -> Decimal:
    """Quantity times price to the currency's minor unit, half to even (as invoices round)."""
    return (quantity * price).quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


# --- the model ---------------------------------------------------------------------------------


@dataclass
class LineModel:
    number: int
    category: str
    nsn: str | None
    quantity: Decimal
    price: Decimal
    accepted: Decimal = ZERO
    delivered: Decimal = ZERO
    received: Decimal = ZERO
    short: Decimal = ZERO
    replaced: Decimal = ZERO

    @property
    def to_deliver(self) -> Decimal:
        return self.accepted - self.delivered

    @property
    def to_receive(self) -> Decimal:
        return self.delivered - self.received - self.short


@dataclass
class InvoiceModel:
    number: str
    kind: str
    amount: Decimal
    issued: date
    paid: Decimal = ZERO

    @property
    def unpaid(self) -> Decimal:
        return self.amount - self.paid


@dataclass
class OrderModel:
    id: int
    agreement: str
    supplier: str
    requester: str
    currency: str
    method: str
    lines: list[LineModel]
    #: The agreement's replacement deadline and payment term (days), on the order date.
    deadline_days: int
    payment_days: int
    status: str = "draft"
    #: (day, value) of each receipt that was worth something, oldest first.
    receipts: list[tuple[date, Decimal]] = field(default_factory=list)
    settled_in_kind: Decimal = ZERO
    converted: Decimal = ZERO
    invoices: list[InvoiceModel] = field(default_factory=list)

    @property
    def in_kind(self) -> bool:
        return self.method in IN_KIND

    @property
    def received(self) -> Decimal:
        return sum((v for _d, v in self.receipts), ZERO)

    @property
    def invoiced(self) -> Decimal:
        return sum((i.amount for i in self.invoices), ZERO)

    def invoiced_as(self, kind: str) -> Decimal:
        return sum((i.amount for i in self.invoices if i.kind == kind), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((i.paid for i in self.invoices), ZERO)

    @property
    def cash_debt(self) -> Decimal:
        return self.converted if self.in_kind else self.received

    @property
    def uninvoiced(self) -> Decimal:
        return self.cash_debt - self.invoiced

    @property
    def owed_in_cash(self) -> Decimal:
        return self.cash_debt - self.paid

    @property
    def awaiting(self) -> Decimal:
        return self.received - self.settled_in_kind - self.converted if self.in_kind else ZERO

    @property
    def settled(self) -> bool:
        return self.received > 0 and self.owes_nothing

    @property
    def owes_nothing(self) -> bool:
        # What close asks: an order that received nothing of value (all short, or worth less
        # than a minor unit) owes nothing, so it may be closed.
        return self.owed_in_cash == 0 and self.awaiting == 0

    def line_value(self, line: LineModel, quantity: Decimal) -> Decimal:
        return value_of(quantity, line.price, self.currency)

    @property
    def value_received(self) -> Decimal:
        return sum((self.line_value(ln, ln.received) for ln in self.lines), ZERO)

    def overdue(self, as_of: date) -> Decimal:
        """In-kind debt past its deadline on ``as_of``, settlements applied oldest first."""
        left = self.settled_in_kind + self.converted
        late = ZERO
        for day, value in sorted(self.receipts, key=lambda r: r[0]):
            applied = min(value, left)
            left -= applied
            if value - applied > 0 and as_of > day + timedelta(days=self.deadline_days):
                late += value - applied
        return late


# --- what the database holds per order --------------------------------------------------------


@dataclass
class Stored:
    """One order's figures as the tables hold them, in the order's currency."""

    settlements: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    invoiced: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    paid: Decimal = ZERO
    postings: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def stored_by_order(engine: Engine, currency_of: dict[int, str]) -> dict[int, Stored]:
    """Settlements, invoices, payments and postings summed per order, straight from SQL."""
    found: dict[int, Stored] = defaultdict(Stored)

    def money(minor: Any, order_id: int) -> Decimal:
        return Decimal(int(minor)).scaleb(-minor_units(currency_of[order_id]))

    s, i, p, e, lp = t.settlements, t.invoices, t.payments, t.ledger_entries, t.ledger_postings
    with engine.connect() as conn:
        for oid, kind, total in conn.execute(
            select(s.c.order_id, s.c.kind, func.sum(s.c.value_minor)).group_by(
                s.c.order_id, s.c.kind
            )
        ):
            found[oid].settlements[kind] += money(total, oid)
        for oid, kind, total in conn.execute(
            select(i.c.order_id, i.c.kind, func.sum(i.c.amount_minor)).group_by(
                i.c.order_id, i.c.kind
            )
        ):
            found[oid].invoiced[kind] += money(total, oid)
        paid = select(i.c.order_id, func.sum(p.c.amount_minor)).join(i, i.c.id == p.c.invoice_id)
        for oid, total in conn.execute(paid.group_by(i.c.order_id)):
            found[oid].paid += money(total, oid)
        overpaid = conn.execute(
            select(i.c.number, i.c.amount_minor, func.sum(p.c.amount_minor))
            .join(p, p.c.invoice_id == i.c.id)
            .group_by(i.c.number, i.c.amount_minor)
            .having(func.sum(p.c.amount_minor) > i.c.amount_minor)
        ).all()
        assert not overpaid, f"invoices paid beyond their amount: {overpaid}"
        wrong_currency = conn.execute(
            select(p.c.id).join(i, i.c.id == p.c.invoice_id).where(p.c.currency != i.c.currency)
        ).all()
        assert not wrong_currency, (
            f"payments in another currency than their invoice: {wrong_currency}"
        )
        postings = (
            select(
                e.c.order_id, lp.c.book, lp.c.account, lp.c.currency, func.sum(lp.c.amount_minor)
            )
            .join(e, e.c.id == lp.c.entry_id)
            .group_by(e.c.order_id, lp.c.book, lp.c.account, lp.c.currency)
        )
        for oid, book, account, currency, total in conn.execute(postings):
            assert oid is not None, "every posting of these tests belongs to an order"
            assert currency == currency_of[oid], (oid, currency)
            found[oid].postings[(book, account)] += money(total, oid)
    return found


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the machine writes (the registry never changes)."""
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(table)))
            for table in WRITTEN
        }


def count_rows(engine: Engine) -> tuple[int, int]:
    """(audit records, ledger entries)."""
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one(),
            conn.execute(select(func.count()).select_from(t.ledger_entries)).scalar_one(),
        )


def wipe(engine: Engine) -> None:
    """Empty the books and the audit log; the registry stays, vouched for by one baseline
    record (as ``acsa init`` does for rows no record covers), so the chain starts clean."""
    with engine.begin() as conn:
        for table in WRITTEN:
            conn.execute(delete(table))
    baseline_rows(UnitOfWork(engine), "test")


# --- strategies --------------------------------------------------------------------------------


def prices(currency: str) -> st.SearchStrategy[Decimal]:
    digits = minor_units(currency)
    top = 5000 if digits == 0 else 500000
    units = [1, 3, 40, 152, 999, 1850, 2500, 12345, 33333, 99999, 250000, 499999]
    return st.sampled_from([u for u in units if u <= top]).map(lambda u: Decimal(u).scaleb(-digits))


@st.composite
def order_documents(draw: st.DrawFn, day: date) -> dict[str, Any]:
    pool = NOT_IN_FORCE if one_in(draw, 10) else IN_FORCE
    agreement = draw(st.sampled_from(sorted(pool)))
    partner, home = pool[agreement]
    currency = draw(st.sampled_from(["JPY", home, "JPY", home, "KWD"]))
    no_usd_value = agreement == "JPN-USA" and (day > LAST_RATES or currency == "KWD")
    # Without a USD value the USA only supplies (Japan requests).
    sides = [(partner, "JPN")] if no_usd_value else [("JPN", partner), (partner, "JPN")]
    supplier, requester = draw(st.sampled_from(sides))
    method = draw(st.sampled_from(METHODS))
    if method == "equal_value_exchange" and agreement not in EXCHANGE_SUPPLIES:
        # Mostly services, which such a text settles by exchange; now and then goods too.
        categories = GOODS + SERVICES if one_in(draw, 8) else SERVICES
    else:
        categories = GOODS + SERVICES if one_in(draw, 8) else GOODS
    lines = []
    for _ in range(draw(st.sampled_from([1, 2, 3]))):
        category = draw(st.sampled_from(categories))
        line = {
            "category": category,
            "description": f"{category} for the exercise",
            "quantity": draw(st.sampled_from(QUANTITIES)),
            "unit": "EA",
            "unit_price": str(draw(prices(currency))),
            "currency": currency,
        }
        if category == "fuel":
            line["nsn"] = FUEL_NSN
        lines.append(line)
    return {
        "agreement": agreement,
        "supplier": supplier,
        "requester": requester,
        "activity": "exercise",
        "settlement": method,
        "order_date": day.isoformat(),
        "needed_by": (day + timedelta(days=7)).isoformat(),
        "location": "Camp Asaka",
        "lines": lines,
        **COMPLETE_FORM,
        # Texts that settle supplies by return take cash only where return is difficult.
        "cash_reason": "the supplies are consumed in the exercise",
    }


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True one time in ``n`` (sampled, not an integer: hypothesis favours small integers)."""
    # False first: the simplest example hypothesis tries takes the common path.
    return bool(draw(st.sampled_from([False] * (n - 1) + [True])))


def part_of(draw: st.DrawFn, whole: Decimal, step: Decimal) -> Decimal:
    """A quarter, half, three quarters or all of ``whole`` (down to ``step``); one time in five
    one step more than all of it (to be refused)."""
    quarters = draw(st.sampled_from([4, 2, 1, 3, 5]))  # all first, the simplest
    if quarters == 5:
        return whole + step
    share = (whole * quarters / 4).quantize(step, rounding=ROUND_DOWN)
    return share if share > 0 else whole


#: The orders each step fits (the others are picked now and then, to be refused).
FITS: dict[str, Any] = {
    "deliver": lambda m: m.status in ("accepted", "partially_delivered", "partially_received"),
    "receive": lambda m: m.status in ("partially_delivered", "delivered"),
    "invoice": lambda m: m.uninvoiced > 0,
    "pay": lambda m: any(i.unpaid > 0 for i in m.invoices),
    "replace": lambda m: m.method == "replacement_in_kind" and m.awaiting > 0,
    "exchange": lambda m: m.awaiting > 0,
    "close": lambda m: m.status == "received" and m.owes_nothing,
}


# --- the machine -------------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """Service calls on one database, each predicted by the model and checked against it."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.uow = UnitOfWork(engine)
        self.day = START
        self.models: dict[int, OrderModel] = {}
        self.invoice_counters: Counter[tuple[str, int]] = Counter()
        self.touched: int | None = None
        self.chosen: OrderModel | None = None
        wipe(engine)

    # --- running a call ------------------------------------------------------------------

    def call(
        self,
        name: str,
        expect_ok: bool,
        action: Any,
        records: int = 1,
        entries: int = 0,
        codes: set[str] | None = None,
    ) -> Any:
        """Run ``action`` as the model predicts: success writing ``records`` audit records and
        ``entries`` ledger entries, or a refusal (with one of ``codes``) changing no row."""
        if not expect_ok:
            before = snapshot(self.engine)
            try:
                action()
            except AcsaError as refused:
                seen = set(refused.codes)
            else:
                raise AssertionError(f"{name}: the model expected a refusal, the service accepted")
            assert snapshot(self.engine) == before, f"{name}: a refusal changed rows"
            assert codes is None or codes & seen, f"{name}: refused with {seen}, not {codes}"
            event(f"{name} refused")
            return None
        audit_before, entries_before = count_rows(self.engine)
        try:
            result = action()
        except AcsaError as refused:
            raise AssertionError(
                f"{name}: the model expected success, refused: {refused}"
            ) from None
        audit_after, entries_after = count_rows(self.engine)
        assert audit_after - audit_before == records, f"{name}: audit records written"
        assert entries_after - entries_before == entries, f"{name}: ledger entries written"
        event(name)
        return result

    def fits(self, step: str) -> bool:
        return any(FITS[step](m) for m in self.models.values())

    def pick(self, data: st.DataObject, step: str) -> OrderModel:
        """The order chosen by ``progress``; else mostly an order the step fits (there is one), and
        one time in five any order at all."""
        if self.chosen is not None:
            model, self.chosen = self.chosen, None
        else:
            fitting = [m for m in self.models.values() if FITS[step](m)]
            if one_in(data.draw, 5):
                fitting = list(self.models.values())
            model = data.draw(st.sampled_from(fitting))
        self.touched = model.id
        return model

    @precondition(lambda self: self.models)
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        """Take some order one step further, settlement rather than delivery if it can."""
        steps = [(m, step) for m in self.models.values() for step, fits in FITS.items() if fits(m)]
        settling = [(m, s) for m, s in steps if s not in ("deliver", "receive")]
        if settling and not one_in(data.draw, 4):
            steps = settling
        if not steps:
            return
        self.chosen, step = data.draw(st.sampled_from(steps))
        getattr(self, step)(data)

    # --- rules ---------------------------------------------------------------------------

    @initialize(data=st.data())
    def first_order(self, data: st.DataObject) -> None:
        self.place(data)

    @precondition(lambda self: len(self.models) < MAX_ORDERS)
    @rule(data=st.data())
    def place(self, data: st.DataObject) -> None:
        """Place, submit and accept (in full, or less on line 1)."""
        doc = data.draw(order_documents(self.day))
        order, warnings = self.call(
            "place",
            True,
            lambda: handle(self.uow, PlaceOrder.from_wire(doc), "Lt K. Sato", at(self.day, 8)),
        )
        terms = self.uow_agreement(doc["agreement"]).version_on(self.day)
        model = OrderModel(
            id=order.id,
            agreement=doc["agreement"],
            supplier=doc["supplier"],
            requester=doc["requester"],
            currency=doc["lines"][0]["currency"],
            method=doc["settlement"],
            lines=[
                LineModel(
                    n,
                    ln["category"],
                    ln.get("nsn"),
                    Decimal(ln["quantity"]),
                    Decimal(ln["unit_price"]),
                )
                for n, ln in enumerate(doc["lines"], start=1)
            ],
            deadline_days=terms.replacement_deadline_days,
            payment_days=terms.payment_term_days,
        )
        self.models[order.id] = model
        self.touched = order.id
        services = any(ln.category in SERVICES for ln in model.lines)
        goods = any(ln.category in GOODS for ln in model.lines)
        refusable = (
            doc["agreement"] in NOT_IN_FORCE
            or (model.method == "replacement_in_kind" and services)
            or (
                model.method == "equal_value_exchange"
                and goods
                and doc["agreement"] not in EXCHANGE_SUPPLIES
            )
        )
        assert bool(warnings) == refusable, warnings
        self.call(
            "submit",
            not refusable,
            lambda: handle(
                self.uow, SubmitOrder(order_id=order.id), "Capt. J. Smith", at(self.day, 9)
            ),
            codes={"AGREEMENT_NOT_IN_FORCE", "SETTLEMENT_METHOD_NOT_ALLOWED"},
        )
        if refusable:
            return
        model.status = "submitted"
        first = model.lines[0]
        less = data.draw(st.sampled_from([None, ZERO, first.quantity / 2]))
        quantities = None if less is None else {1: less}
        nothing = less == 0 and len(model.lines) == 1
        self.call(
            "accept",
            not nothing,
            lambda: handle(
                self.uow,
                AcceptOrder(order_id=order.id, quantities=quantities),
                OFFICER,
                at(self.day, 10),
            ),
            codes={"INVALID_QUANTITY"},
        )
        if nothing:
            return
        model.status = "accepted"
        for line in model.lines:
            line.accepted = line.quantity
        if less is not None:
            first.accepted = less
        if not one_in(data.draw, 4):  # most support is delivered and received at once
            self.deliver_now(model, None)
            self.receive_now(model, None)

    def uow_agreement(self, agreement_id: str) -> Any:
        with self.uow:
            found = self.uow.agreements.get(agreement_id)
        assert found is not None
        return found

    @precondition(lambda self: self.fits("deliver"))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Everything left, or some of some lines; now and then more than is left."""
        m = self.pick(data, "deliver")
        given: dict[int, Decimal] | None = None
        if data.draw(st.booleans()):
            given = {}
            for ln in m.lines:
                if data.draw(st.booleans()):
                    given[ln.number] = part_of(data.draw, ln.to_deliver, Decimal("0.25"))
            given = {n: q for n, q in given.items() if q > 0} or None
        self.deliver_now(m, given)

    def deliver_now(self, m: OrderModel, given: dict[int, Decimal] | None) -> None:
        wanted = {ln.number: ln.to_deliver for ln in m.lines} if given is None else given
        ok = (
            m.status in ("accepted", "partially_delivered", "partially_received")
            and all(q <= m.lines[n - 1].to_deliver for n, q in wanted.items())
            and any(q > 0 for q in wanted.values())
        )
        self.call(
            "deliver",
            ok,
            lambda: handle(
                self.uow,
                DeliverOrder(order_id=m.id, quantities=given),
                "Sgt A. Ito",
                at(self.day, 11),
            ),
            codes={"INVALID_TRANSITION", "QUANTITY_EXCEEDS_ACCEPTED", "NOTHING_TO_DELIVER"},
        )
        if not ok:
            return
        for n, q in wanted.items():
            m.lines[n - 1].delivered += q
        done = all(ln.to_deliver == 0 for ln in m.lines)
        m.status = "delivered" if done else "partially_delivered"

    @precondition(lambda self: self.fits("receive"))
    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        """Everything delivered, or less of some lines (the rest recorded short)."""
        m = self.pick(data, "receive")
        given: dict[int, Decimal] | None = None
        if data.draw(st.booleans()):
            given = {
                ln.number: part_of(data.draw, ln.to_receive, Decimal("0.25"))
                if ln.to_receive > 0
                else ZERO
                for ln in m.lines
                if data.draw(st.booleans())
            }
        self.receive_now(m, given)

    def receive_now(self, m: OrderModel, given: dict[int, Decimal] | None) -> None:
        outstanding = {ln.number: ln.to_receive for ln in m.lines}
        ok = (
            m.status in ("partially_delivered", "delivered")
            and any(q > 0 for q in outstanding.values())
            and all(0 <= q <= outstanding[n] for n, q in (given or {}).items())
        )
        value_before = m.value_received
        if ok:
            after = {
                ln.number: ln.received + (given or {}).get(ln.number, outstanding[ln.number])
                for ln in m.lines
            }
            gained = sum((m.line_value(ln, after[ln.number]) for ln in m.lines), ZERO)
            value = gained - value_before
        else:
            value = ZERO
        self.call(
            "receive",
            ok,
            lambda: handle(
                self.uow,
                ReceiveOrder(order_id=m.id, quantities=given, note=""),
                "Sgt R. Brown",
                at(self.day),
            ),
            entries=2 if value > 0 else 0,
            codes={"INVALID_TRANSITION", "NOTHING_TO_RECEIVE", "QUANTITY_EXCEEDS_DELIVERED"},
        )
        if not ok:
            return
        for ln in m.lines:
            due = outstanding[ln.number]
            if due == 0:
                continue
            got = (given or {}).get(ln.number, due)
            ln.received += got
            ln.short += due - got
        assert m.value_received - value_before == value
        if value > 0:
            m.receipts.append((self.day, value))
        complete = all(ln.to_deliver == 0 and ln.to_receive == 0 for ln in m.lines)
        m.status = "received" if complete else "partially_received"

    @precondition(lambda self: self.fits("invoice"))
    @rule(data=st.data())
    def invoice(self, data: st.DataObject) -> None:
        m = self.pick(data, "invoice")
        ok = m.uninvoiced > 0
        result = self.call(
            "invoice",
            ok,
            lambda: handle(
                self.uow, IssueInvoice(order_id=m.id, issued=self.day), OFFICER, at(self.day, 13)
            ),
            codes={"NOTHING_TO_INVOICE"},
        )
        if ok:
            self.expect_invoice(m, result, "cash", m.uninvoiced, self.day)

    def expect_invoice(
        self, m: OrderModel, found: Any, kind: str, amount: Decimal, day: date
    ) -> None:
        self.invoice_counters[(m.supplier, day.year)] += 1
        number = f"{m.supplier}-{day.year}-{self.invoice_counters[(m.supplier, day.year)]:06d}"
        invoice_no = found if isinstance(found, str) else found.number
        assert invoice_no == number
        if not isinstance(found, str):
            assert (found.amount, found.currency, found.kind) == (amount, m.currency, kind)
            assert (found.issuer, found.debtor) == (m.supplier, m.requester)
            assert (found.issued, found.due) == (day, day + timedelta(days=m.payment_days))
        m.invoices.append(InvoiceModel(number, kind, amount, day))

    @precondition(lambda self: self.fits("pay"))
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        """Part or all of what is unpaid; or more than that (OVERPAYMENT), or in another
        currency (CURRENCY_MISMATCH): both refused, changing nothing."""
        m = self.pick(data, "pay")
        if not m.invoices:
            return
        inv = data.draw(st.sampled_from(m.invoices))
        step = quantum(m.currency)
        how = data.draw(st.sampled_from(["part", "all", "all", "over", "currency"]))
        amount = {
            "part": (inv.unpaid / 3).quantize(step, rounding=ROUND_DOWN),
            "all": inv.unpaid,
            "over": inv.unpaid + step * data.draw(st.sampled_from([1, 100])),
            "currency": inv.unpaid,
        }[how]
        currency = "CHF" if how == "currency" else None
        ok = how in ("part", "all") and 0 < amount <= inv.unpaid
        # A KWD amount (three decimals) in CHF (two) is refused as an amount first.
        codes = {"over": {"OVERPAYMENT"}, "currency": {"CURRENCY_MISMATCH", "INVALID_AMOUNT"}}.get(
            how, {"INVALID_AMOUNT", "OVERPAYMENT"}
        )
        self.call(
            "pay" if how != "over" else "overpay",
            ok,
            lambda: handle(
                self.uow,
                RecordPayment(
                    invoice=inv.number,
                    amount=amount,
                    paid=self.day,
                    reference="wire",
                    currency=currency,
                ),
                OFFICER,
                at(self.day, 14),
            ),
            entries=2,
            codes=codes,
        )
        if ok:
            inv.paid += amount

    @precondition(lambda self: self.fits("replace"))
    @rule(data=st.data())
    def replace(self, data: st.DataObject) -> None:
        """Goods of the same kind (and NSN) returned against one received line."""
        m = self.pick(data, "replace")
        line = data.draw(st.sampled_from(m.lines))
        quantity = part_of(data.draw, line.received - line.replaced, Decimal("0.25"))
        value = m.line_value(line, line.replaced + quantity) - m.line_value(line, line.replaced)
        ok = (
            m.method == "replacement_in_kind"
            and m.value_received > 0
            and 0 < quantity <= line.received - line.replaced
            and 0 < value <= m.awaiting
        )
        returned = {"line": line.number, "category": line.category, "quantity": str(quantity)}
        if line.nsn:
            returned["nsn"] = line.nsn
        doc = {"lines": [returned], "date": self.day.isoformat(), "note": "same kind"}
        result = self.call(
            "replace",
            ok,
            lambda: handle(
                self.uow, ReturnInKind.from_wire(doc, order_id=m.id), OFFICER, at(self.day, 15)
            ),
            entries=2,
        )
        if ok:
            assert (result.value, result.kind) == (value, "replacement")
            line.replaced += quantity
            m.settled_in_kind += value

    @precondition(lambda self: self.fits("exchange"))
    @rule(data=st.data())
    def exchange(self, data: st.DataObject) -> None:
        """Other goods or services valued in the order's currency, up to what is owed in kind."""
        m = self.pick(data, "exchange")
        value = part_of(data.draw, m.awaiting, quantum(m.currency))
        halves = data.draw(st.booleans()) and value >= 2 * quantum(m.currency)
        first = (value / 2).quantize(quantum(m.currency), rounding=ROUND_DOWN) if halves else value
        lines = [{"category": "food", "description": "rations", "value": str(first)}]
        if halves:
            lines.append(
                {"category": "billeting", "description": "rooms", "value": str(value - first)}
            )
        doc = {
            "lines": lines,
            "agreed_by": "both liaison officers",
            "valuation_note": "at the price list of the day",
            "date": self.day.isoformat(),
        }
        ok = m.in_kind and m.value_received > 0 and 0 < value <= m.awaiting
        result = self.call(
            "exchange",
            ok,
            lambda: handle(
                self.uow,
                ExchangeEqualValue.from_wire(doc, order_id=m.id),
                OFFICER,
                at(self.day, 16),
            ),
            entries=2,
        )
        if ok:
            assert (result.value, result.kind) == (value, "exchange")
            m.settled_in_kind += value

    @rule(days=st.sampled_from([0, 1, 10, 45, 200, 370]), sweep=st.booleans())
    def advance(self, days: int, sweep: bool) -> None:
        """Time passes; then, one time in two, a sweep as of the new day."""
        self.day += timedelta(days=days)
        if sweep:
            self.sweep()

    def sweep(self) -> None:
        """In-kind debt past its deadline becomes cash, invoiced on the as-of day."""
        due = {
            m.id: m.overdue(self.day)
            for m in self.models.values()
            if m.in_kind and m.status in SWEPT and m.awaiting > 0
        }
        due = {k: v for k, v in due.items() if v > 0}
        result = self.call(
            "sweep",
            True,
            lambda: settlement.sweep(self.uow, OFFICER, as_of=self.day, now=at(self.day, 17)),
            records=len(due),
            entries=2 * len(due),
        )
        assert {c.order: c.amount for c in result.converted} == due
        for c in sorted(result.converted, key=lambda c: c.invoice):
            m = self.models[c.order]
            m.converted += c.amount
            self.expect_invoice(m, c.invoice, "conversion", c.amount, self.day)
        if due:
            event("in-kind debt converted to cash")

    @precondition(lambda self: self.fits("close"))
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        m = self.pick(data, "close")
        ok = m.status == "received" and m.owes_nothing
        self.call(
            "close",
            ok,
            lambda: handle(self.uow, CloseOrder(order_id=m.id), OFFICER, at(self.day, 18)),
            codes={"NOT_SETTLED", "INVALID_TRANSITION"},
        )
        if ok:
            m.status = "closed"

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def books_balance_and_running_balances_match_postings(self) -> None:
        result = ledger.verify(self.uow)
        assert result.ok, result

    @invariant()
    def audit_chain_is_intact(self) -> None:
        result = verify_audit(self.uow)
        assert result.ok, result.problems

    @invariant()
    def every_balance_is_the_models(self) -> None:
        expected: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
        for m in self.models.values():
            s, r, c = m.supplier, m.requester, m.currency
            for book, partner, account, amount in (
                (s, r, Account.RECEIVABLE_CASH, m.owed_in_cash),
                (s, r, Account.RECEIVABLE_IN_KIND, m.awaiting),
                (s, r, Account.SUPPORT_PROVIDED, -m.received),
                (s, r, Account.SUPPORT_RECEIVED, m.settled_in_kind),
                (s, r, Account.CASH, m.paid),
                (r, s, Account.PAYABLE_CASH, -m.owed_in_cash),
                (r, s, Account.PAYABLE_IN_KIND, -m.awaiting),
                (r, s, Account.SUPPORT_RECEIVED, m.received),
                (r, s, Account.SUPPORT_PROVIDED, -m.settled_in_kind),
                (r, s, Account.CASH, -m.paid),
            ):
                expected[(book, partner, account.value, c)] += amount
        with self.uow:
            running = {
                (b, p, a.value, money.currency): money.amount
                for b, p, a, money in self.uow.ledger.running_balances()
            }
        nonzero = {k: v for k, v in expected.items() if v != 0}
        assert {k: v for k, v in running.items() if v != 0} == nonzero
        positions = {(p.nation, p.partner, p.currency): p for p in ledger.balances(self.uow)}
        for (nation, partner, currency), p in positions.items():
            mirror = positions[(partner, nation, currency)]
            assert p.owed_to_us == mirror.owed_by_us, (p, mirror)
            assert p.owed_by_us == mirror.owed_to_us, (p, mirror)
            assert p.awaiting_replacement == mirror.awaiting_replacement_by_us, (p, mirror)
            assert p.awaiting_replacement_by_us == mirror.awaiting_replacement, (p, mirror)
            assert min(p.owed_to_us, p.owed_by_us, p.awaiting_replacement) >= 0, p
            assert p.awaiting_replacement_by_us >= 0, p

    @invariant()
    def no_money_is_lost_on_any_order(self) -> None:
        found = stored_by_order(self.engine, {m.id: m.currency for m in self.models.values()})
        assert set(found) <= set(self.models), "rows for orders the machine never placed"
        for m in self.models.values():
            got = found.get(m.id, Stored())
            s, r = m.supplier, m.requester
            received = -got.postings[(s, Account.SUPPORT_PROVIDED.value)]
            in_kind = got.settlements["replacement"] + got.settlements["exchange"]
            converted = got.settlements["conversion"]
            invoiced_cash, invoiced_conversion = got.invoiced["cash"], got.invoiced["conversion"]
            owed_cash = got.postings[(s, Account.RECEIVABLE_CASH.value)]
            awaiting = got.postings[(s, Account.RECEIVABLE_IN_KIND.value)]
            # The supplier's figures, then the requester's mirror of them.
            assert received == got.postings[(r, Account.SUPPORT_RECEIVED.value)]
            assert owed_cash == -got.postings[(r, Account.PAYABLE_CASH.value)]
            assert awaiting == -got.postings[(r, Account.PAYABLE_IN_KIND.value)]
            assert got.paid == got.postings[(s, Account.CASH.value)]
            assert got.paid == -got.postings[(r, Account.CASH.value)]
            # Conversions are invoiced in full; cash orders are never converted or settled in
            # kind, and in-kind orders are invoiced only for what was converted.
            assert converted == invoiced_conversion, m.id
            if m.in_kind:
                assert invoiced_cash == 0, m.id
                not_yet_invoiced = ZERO
            else:
                assert (in_kind, converted, awaiting) == (0, 0, 0), m.id
                not_yet_invoiced = received - invoiced_cash
            assert min(not_yet_invoiced, awaiting, owed_cash) >= 0, m.id
            # Value received = settled in kind + converted + invoiced in cash + still owed.
            assert received == in_kind + converted + invoiced_cash + not_yet_invoiced + awaiting
            invoiced = invoiced_cash + invoiced_conversion
            assert 0 <= got.paid <= invoiced
            assert owed_cash == invoiced + not_yet_invoiced - got.paid
            # And all of it is what the model says.
            assert received == m.received == m.value_received, m.id
            assert (in_kind, converted) == (m.settled_in_kind, m.converted), m.id
            assert (invoiced_cash, invoiced_conversion) == (
                m.invoiced_as("cash"),
                m.invoiced_as("conversion"),
            ), m.id
            assert (got.paid, owed_cash, awaiting) == (m.paid, m.owed_in_cash, m.awaiting), m.id

    @invariant()
    def the_order_touched_is_as_modelled(self) -> None:
        if self.touched is None:
            return
        m = self.models[self.touched]
        order = orders.get_order(self.uow, m.id)
        assert order.status.value == m.status
        for line, ml in zip(order.lines, m.lines, strict=True):
            assert (line.quantity_delivered, line.quantity_received, line.quantity_short) == (
                ml.delivered,
                ml.received,
                ml.short,
            )
        a = settlement.order_account(self.uow, m.id)
        assert (a.received, a.invoiced, a.paid) == (m.received, m.invoiced, m.paid)
        assert (a.settled_in_kind, a.converted) == (m.settled_in_kind, m.converted)
        assert (a.uninvoiced, a.owed_in_cash) == (m.uninvoiced, m.owed_in_cash)
        assert (a.awaiting_replacement, a.settled) == (m.awaiting, m.settled)
        self.touched = None

    def teardown(self) -> None:
        """Every order's account, as settlement computes it, is the model's."""
        for m in self.models.values():
            self.touched = m.id
            self.the_order_touched_is_as_modelled()


def test_the_books_follow_the_model_under_random_settlement(engine: Engine) -> None:
    sqlite = engine.dialect.name == "sqlite"
    import_usd_jpy_rates(UnitOfWork(engine))  # kept by every example's wipe
    run_state_machine_as_test(
        lambda: LedgerMachine(engine),
        settings=settings(
            max_examples=12 if sqlite else 6,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            print_blob=True,
        ),
    )
