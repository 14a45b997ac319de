"""Properties of the books under random sequences of orders and settlements (SQLite file and
PostgreSQL): cash and in-kind orders in JPY and AUD, partial deliveries and receipts, invoices,
partial payments and overpayments, replacements, exchanges, sweeps and closings, and the
corrections (invoices voided and invoiced again, payments reversed, credit notes, each also
tried where it must be refused) and disputes of receipts, invoices and payments by either side,
answered by the other (accepted as billed, credited, re-delivered, written off) or withdrawn,
each also where it must be refused, on days that move forward at random. After every step:

- every book balances per currency (its postings sum to zero);
- nothing owed is below zero, per position and per order;
- each supplier's receivable from a partner equals the partner's payable to it, cash and in kind;
- the running balances equal a recompute from postings, and so do the period balances (each
  month of each account: its sum, debits and credits);
- aging adds up to the positions, and a statement from the start closes at the net position;
- money is conserved per order: what the supplier's book holds for it equals what its records
  say (support provided = received less credit notes, cash = paid, receivables = owed in cash
  and in kind), and the requester's book mirrors it;
- an order's account shows as disputed exactly what its open disputes hold, and a dispute
  answered by a credit note or a write-off credited exactly its agreed amount;
- a refused action changes no row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, delete

from acsa.adapters.db.ledger_queries import LedgerQueries
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    AnswerDispute,
    CloseOrder,
    DeliverOrder,
    ExchangeEqualValue,
    IssueCreditNote,
    IssueInvoice,
    OpenDispute,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    ReturnInKind,
    ReversePayment,
    SubmitOrder,
    VoidInvoice,
)
from acsa.domain.errors import AcsaError
from acsa.domain.ledger import Account
from acsa.domain.order import Action
from acsa.services import disputes, ledger, orders, settlement
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.ledger_data import COMPLETE_FORM, WRITTEN, at

ACTOR = "Cdr M. Tanaka"
QUANTITIES = st.sampled_from(["0.5", "1", "2", "2.5", "3", "7", "10", "12.25"])
PRICES = {
    "JPY": st.integers(1, 3000).map(str),
    "AUD": st.integers(1, 50000).map(lambda cents: str(Decimal(cents) / 100)),
}
GOODS = st.sampled_from(["fuel", "food", "water", "spare_parts"])
#: Outside the US texts an equal value exchange settles services, not supplies.
SERVICES = st.sampled_from(["billeting", "transportation", "storage", "repair_maintenance"])


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in WRITTEN:
            conn.execute(delete(table))


@st.composite
def order_documents(draw: st.DrawFn, day: date) -> dict[str, Any]:
    currency = draw(st.sampled_from(["JPY", "AUD"]))
    supplier, requester = draw(st.sampled_from([("JPN", "AUS"), ("AUS", "JPN")]))
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
    return {
        "agreement": "JPN-AUS",
        "supplier": supplier,
        "requester": requester,
        "activity": "exercise",
        "settlement": method,
        "order_date": day.isoformat(),
        "needed_by": day.isoformat(),
        "location": "Darwin",
        "lines": lines,
        **COMPLETE_FORM,
        # The 2017 text settles supplies in currency only where their return is difficult.
        **({"cash_reason": "the goods are consumed in the exercise"} if method == "cash" else {}),
    }


def some_of(draw: Any, left: Decimal, unit: Decimal = Decimal("0.5")) -> Decimal:
    """Up to ``left`` in steps of ``unit``; one time in four just over it, to be refused."""
    if draw(st.integers(0, 3)) == 0:
        return left + unit * draw(st.integers(1, 2))
    return unit * draw(st.integers(0, int(left / unit)))


class Books(RuleBasedStateMachine):
    """Random actions on one database; every refusal is checked to have written nothing."""

    orders = Bundle("orders")

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.uow = UnitOfWork(engine)
        self.day = date(2026, 1, 5)
        self.refused = 0
        #: What each dispute answered by a credit note or write-off agreed: (order, number).
        self.agreed: dict[tuple[int, str], Decimal] = {}
        wipe(engine)

    def act(self, action: Any, name: str = "") -> Any:
        """Run ``action``; if refused, nothing may have changed. None when refused."""
        before = content(self.engine)
        try:
            done = action()
        except AcsaError as error:
            self.refused += 1
            assert content(self.engine) == before, "a refused action changed rows"
            if name:
                event(f"{name} refused: {error.violations[0].code.value}")
            return None
        if name:
            event(f"{name} done")
        return done

    # --- rules ----------------------------------------------------------------------------

    @rule(days=st.integers(0, 400))
    def advance(self, days: int) -> None:
        self.day += timedelta(days=days)

    @initialize(target=orders, data=st.data())
    def first_order(self, data: st.DataObject) -> Any:
        return self.place(data)

    @rule(target=orders, data=st.data())
    def place(self, data: st.DataObject, cash: bool = False) -> Any:
        doc = data.draw(order_documents(self.day))
        if cash:
            doc = {**doc, "settlement": "cash", "cash_reason": "consumed in the exercise"}
        order, _ = handle(self.uow, PlaceOrder.from_wire(doc), "Lt K. Sato", at(self.day, 8))
        handle(self.uow, SubmitOrder(order_id=order.id), "Capt. J. Smith", at(self.day, 9))
        less = data.draw(st.booleans())
        quantities = {1: Decimal(doc["lines"][0]["quantity"]) / 2} if less else None
        handle(
            self.uow, AcceptOrder(order_id=order.id, quantities=quantities), ACTOR, at(self.day, 10)
        )
        if data.draw(st.integers(0, 3)):  # most support is delivered and received at once
            self.deliver(order.id, data)
            self.receive(order.id, data)
        return order.id

    def deliver(self, order_id: int, data: st.DataObject) -> None:
        order = orders.get_order(self.uow, order_id)
        quantities = None
        if data.draw(st.booleans()):
            quantities = {ln.number: some_of(data.draw, ln.to_deliver) for ln in order.lines}
            quantities = {n: q for n, q in quantities.items() if q > 0} or None
        self.act(
            lambda: handle(
                self.uow,
                DeliverOrder(order_id=order_id, quantities=quantities),
                ACTOR,
                at(self.day),
            )
        )

    def receive(self, order_id: int, data: st.DataObject) -> None:
        order = orders.get_order(self.uow, order_id)
        quantities = None
        if data.draw(st.booleans()):
            quantities = {ln.number: some_of(data.draw, ln.to_receive) for ln in order.lines}
        self.act(
            lambda: handle(
                self.uow,
                ReceiveOrder(order_id=order_id, quantities=quantities),
                ACTOR,
                at(self.day),
            )
        )

    def invoice(self, order_id: int, data: st.DataObject) -> None:
        self.act(
            lambda: handle(
                self.uow, IssueInvoice(order_id=order_id, issued=self.day), ACTOR, at(self.day)
            )
        )

    def pay(self, order_id: int, data: st.DataObject) -> None:
        found = settlement.list_invoices(self.uow, order_id=order_id)
        if not found:
            return
        invoice = data.draw(st.sampled_from(found))
        step = Decimal(1) if invoice.currency == "JPY" else Decimal("0.01")
        amount = some_of(data.draw, invoice.unpaid, step)
        # Made inside act: an amount of 0 is refused when the command is made.
        self.act(
            lambda: handle(
                self.uow,
                RecordPayment(invoice=invoice.number, amount=amount, paid=self.day),
                ACTOR,
                at(self.day),
            )
        )

    def replace(self, order_id: int, data: st.DataObject) -> None:
        order = orders.get_order(self.uow, order_id)
        line = data.draw(st.sampled_from(order.lines))
        quantity = some_of(data.draw, line.quantity_received)
        doc = {
            "lines": [{"line": line.number, "category": line.category, "quantity": str(quantity)}],
            "date": self.day.isoformat(),
        }
        self.act(
            lambda: handle(
                self.uow, ReturnInKind.from_wire(doc, order_id=order_id), ACTOR, at(self.day)
            )
        )

    def exchange(self, order_id: int, data: st.DataObject) -> None:
        account = settlement.order_account(self.uow, order_id)
        step = Decimal(1) if account.currency == "JPY" else Decimal("0.01")
        value = str(some_of(data.draw, account.awaiting_replacement, step))
        doc = {
            "lines": [{"category": "food", "description": "rations", "value": value}],
            "agreed_by": "both liaison officers",
            "date": self.day.isoformat(),
        }
        self.act(
            lambda: handle(
                self.uow, ExchangeEqualValue.from_wire(doc, order_id=order_id), ACTOR, at(self.day)
            )
        )

    def close(self, order_id: int, data: st.DataObject) -> None:
        self.act(lambda: handle(self.uow, CloseOrder(order_id=order_id), ACTOR, at(self.day)))

    def void(self, order_id: int, data: st.DataObject) -> None:
        """Void one of the order's invoices (refused while a payment stands, or once void)."""
        found = settlement.list_invoices(self.uow, order_id=order_id)
        if not found:
            return
        invoice = data.draw(st.sampled_from(found))
        command = VoidInvoice(invoice=invoice.number, reason="issued by mistake", day=self.day)
        self.act(lambda: handle(self.uow, command, ACTOR, at(self.day)), "void")

    def reverse(self, order_id: int, data: st.DataObject) -> None:
        """Reverse one of the order's payments (refused once reversed)."""
        paid = [
            p for i in settlement.list_invoices(self.uow, order_id=order_id) for p in i.payments
        ]
        if not paid:
            return
        payment = data.draw(st.sampled_from(paid))
        command = ReversePayment(payment=payment.id, reason="returned", day=self.day)
        self.act(lambda: handle(self.uow, command, ACTOR, at(self.day)), "reversal")

    def credit(self, order_id: int, data: st.DataObject) -> None:
        """A credit note of some of what an invoice has unpaid (sometimes more: refused)."""
        found = settlement.list_invoices(self.uow, order_id=order_id)
        if not found:
            return
        invoice = data.draw(st.sampled_from(found))
        step = Decimal(1) if invoice.currency == "JPY" else Decimal("0.01")
        amount = some_of(data.draw, invoice.unpaid, step)
        self.act(
            lambda: handle(
                self.uow,
                IssueCreditNote(
                    invoice=invoice.number, amount=amount, reason="agreed", day=self.day
                ),
                ACTOR,
                at(self.day),
            ),
            "credit note",
        )

    def _steps(self, order_id: int) -> list[tuple[str, str, Decimal]]:
        """The order's steps a dispute may name: (step, ground, what it is worth)."""
        order = orders.get_order(self.uow, order_id)
        found: list[tuple[str, str, Decimal]] = []
        lines = {ln.number: ln for ln in order.lines}
        for e in order.history:
            if e.action is Action.RECEIVE:
                worth = sum(
                    (
                        Decimal(got["received"]) * lines[int(n)].unit_price
                        for n, got in dict(e.details.get("lines", {})).items()
                    ),
                    Decimal(0),
                )
                found.append((f"receipt:{e.seq}", "quantity", worth))
        bills = settlement.list_invoices(self.uow, order_id=order_id)
        found.extend((f"invoice:{i.number}", "amount", i.billed) for i in bills if not i.voided)
        paid = sorted((p for i in bills for p in i.payments), key=lambda p: (p.at, p.id))
        found.extend((f"payment:{n}", "payment", p.amount) for n, p in enumerate(paid, 1))
        return found

    def dispute(self, order_id: int, data: st.DataObject) -> None:
        """Either side disputes a receipt, an invoice or a payment, for some of what it is
        worth (sometimes more: refused)."""
        steps = self._steps(order_id)
        if not steps:
            return
        step, ground, worth = data.draw(st.sampled_from(steps))
        order = orders.get_order(self.uow, order_id)
        unit = Decimal(1) if order.currency == "JPY" else Decimal("0.01")
        amount = some_of(data.draw, worth, unit)
        side = data.draw(st.sampled_from(["requester", "supplier"]))
        self.act(
            lambda: handle(
                self.uow,
                OpenDispute(
                    order_id=order_id,
                    step=step,
                    ground=ground,
                    reason="disputed",
                    amount=amount,
                    day=self.day,
                    side=side,
                ),
                ACTOR,
                at(self.day),
            ),
            "dispute",
        )

    def answer(self, order_id: int, data: st.DataObject) -> None:
        """Answer one of the order's disputes, by either side (the opener may only withdraw,
        the other side answers; a closed one is refused), with some of what it disputes."""
        shown = disputes.disputes_of(self.uow, order_id)
        if not shown:
            return
        dispute = data.draw(st.sampled_from(shown))
        resolution = data.draw(
            st.sampled_from(["accept", "credit_note", "redelivery", "write_off", "withdraw"])
        )
        agreed = None
        if resolution in ("credit_note", "write_off"):
            unit = Decimal(1) if dispute.currency == "JPY" else Decimal("0.01")
            agreed = some_of(data.draw, dispute.amount, unit) or unit
        side = data.draw(st.sampled_from(["requester", "supplier"]))
        command = AnswerDispute(
            order_id=order_id,
            dispute=dispute.number,
            resolution=resolution,
            agreed=agreed,
            note="agreed",
            day=self.day,
            side=side,
        )
        done = self.act(lambda: handle(self.uow, command, ACTOR, at(self.day)), "answer")
        if done is not None and agreed is not None:
            self.agreed[(order_id, done.number)] = agreed

    ACTIONS = (
        "dispute",
        "answer",
        "deliver",
        "receive",
        "invoice",
        "pay",
        "replace",
        "exchange",
        "close",
        "void",
        "reverse",
        "credit",
    )

    def _next(self, order_id: int) -> list[str]:
        """The actions that can move an order on from where it stands."""
        order = orders.get_order(self.uow, order_id)
        a = settlement.order_account(self.uow, order_id)
        bills = settlement.list_invoices(self.uow, order_id=order_id)
        standing = [p for i in bills for p in i.payments if not p.reversed]
        return [
            name
            for name, can in (
                (
                    "deliver",
                    order.allows(Action.DELIVER) and any(ln.to_deliver for ln in order.lines),
                ),
                ("receive", order.allows(Action.RECEIVE)),
                ("invoice", a.uninvoiced > 0),
                ("pay", a.invoiced > a.paid),
                (
                    "replace",
                    a.awaiting_replacement > 0 and order.settlement == "replacement_in_kind",
                ),
                ("exchange", a.awaiting_replacement > 0),
                ("close", order.allows(Action.CLOSE) and a.settled),
                ("void", any(not i.voided and i.paid == 0 for i in bills)),
                ("reverse", bool(standing)),
                ("credit", any(i.unpaid > 0 for i in bills)),
            )
            if can
        ]

    @rule(order_id=orders, data=st.data())
    def progress(self, order_id: int, data: st.DataObject) -> None:
        """Take the order one step further (the step may still be refused: quantities and
        amounts are sometimes too large)."""
        steps = self._next(order_id)
        settling = [s for s in steps if s not in ("deliver", "receive")]
        if settling and data.draw(st.integers(0, 3)):
            steps = settling
        if steps:
            getattr(self, data.draw(st.sampled_from(steps)))(order_id, data)

    @rule(order_id=orders, data=st.data(), action=st.sampled_from(ACTIONS))
    def attempt(self, order_id: int, data: st.DataObject, action: str) -> None:
        """Any action on any order, whether it fits the order's state or not."""
        getattr(self, action)(order_id, data)

    @rule(target=orders, data=st.data())
    def place_cash(self, data: st.DataObject) -> Any:
        """An order settled in cash: most of them get invoices, payments and corrections."""
        return self.place(data, cash=True)

    @rule(order_id=orders, data=st.data())
    def correct(self, order_id: int, data: st.DataObject) -> None:
        """Bill what is uninvoiced, pay some of it now and then, and correct it: a void, a
        reversal or a credit note (each sometimes where it must be refused)."""
        if settlement.order_account(self.uow, order_id).uninvoiced > 0:
            self.invoice(order_id, data)
        if data.draw(st.booleans()):
            self.pay(order_id, data)
        choices = ["void", "reverse", "credit", "dispute", "answer"]
        getattr(self, data.draw(st.sampled_from(choices)))(order_id, data)

    @rule(order_id=orders, data=st.data())
    def contest(self, order_id: int, data: st.DataObject) -> None:
        """Bill what is uninvoiced now and then, dispute a step of the order and answer one
        of its disputes (each sometimes where it must be refused)."""
        if data.draw(st.booleans()) and settlement.order_account(self.uow, order_id).uninvoiced:
            self.invoice(order_id, data)
        self.dispute(order_id, data)
        for _ in range(data.draw(st.integers(1, 2))):
            self.answer(order_id, data)

    @rule()
    def sweep(self) -> None:
        self.act(lambda: settlement.sweep(self.uow, ACTOR, as_of=self.day, now=at(self.day)))

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def the_books_hold(self) -> None:
        result = ledger.verify(self.uow)
        assert result.ok, result
        assert not result.month_differences, result.month_differences
        with self.uow:
            queries = LedgerQueries(self.uow.connection)
            kept = queries.period_balances()
            assert kept == queries.period_balances_from_postings()
        assert result.months == len(kept)
        found = {(p.nation, p.partner, p.currency): p for p in ledger.balances(self.uow)}
        for (nation, partner, currency), p in found.items():
            assert min(p.owed_to_us, p.owed_by_us, p.awaiting_replacement) >= 0, p
            assert min(p.awaiting_replacement_by_us, p.provided, p.received) >= 0, p
            mirror = found[(partner, nation, currency)]
            assert p.owed_to_us == mirror.owed_by_us
            assert p.awaiting_replacement == mirror.awaiting_replacement_by_us
        aged: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for a in ledger.aging(self.uow):
            if a.direction == "owed_to_us":
                aged[(a.nation, a.partner, a.currency)] += a.total
        for key, p in found.items():
            assert aged.pop(key, Decimal(0)) == p.owed_to_us + p.awaiting_replacement
        assert not any(aged.values()), aged

    @invariant()
    def every_order_owes_nothing_negative(self) -> None:
        with self.uow:
            debts = ledger.order_debts(self.uow)
        for d in debts:
            a = d
            figures = (a.uninvoiced, a.owed_in_cash, a.awaiting_replacement, a.unpaid)
            assert min(figures) >= 0, (d, a)

    @invariant()
    def money_is_conserved_per_order(self) -> None:
        """What each order's records say it received, credited, was paid and still owes is
        exactly what the supplier's book holds for it, and the requester's book mirrors it."""
        for order in orders.list_orders(self.uow):
            a = settlement.order_account(self.uow, order.id)
            held: dict[tuple[str, Account], Decimal] = defaultdict(Decimal)
            with self.uow:
                for book in (order.supplier, order.requester):
                    for entry in self.uow.ledger.entries(book, order_id=order.id):
                        for posting in entry.postings:
                            held[(book, posting.account)] += posting.amount.amount
            sup, req = order.supplier, order.requester
            assert -held[(sup, Account.SUPPORT_PROVIDED)] == a.received - a.credited, a
            assert held[(sup, Account.CASH)] == a.paid, a
            assert held[(sup, Account.RECEIVABLE_CASH)] == a.owed_in_cash, a
            assert held[(sup, Account.RECEIVABLE_IN_KIND)] == a.awaiting_replacement, a
            assert a.received == (
                a.settled_in_kind + a.awaiting_replacement + a.credited + a.paid + a.owed_in_cash
            ), a
            assert a.invoiced + a.uninvoiced == a.received - a.credited - a.settled_in_kind - (
                a.awaiting_replacement
            ), a
            for account, mirror in (
                (Account.RECEIVABLE_CASH, Account.PAYABLE_CASH),
                (Account.RECEIVABLE_IN_KIND, Account.PAYABLE_IN_KIND),
                (Account.SUPPORT_PROVIDED, Account.SUPPORT_RECEIVED),
                (Account.CASH, Account.CASH),
            ):
                assert held[(sup, account)] == -held[(req, mirror)], (order.id, account)

    @invariant()
    def disputes_are_shown_apart(self) -> None:
        """Each order's account shows as disputed what its open disputes hold; a dispute
        credited or written off names a credit note of exactly the agreed amount."""
        for order in orders.list_orders(self.uow):
            shown = disputes.disputes_of(self.uow, order.id)
            held = sum((d.amount for d in shown if d.status == "open"), Decimal(0))
            assert settlement.order_account(self.uow, order.id).disputed == held
            notes = {
                c.number: c.amount
                for i in settlement.list_invoices(self.uow, order_id=order.id)
                for c in i.corrections
                if c.kind == "credit"
            }
            for d in shown:
                if d.resolution in ("credit_note", "write_off"):
                    assert d.agreed == self.agreed[(order.id, d.number)]
                    assert notes[d.credit_note] == d.agreed, (d, notes)
                else:
                    assert d.credit_note is None, d

    def statement_pages_match(self, partner: str, start: date, currency: str) -> None:
        """Totals from the period balances equal those of the lines, and a statement read
        page by page (pages of 1 and 3 lines) has exactly the unpaged lines and balances."""
        [whole] = ledger.statement(self.uow, "JPN", partner, start, self.day, currency)
        assert whole.debits == sum((ln.debit for ln in whole.lines), Decimal(0))
        assert whole.credits == sum((ln.credit for ln in whole.lines), Decimal(0))
        for size in (1, 3):
            lines, after = [], None
            while True:
                [page] = ledger.statement(
                    self.uow, "JPN", partner, start, self.day, currency, size, after
                )
                assert (page.opening, page.closing) == (whole.opening, whole.closing)
                assert len(page.lines) <= size
                lines.extend(page.lines)
                if page.next is None:
                    break
                after = page.next
            assert lines == whole.lines

    def teardown(self) -> None:
        """Statements close at the net position, and the views' bulk figures per order equal
        what settlement computes order by order."""
        for p in ledger.balances(self.uow, nation="JPN"):
            [s] = ledger.statement(
                self.uow, "JPN", p.partner, date(2000, 1, 1), date(2100, 1, 1), p.currency
            )
            assert (s.opening, s.closing) == (0, p.net)
            for back in (30, 200, 400):
                start = self.day - timedelta(days=back)
                [m] = ledger.statement(self.uow, "JPN", p.partner, start, self.day, p.currency)
                assert m.opening + sum(ln.debit - ln.credit for ln in m.lines) == m.closing
                assert m.closing == p.net
                self.statement_pages_match(p.partner, start, p.currency)
        with self.uow:
            debts = {d.head.order: d for d in ledger.order_debts(self.uow)}
        for order in orders.list_orders(self.uow):
            a = settlement.order_account(self.uow, order.id)
            if order.id not in debts:
                assert a.received == 0 or a.settled, a
                continue
            mine = debts[order.id]
            assert (mine.received, mine.invoiced, mine.paid) == (a.received, a.invoiced, a.paid)
            assert (mine.settled_in_kind, mine.converted) == (a.settled_in_kind, a.converted)
            assert (mine.credited, len(mine.corrections)) == (a.credited, len(a.corrections))


def test_the_books_hold_under_random_settlement(engine: Engine) -> None:
    examples = 16 if engine.dialect.name == "sqlite" else 8
    run_state_machine_as_test(
        lambda: Books(engine),
        settings=settings(max_examples=examples, stateful_step_count=30, deadline=None),
    )
