"""The order account alone (issue 12): any sequence of money steps keeps an order's money
conserved, its figures at or above zero, both nations' books balanced and equal to the
account's figures, and a refused step changes nothing. Pure: no database, no I/O.

The state machine drives a domain ``Order`` (accepted, then delivered and received in random
parts) and its ``OrderAccount`` through invoice, pay, replace, exchange, convert and close with
random, often wrong, input. It keeps its own model of what should have happened (money in,
billed, paid, settled, converted, per line) from the inputs of the steps that succeeded, so the
account's figures are checked against something other than themselves, and it keeps both books
in ``Balances`` from the receipts' entries and every entry the steps return.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as evolve
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from acsa.domain.account import (
    AccountHead,
    Conversion,
    Decision,
    EqualValueExchange,
    ExchangedLine,
    Invoice,
    MoneyAction,
    OrderAccount,
    Payment,
    Replacement,
    Terms,
    Tranche,
)
from acsa.domain.documents import Kind
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.domain.ledger import (
    Account,
    Balances,
    Entry,
    EntryKind,
    Stamp,
    receipt_entries,
    sums_by_currency,
)
from acsa.domain.money import Money, from_minor, minor_units, to_minor
from acsa.domain.order import Action, Order, OrderLine, OrderStatus
from acsa.domain.settlement import ReturnedLine
from acsa.domain.vocabulary import Settlement

ZERO = Decimal(0)
AT = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
ORDER_DAY = date(2026, 10, 1)
SUPPLIER, REQUESTER = "JPN", "AUS"
ORDER_ID = 42
ACTOR = "tester"
CURRENCIES = ("JPY", "USD", "KWD")
#: Categories a line may have, with the NSN it then carries (or none).
GOODS = (
    ("fuel", "9130-01-031-5816"),
    ("food", None),
    ("water", None),
    ("spare_parts", "2840-01-234-5678"),
)
IN_KIND = (Settlement.REPLACEMENT_IN_KIND, Settlement.EQUAL_VALUE_EXCHANGE)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def money(minor: int, currency: str) -> Decimal:
    return from_minor(minor, currency)


def codes(exc: pytest.ExceptionInfo[AcsaError]) -> set[str]:
    return set(exc.value.codes)


def nsn_key(nsn: str | None) -> str:
    return (nsn or "").replace("-", "")


# --- building orders ----------------------------------------------------------------------


def accepted_order(method: str, lines: list[OrderLine]) -> Order:
    order = Order(
        agreement_id="JPN-AUS",
        requester=REQUESTER,
        supplier=SUPPLIER,
        activity="exercise",
        settlement=method,
        order_date=ORDER_DAY,
        needed_by=ORDER_DAY + days(5),
        location="RAAF Base Darwin",
        lines=lines,
        id=ORDER_ID,
    )
    order.submit([], AT, ACTOR)
    order.accept([], AT, ACTOR)
    return order


@st.composite
def orders(draw: st.DrawFn) -> tuple[Order, Terms]:
    """An accepted order: cash or in kind, one to three lines in JPY, USD or KWD."""
    method = draw(st.sampled_from([*Settlement, Settlement.CASH, Settlement.REPLACEMENT_IN_KIND]))
    currency = draw(st.sampled_from(CURRENCIES))
    places = minor_units(currency)
    lines = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        category, nsn = draw(st.sampled_from(GOODS))
        qty_places = draw(st.integers(0, 2))
        quantity = draw(st.decimals(min_value=1, max_value=500, places=qty_places))
        free = draw(st.integers(0, 9)) == 0  # now and then a line given free of charge
        price = money(0 if free else draw(st.integers(1, 50_000 * 10**places)), currency)
        lines.append(
            OrderLine(number, category, f"line {number}", quantity, "EA", price, currency, nsn)
        )
    terms = Terms(
        deadline_days=draw(st.integers(1, 720)), payment_term_days=draw(st.integers(0, 90))
    )
    return accepted_order(method, lines), terms


# --- the model: what should have happened, from the inputs of the steps that succeeded -----


@dataclass
class Model:
    method: str
    receipts: list[Tranche] = field(default_factory=list)
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    paid_per_invoice: dict[str, Decimal] = field(default_factory=dict)
    settled: Decimal = ZERO
    converted: Decimal = ZERO
    replaced: dict[int, Decimal] = field(default_factory=dict)

    @property
    def in_kind(self) -> bool:
        return self.method in IN_KIND

    @property
    def received(self) -> Decimal:
        return sum((t.value for t in self.receipts), ZERO)

    @property
    def first(self) -> date | None:
        return min((t.day for t in self.receipts), default=None)

    @property
    def cash_debt(self) -> Decimal:
        return self.converted if self.in_kind else self.received

    @property
    def owed_in_cash(self) -> Decimal:
        return self.cash_debt - self.paid

    @property
    def awaiting(self) -> Decimal:
        return self.received - self.settled - self.converted if self.in_kind else ZERO

    def last_billed(self) -> date | None:
        """The latest receipt an invoice now would bill: what is left once what was invoiced
        is taken from the oldest first (a cash order; in kind, conversions bill themselves)."""
        left, last = self.invoiced, None
        for tranche in sorted(self.receipts, key=lambda t: t.day):
            taken = min(left, tranche.value)
            left -= taken
            if tranche.value > taken:
                last = tranche.day
        return last

    def open_receipts(self) -> list[tuple[date, Decimal]]:
        """What is left of each receipt once settlements and conversions are taken from the
        oldest first."""
        left = self.settled + self.converted
        out = []
        for tranche in sorted(self.receipts, key=lambda t: t.day):
            taken = min(left, tranche.value)
            left -= taken
            if tranche.value > taken:
                out.append((tranche.day, tranche.value - taken))
        return out if self.in_kind else []

    def overdue(self, as_of: date, deadline_days: int) -> Decimal:
        return sum((v for d, v in self.open_receipts() if as_of > d + days(deadline_days)), ZERO)


def replaced_value(line: OrderLine, before: Decimal, quantity: Decimal) -> Decimal:
    """The value of ``quantity`` more of ``line`` returned, after ``before`` was already."""
    after = Money.of_product(before + quantity, line.unit_price, line.currency)
    return (after - Money.of_product(before, line.unit_price, line.currency)).amount


def a_valid_replacement(account: OrderAccount) -> list[ReturnedLine] | None:
    """Goods that may be returned now: part of one line, worth more than zero and no more than
    is awaiting replacement (found by halving the quantity), or None."""
    awaiting = account.awaiting_replacement
    replaced = account.replaced_per_line()
    fine = Decimal("1e-9")
    for line in account.lines:
        before = replaced.get(line.number, ZERO)
        left = line.quantity_received - before
        if left <= 0 or replaced_value(line, before, left) <= 0:
            continue
        low, high = ZERO, left
        if replaced_value(line, before, high) > awaiting:
            while high - low > fine:
                middle = ((low + high) / 2).quantize(fine, rounding=ROUND_DOWN)
                if middle <= low:
                    break
                if replaced_value(line, before, middle) <= awaiting:
                    low = middle
                else:
                    high = middle
            high = low
        if replaced_value(line, before, high) > 0:
            return [ReturnedLine(line.number, line.category, high, line.nsn)]
    return None


# --- the machine --------------------------------------------------------------------------


class AccountMachine(RuleBasedStateMachine):
    """An order's account driven through random money steps, right and wrong."""

    order: Order
    account: OrderAccount
    model: Model
    book: Balances
    latest: date
    numbers: int

    @initialize(
        setup=orders(), data=st.data(), received=st.sampled_from([True, True, True, True, False])
    )
    def start(self, setup: tuple[Order, Terms], data: st.DataObject, received: bool) -> None:
        """The order, accepted; most often with something delivered and received already."""
        order, terms = setup
        self.order = order
        self.model = Model(order.settlement)
        self.book = Balances()
        self.latest = ORDER_DAY
        self.numbers = 0
        self.account = OrderAccount(
            head=AccountHead.of(order), terms=terms, lines=copy.deepcopy(tuple(order.lines))
        )
        if received:
            self.receive(data, data.draw(st.integers(1, 30)))

    # --- helpers ----------------------------------------------------------------------

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def base(self) -> date:
        """The day relative step dates count from: the first receipt's (or the order's)."""
        return self.model.first or ORDER_DAY + days(1)

    def next_number(self) -> str:
        self.numbers += 1
        return f"{SUPPLIER}-2026-{self.numbers:06d}"

    def attempt(
        self, name: str, step: Callable[[], Decision | None], expected: set[str] | None
    ) -> Decision | None:
        """Run ``step``: refused with exactly the ``expected`` codes (changing nothing), or,
        when ``expected`` is None, done; its entries are posted to the books."""
        before = copy.deepcopy(self.account)
        status = self.order.status
        refusal: AcsaError | None = None
        try:
            decision = step()
        except AcsaError as exc:
            refusal = exc
        if refusal is not None:
            got = refusal.codes
            assert got, "a refusal carries codes"
            assert self.account == before, "a refused step changed the account"
            assert self.order.status is status, "a refused step changed the order"
            assert expected is not None, f"refused with {got}; expected it to be done"
            assert set(got) == expected, f"refused with {got}, not {expected}"
            event(f"{name}: refused {'+'.join(sorted(got))}")
            return None
        assert self.account == before, "a step changed the account it was decided on"
        assert expected is None, f"done; expected a refusal with {expected}"
        event(f"{name}: {'done' if decision is not None else 'nothing to do'}")
        if decision is not None:
            self.post(decision.entries)
            assert decision.account.head.order == ORDER_ID
            self.account = decision.account
        return decision

    def post(self, entries: tuple[Entry, ...]) -> None:
        if entries:
            assert sorted((e.book, e.partner) for e in entries) == sorted(
                [(SUPPLIER, REQUESTER), (REQUESTER, SUPPLIER)]
            ), "one entry in each nation's book, with the other as partner"
        for entry in entries:
            assert all(total == 0 for total in sums_by_currency(entry.postings).values())
            assert {p.amount.currency for p in entry.postings} == {self.currency}
            assert entry.order_id == ORDER_ID
            self.book.post(entry)
        assert self.book.is_balanced()

    def on(self, offset: int) -> date:
        return self.base + days(offset)

    def saw(self, day: date) -> None:
        self.latest = max(self.latest, day)

    # --- the order's side: deliveries and receipts ----------------------------------------

    @precondition(lambda self: self.order.allows(Action.DELIVER))
    @rule(data=st.data(), gap=st.integers(0, 60))
    def receive(self, data: st.DataObject, gap: int) -> None:
        """Deliver part or all of what is accepted, and receive part of it (the rest short)."""
        order = self.order
        before = order.value_received
        delivered: dict[int, Decimal] = {}
        for line in order.lines:
            part = (line.to_deliver / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            choice = data.draw(st.sampled_from([line.to_deliver, line.to_deliver, part, ZERO]))
            if choice > 0:
                delivered[line.number] = choice
        order.deliver(AT, ACTOR, delivered or None)
        got: dict[int, Decimal] = {}
        for line in order.lines:
            due = line.to_receive
            if due > 0:
                half = (due / 3).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
                got[line.number] = data.draw(st.sampled_from([due, due, half, ZERO]))
        order.receive(AT, ACTOR, got)
        value = order.value_received - before
        # A receipt is dated the day it is recorded: after everything done so far.
        day = max(self.latest, self.model.receipts[-1].day if self.model.receipts else ORDER_DAY)
        day += days(gap)
        receipts = self.account.receipts
        if value.amount > 0:
            tranche = Tranche(day, value.amount, f"order {ORDER_ID} receipt")
            receipts = (*receipts, tranche)
            self.model.receipts.append(tranche)
            stamp = Stamp(day, AT, ACTOR, tranche.document, ORDER_ID)
            self.post(receipt_entries(SUPPLIER, REQUESTER, value, self.model.in_kind, stamp))
            self.saw(day)
        self.account = evolve(
            self.account,
            head=evolve(self.account.head, status=order.status),
            receipts=receipts,
            lines=copy.deepcopy(tuple(order.lines)),
        )

    # --- money steps ----------------------------------------------------------------------

    @rule(offset=st.integers(-15, 900))
    def invoice(self, offset: int) -> None:
        day, number, model = self.on(offset), self.next_number(), self.model
        uninvoiced = model.cash_debt - model.invoiced
        expected: set[str] | None = None
        if model.first is not None and day < model.first:
            expected = {Code.INVALID_DATE}
        elif uninvoiced <= 0:
            expected = {Code.NOTHING_TO_INVOICE}
        elif not model.in_kind and day < (model.last_billed() or day):
            expected = {Code.INVALID_DATE}  # it would bill a receipt of a later day
        old = self.account
        decision = self.attempt(
            "invoice", lambda: self.account.invoice(day, number, AT, ACTOR), expected
        )
        if decision is None:
            return
        [invoice] = decision.records
        assert isinstance(invoice, Invoice)
        assert decision.account == evolve(old, invoices=(*old.invoices, invoice))
        assert (invoice.number, invoice.kind, invoice.amount) == (number, "cash", uninvoiced)
        assert invoice.issued == day
        assert invoice.due == day + days(self.account.terms.payment_term_days)
        assert decision.entries == (), "an invoice posts nothing: the receipt did"
        assert decision.document[0] is Kind.INVOICE
        assert self.account.invoices[-1] == invoice
        model.invoiced += uninvoiced
        model.paid_per_invoice[number] = ZERO
        self.saw(day)

    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        account, model = self.account, self.model
        currency = self.currency
        invoices = list(account.invoices)
        target = data.draw(st.sampled_from([*invoices, *invoices, None]) if invoices else st.none())
        number = target.number if target else "JPN-1999-999999"
        unpaid = to_minor(target.unpaid, currency) if target else 100
        how = data.draw(
            st.sampled_from(
                ["whole", "whole", "part", "part", "over", "zero", "negative", "currency"]
            )
        )
        pay_in = currency
        if how == "whole":
            minor = unpaid
        elif how == "part":
            minor = data.draw(st.integers(1, max(1, unpaid)))
        elif how == "over":
            minor = unpaid + data.draw(st.integers(1, 10**6))
        elif how == "zero":
            minor = 0
        elif how == "negative":
            minor = -data.draw(st.integers(1, 10**6))
        else:
            pay_in = data.draw(st.sampled_from([c for c in CURRENCIES if c != currency]))
            minor = data.draw(st.integers(1, 10**6))
        amount = Money(money(minor, pay_in), pay_in)
        issued = target.issued if target else self.base
        day = issued + days(data.draw(st.integers(-10, 400)))
        expected: set[str] | None = None
        if target is None:
            expected = {Code.INVOICE_NOT_FOUND}
        elif day < target.issued:
            expected = {Code.INVALID_DATE}
        elif pay_in != currency:
            expected = {Code.CURRENCY_MISMATCH}
        elif amount.amount <= 0:
            expected = {Code.INVALID_AMOUNT}
        elif amount.amount > target.amount - model.paid_per_invoice[number]:
            expected = {Code.OVERPAYMENT}
        old = self.account
        decision = self.attempt(
            "pay", lambda: self.account.pay(number, amount, day, "ref", AT, ACTOR), expected
        )
        if decision is None:
            return
        [payment] = decision.records
        assert isinstance(payment, Payment)
        assert decision.account == evolve(
            old,
            invoices=tuple(
                evolve(i, payments=(*i.payments, payment)) if i.number == number else i
                for i in old.invoices
            ),
        )
        assert (payment.invoice, payment.amount, payment.paid) == (number, amount.amount, day)
        assert self.account.invoice_named(number).payments[-1] == payment
        assert {e.kind for e in decision.entries} == {EntryKind.PAYMENT}
        assert decision.document[0] is Kind.PAYMENT
        model.paid += amount.amount
        model.paid_per_invoice[number] += amount.amount
        self.saw(day)

    @rule(data=st.data(), offset=st.integers(-15, 900))
    def replace(self, data: st.DataObject, offset: int) -> None:
        account, model = self.account, self.model
        lines = {line.number: line for line in account.lines}
        left = {
            n: line.quantity_received - model.replaced.get(n, ZERO) for n, line in lines.items()
        }
        returned = []
        valid = a_valid_replacement(account) if account.receipts else None
        if valid and data.draw(st.booleans()):
            returned = valid  # goods that can be returned: the step must be done
        for _ in range(0 if returned else data.draw(st.integers(0, 3))):
            number = data.draw(st.sampled_from([*lines, *lines, len(lines) + 1]))
            line = lines.get(number)
            category = line.category if line else "food"
            nsn = line.nsn if line else None
            if line and data.draw(st.integers(0, 9)) == 0:
                category = "ammunition"  # not the same kind of goods
            if line and data.draw(st.integers(0, 9)) == 0:
                nsn = "1005-00-000-0000" if line.nsn is None or data.draw(st.booleans()) else None
            owed = left.get(number, Decimal(1))
            how = data.draw(st.sampled_from(["all", "part", "part", "over", "zero", "unit"]))
            quantity = {
                "all": owed,
                "part": (owed / 2).quantize(Decimal("0.001"), rounding=ROUND_DOWN),
                "over": owed + data.draw(st.sampled_from([Decimal("0.01"), Decimal(1)])),
                "zero": ZERO,
                "unit": Decimal(1),
            }[how]
            if data.draw(st.booleans()):  # the NSN as written with or without dashes
                nsn = nsn.replace("-", "") if nsn else nsn
            returned.append(ReturnedLine(number, category, quantity, nsn))
        day = self.on(offset)
        expected, value = self.expect_replacement(returned, day)
        old = self.account
        decision = self.attempt(
            "replace", lambda: self.account.replace(day, returned, "note", AT, ACTOR), expected
        )
        if decision is None:
            return
        [record] = decision.records
        assert isinstance(record, Replacement)
        assert decision.account == evolve(old, in_kind=(*old.in_kind, record))
        assert record.value == value
        assert record.lines == tuple(returned)
        assert self.account.in_kind[-1] == record
        assert {e.kind for e in decision.entries} == {EntryKind.REPLACEMENT}
        assert decision.document[0] is Kind.REPLACEMENT
        model.settled += value
        for item in returned:
            model.replaced[item.line] = model.replaced.get(item.line, ZERO) + item.quantity
        self.saw(day)

    def expect_replacement(
        self, returned: list[ReturnedLine], day: date
    ) -> tuple[set[str] | None, Decimal]:
        """The codes a replacement is refused with (None: done) and its value when done."""
        model = self.model
        if model.first is not None and day < model.first:
            return {Code.INVALID_DATE}, ZERO
        if model.method != Settlement.REPLACEMENT_IN_KIND:
            return {Code.SETTLEMENT_METHOD_MISMATCH}, ZERO
        if model.received <= 0:
            return {Code.NOTHING_OWED_IN_KIND}, ZERO
        if not returned:
            return {Code.MISSING_FIELD}, ZERO
        lines = {line.number: line for line in self.account.lines}
        found: set[str] = set()
        replaced = dict(model.replaced)
        value = ZERO
        for item in returned:
            line = lines.get(item.line)
            if (
                line is None
                or item.category != line.category
                or (line.nsn and nsn_key(item.nsn) != nsn_key(line.nsn))
                or item.quantity <= 0
            ):
                found.add(Code.REPLACEMENT_MISMATCH)
                continue
            before = replaced.get(line.number, ZERO)
            if item.quantity > line.quantity_received - before:
                found.add(Code.REPLACEMENT_EXCEEDS_OWED)
                continue
            value += replaced_value(line, before, item.quantity)
            replaced[line.number] = before + item.quantity
        if found:
            return found, ZERO
        if value <= 0:
            return {Code.INVALID_AMOUNT}, ZERO
        if value > model.awaiting:
            return {Code.REPLACEMENT_EXCEEDS_OWED}, ZERO
        return None, value

    @rule(data=st.data(), offset=st.integers(-15, 900))
    def exchange(self, data: st.DataObject, offset: int) -> None:
        model, currency = self.model, self.currency
        awaiting = to_minor(model.awaiting, currency)
        values = [
            data.draw(
                st.sampled_from(
                    [
                        awaiting,
                        awaiting // 2,
                        awaiting // 3,
                        awaiting + data.draw(st.integers(1, 10**5)),
                        0,
                        data.draw(st.integers(1, 10**7)),
                    ]
                )
            )
            for _ in range(data.draw(st.integers(0, 3)))
        ]
        given = [
            ExchangedLine("billeting", f"rooms {i}", Decimal(1), "EA", money(v, currency))
            for i, v in enumerate(values)
        ]
        total = money(sum(values), currency)
        day = self.on(offset)
        expected: set[str] | None = None
        if model.first is not None and day < model.first:
            expected = {Code.INVALID_DATE}
        elif model.method == Settlement.CASH:
            expected = {Code.SETTLEMENT_METHOD_MISMATCH}
        elif model.received <= 0:
            expected = {Code.NOTHING_OWED_IN_KIND}
        elif not given:
            expected = {Code.MISSING_FIELD}
        elif any(v <= 0 for v in values):  # each thing given is worth something
            expected = {Code.INVALID_AMOUNT}
        elif total > model.awaiting:
            expected = {Code.EXCHANGE_EXCEEDS_OWED}
        old = self.account
        decision = self.attempt(
            "exchange",
            lambda: self.account.exchange(day, given, "both J4s", "market price", AT, ACTOR),
            expected,
        )
        if decision is None:
            return
        [record] = decision.records
        assert isinstance(record, EqualValueExchange)
        assert decision.account == evolve(old, in_kind=(*old.in_kind, record))
        assert record.value == total
        assert {e.kind for e in decision.entries} == {EntryKind.EXCHANGE}
        assert decision.document[0] is Kind.EXCHANGE
        model.settled += total
        self.saw(day)

    @rule(offset=st.integers(-15, 900))
    def convert(self, offset: int) -> None:
        """The deadline sweep on a day before or after the deadlines."""
        model, terms = self.model, self.account.terms
        as_of = self.on(offset)
        expected_value = model.overdue(as_of, terms.deadline_days)
        open_ = model.open_receipts()
        number = self.next_number()
        old = self.account
        decision = self.attempt(
            "convert", lambda: self.account.convert(as_of, number, AT, ACTOR), None
        )
        if expected_value == 0:
            assert decision is None, f"converted {decision and decision.records} on {as_of}"
            return
        assert decision is not None, f"{expected_value} was past its deadline on {as_of}"
        conversion, invoice = decision.records
        assert isinstance(conversion, Conversion)
        assert isinstance(invoice, Invoice)
        assert decision.account == evolve(
            old, in_kind=(*old.in_kind, conversion), invoices=(*old.invoices, invoice)
        )
        assert conversion.value == expected_value
        assert conversion.day == as_of
        assert conversion.deadline == open_[0][0] + days(terms.deadline_days)
        assert (invoice.number, invoice.kind, invoice.amount) == (
            number,
            "conversion",
            expected_value,
        )
        assert (invoice.issued, invoice.due) == (as_of, as_of + days(terms.payment_term_days))
        assert {e.kind for e in decision.entries} == {EntryKind.CONVERSION}
        assert decision.document[0] is Kind.CONVERSION
        model.converted += expected_value
        model.invoiced += expected_value
        model.paid_per_invoice[number] = ZERO
        self.saw(as_of)

    @rule()
    def close(self) -> None:
        model = self.model
        expected: set[str] | None = None
        if self.order.status is not OrderStatus.RECEIVED:
            expected = {Code.INVALID_TRANSITION}
        elif model.owed_in_cash != 0 or model.awaiting != 0:
            expected = {Code.NOT_SETTLED}
        old = self.account
        decision = self.attempt(
            "close", lambda: self.account.close(self.order, AT, ACTOR), expected
        )
        if decision is None:
            return
        assert decision.records == ()
        closed_head = evolve(old.head, status=OrderStatus.CLOSED)
        assert decision.account == evolve(old, head=closed_head)
        assert decision.entries == ()
        assert decision.document[0] is Kind.CLOSE
        assert self.order.status is OrderStatus.CLOSED
        assert self.account.head.status is OrderStatus.CLOSED

    def teardown(self) -> None:
        if hasattr(self, "account"):
            a = self.account
            event(f"end: {a.head.method}, received {'some' if a.received else 'nothing'}")
            event(f"end: {len(a.invoices)} invoices, {len(a.in_kind)} in kind")

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def figures_follow_the_steps(self) -> None:
        a, m = self.account, self.model
        assert a.received == m.received
        assert a.invoiced == m.invoiced
        assert a.paid == m.paid
        assert a.settled_in_kind == m.settled
        assert a.converted == m.converted
        assert {i.number: i.paid for i in a.invoices} == m.paid_per_invoice
        if m.method == Settlement.REPLACEMENT_IN_KIND:
            assert {n: q for n, q in a.replaced_per_line().items() if q} == {
                n: q for n, q in m.replaced.items() if q
            }

    @invariant()
    def money_is_conserved(self) -> None:
        a = self.account
        if a.head.in_kind:
            assert a.received == a.settled_in_kind + a.converted + a.awaiting_replacement
            assert a.cash_debt == a.converted
        else:
            assert a.in_kind == ()
            assert a.awaiting_replacement == 0
            assert a.cash_debt == a.received
        assert a.cash_debt == a.paid + a.owed_in_cash
        assert a.cash_debt == a.invoiced + a.uninvoiced
        assert a.invoiced == a.paid + a.unpaid
        assert a.owed == a.owed_in_cash + a.awaiting_replacement
        assert sum((t.value for t in a.uninvoiced_tranches()), ZERO) == a.uninvoiced
        assert sum((t.value for t in a.awaiting_tranches()), ZERO) == a.awaiting_replacement

    @invariant()
    def nothing_owed_is_below_zero(self) -> None:
        a = self.account
        for figure in (a.owed_in_cash, a.awaiting_replacement, a.uninvoiced, a.unpaid):
            assert figure >= 0
        assert a.invoiced <= a.cash_debt
        for invoice in a.invoices:
            assert 0 < invoice.paid + invoice.unpaid == invoice.amount
            assert invoice.paid <= invoice.amount
            assert invoice.unpaid >= 0
            assert all(p.amount > 0 for p in invoice.payments)
        assert a.owes_nothing == (a.owed_in_cash == 0 and a.awaiting_replacement == 0)
        assert a.settled == (a.received > 0 and a.owes_nothing)
        assert a.breaches() == []

    @invariant()
    def the_books_say_what_the_account_says(self) -> None:
        a, book, cur = self.account, self.book, self.currency
        assert book.is_balanced()

        def supplier(account: Account) -> Decimal:
            return book.balance(SUPPLIER, REQUESTER, account, cur)

        def requester(account: Account) -> Decimal:
            return book.balance(REQUESTER, SUPPLIER, account, cur)

        assert (
            supplier(Account.RECEIVABLE_CASH) == a.owed_in_cash == -requester(Account.PAYABLE_CASH)
        )
        assert (
            supplier(Account.RECEIVABLE_IN_KIND)
            == a.awaiting_replacement
            == -requester(Account.PAYABLE_IN_KIND)
        )
        assert supplier(Account.CASH) == a.paid == -requester(Account.CASH)
        assert (
            -supplier(Account.SUPPORT_PROVIDED) == a.received == requester(Account.SUPPORT_RECEIVED)
        )
        assert (
            supplier(Account.SUPPORT_RECEIVED)
            == a.settled_in_kind
            == -requester(Account.SUPPORT_PROVIDED)
        )

    @invariant()
    def deadlines_are_where_the_oldest_open_receipt_says(self) -> None:
        a = self.account
        deadline = a.next_deadline()
        if a.awaiting_replacement == 0:
            assert deadline is None
            return
        assert deadline is not None
        assert deadline == a.awaiting_tranches()[0].day + days(a.terms.deadline_days)
        # The deadline day itself is still in time; the day after, the oldest open receipt
        # is past it.
        assert a.overdue_in_kind(deadline) == 0
        assert a.convertible(deadline) is None
        assert a.overdue_in_kind(deadline + days(1)) >= a.awaiting_tranches()[0].value

    @invariant()
    def actions_offer_what_can_be_done(self) -> None:
        """Every action offered succeeds with a valid input; every other one is refused."""
        a = self.account
        offered = a.actions()
        day = max(self.latest, self.base)
        number = "JPN-2099-000001"
        tries: dict[MoneyAction, Callable[[], object]] = {
            MoneyAction.INVOICE: lambda: a.invoice(day, number, AT, ACTOR),
            MoneyAction.EXCHANGE: lambda: a.exchange(
                day,
                [ExchangedLine("billeting", "rooms", Decimal(1), "EA", a.awaiting_replacement)],
                "J4",
                "",
                AT,
                ACTOR,
            ),
            MoneyAction.CLOSE: lambda: a.close(copy.deepcopy(self.order), AT, ACTOR),
        }
        for action, attempt in tries.items():
            if action in offered:
                attempt()
            else:
                with pytest.raises(AcsaError):
                    attempt()
        # Paying: any open invoice may be paid what it has unpaid; none else can take a unit.
        quantum = money(1, self.currency)
        for invoice in a.invoices:
            if MoneyAction.PAY in offered and invoice.unpaid > 0:
                a.pay(invoice.number, Money(invoice.unpaid, self.currency), day, "", AT, ACTOR)
            else:
                with pytest.raises(AcsaError, match="OVERPAYMENT"):
                    a.pay(invoice.number, Money(quantum, self.currency), day, "", AT, ACTOR)
        assert (MoneyAction.PAY in offered) == any(i.unpaid > 0 for i in a.invoices)
        # Replacing: offered, some goods can be returned; not offered, none can.
        returned = (
            a_valid_replacement(a) if a.head.method == Settlement.REPLACEMENT_IN_KIND else None
        )
        if MoneyAction.REPLACE in offered:
            assert returned is not None, "replacement offered, but nothing can be returned"
            a.replace(day, returned, "", AT, ACTOR)
        else:
            assert returned is None
            for line in a.lines:
                with pytest.raises(AcsaError):
                    a.replace(
                        day,
                        [ReturnedLine(line.number, line.category, line.quantity, line.nsn)],
                        "",
                        AT,
                        ACTOR,
                    )


AccountMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderAccount = AccountMachine.TestCase


# --- examples: each refusal, by its code --------------------------------------------------


def account(
    method: str = Settlement.CASH,
    received: tuple[tuple[date, Decimal], ...] = ((date(2026, 10, 10), Decimal(3000)),),
    status: OrderStatus = OrderStatus.RECEIVED,
    deadline_days: int = 90,
    currency: str = "JPY",
) -> OrderAccount:
    """An order of 30 EA of fuel at 100 a unit, the received value in ``received``."""
    total = sum((v for _, v in received), ZERO)
    price = Decimal(100)
    line = OrderLine(
        1,
        "fuel",
        "JP-8",
        Decimal(30),
        "EA",
        price,
        currency,
        "9130-01-031-5816",
        Decimal(30),
        Decimal(30),
        total / price,
    )
    head = AccountHead(ORDER_ID, SUPPLIER, REQUESTER, currency, method, status)
    return OrderAccount(
        head,
        Terms(deadline_days, 30),
        tuple(Tranche(d, v, "receipt") for d, v in received),
        lines=(line,),
    )


def fuel(quantity: str, category: str = "fuel", nsn: str | None = "9130-01-031-5816") -> list:
    return [ReturnedLine(1, category, Decimal(quantity), nsn)]


DAY = date(2026, 10, 20)


def test_nothing_to_invoice_when_nothing_was_received_or_all_is_billed():
    with pytest.raises(AcsaError) as nothing:
        account(received=()).invoice(DAY, "JPN-2026-000001", AT, ACTOR)
    assert codes(nothing) == {Code.NOTHING_TO_INVOICE}
    billed = account().invoice(DAY, "JPN-2026-000001", AT, ACTOR).account
    with pytest.raises(AcsaError) as again:
        billed.invoice(DAY, "JPN-2026-000002", AT, ACTOR)
    assert codes(again) == {Code.NOTHING_TO_INVOICE}


def test_an_in_kind_order_is_invoiced_only_for_what_converted():
    with pytest.raises(AcsaError, match="converted to cash") as refused:
        account(Settlement.REPLACEMENT_IN_KIND).invoice(DAY, "JPN-2026-000001", AT, ACTOR)
    assert codes(refused) == {Code.NOTHING_TO_INVOICE}


def test_overpayment_is_refused_and_a_whole_payment_is_not():
    billed = account().invoice(DAY, "JPN-2026-000001", AT, ACTOR).account
    with pytest.raises(AcsaError, match="overpay it by 1 JPY") as over:
        billed.pay("JPN-2026-000001", Money(Decimal(3001), "JPY"), DAY, "", AT, ACTOR)
    assert codes(over) == {Code.OVERPAYMENT}
    paid = billed.pay("JPN-2026-000001", Money(Decimal(3000), "JPY"), DAY, "", AT, ACTOR)
    assert paid.account.owes_nothing
    assert paid.account.invoice_named("JPN-2026-000001").status(DAY) == "paid"


def test_zero_and_foreign_payments_are_refused():
    billed = account().invoice(DAY, "JPN-2026-000001", AT, ACTOR).account
    with pytest.raises(AcsaError) as zero:
        billed.pay("JPN-2026-000001", Money(ZERO, "JPY"), DAY, "", AT, ACTOR)
    assert codes(zero) == {Code.INVALID_AMOUNT}
    with pytest.raises(AcsaError) as foreign:
        billed.pay("JPN-2026-000001", Money(Decimal(10), "USD"), DAY, "", AT, ACTOR)
    assert codes(foreign) == {Code.CURRENCY_MISMATCH}


def test_invoice_not_found():
    with pytest.raises(NotFoundError) as missing:
        account().pay("JPN-2026-000009", Money(Decimal(1), "JPY"), DAY, "", AT, ACTOR)
    assert codes(missing) == {Code.INVOICE_NOT_FOUND}


def test_replacement_exceeds_owed_per_line_and_in_value():
    rik = account(Settlement.REPLACEMENT_IN_KIND)
    with pytest.raises(AcsaError) as per_line:
        rik.replace(DAY, fuel("30.5"), "", AT, ACTOR)
    assert codes(per_line) == {Code.REPLACEMENT_EXCEEDS_OWED}
    # Part exchanged: the 30 EA received are no longer all owed in kind.
    part = rik.exchange(
        DAY, [ExchangedLine("billeting", "rooms", Decimal(1), "EA", Decimal(1000))], "", "", AT, ""
    ).account
    with pytest.raises(AcsaError) as in_value:
        part.replace(DAY, fuel("30"), "", AT, ACTOR)
    assert codes(in_value) == {Code.REPLACEMENT_EXCEEDS_OWED}
    assert part.replace(DAY, fuel("20"), "", AT, ACTOR).account.owes_nothing


def test_replacement_mismatch_on_kind_nsn_line_or_quantity():
    rik = account(Settlement.REPLACEMENT_IN_KIND)
    for returned in (
        fuel("1", category="food"),
        fuel("1", nsn="9130-01-031-5817"),
        fuel("1", nsn=None),
        fuel("0"),
        [ReturnedLine(2, "fuel", Decimal(1), "9130-01-031-5816")],
    ):
        with pytest.raises(AcsaError) as refused:
            rik.replace(DAY, returned, "", AT, ACTOR)
        assert codes(refused) == {Code.REPLACEMENT_MISMATCH}, returned
    # The NSN may be written without its dashes.
    done = rik.replace(DAY, fuel("1", nsn="9130010315816"), "", AT, ACTOR).account
    assert done.settled_in_kind == 100


def test_exchange_exceeds_owed():
    eve = account(Settlement.EQUAL_VALUE_EXCHANGE)
    too_much = [ExchangedLine("billeting", "rooms", Decimal(1), "EA", Decimal(3001))]
    with pytest.raises(AcsaError) as refused:
        eve.exchange(DAY, too_much, "J4", "", AT, ACTOR)
    assert codes(refused) == {Code.EXCHANGE_EXCEEDS_OWED}


def test_settlement_method_mismatch():
    exchanged = [ExchangedLine("billeting", "rooms", Decimal(1), "EA", Decimal(10))]
    for method, step in (
        (Settlement.CASH, lambda a: a.replace(DAY, fuel("1"), "", AT, ACTOR)),
        (Settlement.EQUAL_VALUE_EXCHANGE, lambda a: a.replace(DAY, fuel("1"), "", AT, ACTOR)),
        (Settlement.CASH, lambda a: a.exchange(DAY, exchanged, "J4", "", AT, ACTOR)),
    ):
        with pytest.raises(AcsaError) as refused:
            step(account(method))
        assert codes(refused) == {Code.SETTLEMENT_METHOD_MISMATCH}


def test_nothing_owed_in_kind_before_anything_is_received():
    waiting = account(Settlement.REPLACEMENT_IN_KIND, received=(), status=OrderStatus.ACCEPTED)
    exchanged = [ExchangedLine("billeting", "rooms", Decimal(1), "EA", Decimal(10))]
    for step in (
        lambda a: a.replace(DAY, fuel("1"), "", AT, ACTOR),
        lambda a: a.exchange(DAY, exchanged, "J4", "", AT, ACTOR),
    ):
        with pytest.raises(AcsaError) as refused:
            step(waiting)
        assert codes(refused) == {Code.NOTHING_OWED_IN_KIND}


def closable(status: OrderStatus = OrderStatus.RECEIVED) -> Order:
    order = accepted_order(Settlement.CASH, [account().lines[0]])
    order.status = status
    return order


def test_not_settled_until_nothing_is_owed():
    owing = account()
    order = closable()
    with pytest.raises(AcsaError, match="still owes 3,000 JPY in cash") as refused:
        owing.close(order, AT, ACTOR)
    assert codes(refused) == {Code.NOT_SETTLED}
    assert order.status is OrderStatus.RECEIVED
    billed = owing.invoice(DAY, "JPN-2026-000001", AT, ACTOR).account
    paid = billed.pay("JPN-2026-000001", Money(Decimal(3000), "JPY"), DAY, "", AT, ACTOR)
    closed = paid.account.close(order, AT, ACTOR)
    assert order.status is OrderStatus.CLOSED
    assert closed.account.head.status is OrderStatus.CLOSED


def test_received_entirely_short_owes_nothing_and_closes():
    short = account(received=())
    assert short.owes_nothing
    assert not short.settled
    short.close(closable(), AT, ACTOR)


def test_invalid_dates_before_what_is_settled():
    a = account(Settlement.REPLACEMENT_IN_KIND)
    early = date(2026, 10, 9)
    exchanged = [ExchangedLine("billeting", "rooms", Decimal(1), "EA", Decimal(10))]
    for step in (
        lambda: account().invoice(early, "JPN-2026-000001", AT, ACTOR),
        lambda: a.replace(early, fuel("1"), "", AT, ACTOR),
        lambda: a.exchange(early, exchanged, "J4", "", AT, ACTOR),
    ):
        with pytest.raises(AcsaError) as refused:
            step()
        assert codes(refused) == {Code.INVALID_DATE}
    billed = account().invoice(DAY, "JPN-2026-000001", AT, ACTOR).account
    with pytest.raises(AcsaError) as refused:
        billed.pay("JPN-2026-000001", Money(Decimal(1), "JPY"), DAY - days(1), "", AT, ACTOR)
    assert codes(refused) == {Code.INVALID_DATE}


def test_conversions_apply_to_the_oldest_receipt_first():
    first, second = date(2025, 1, 10), date(2025, 6, 1)
    a = account(
        Settlement.REPLACEMENT_IN_KIND,
        received=((second, Decimal(500)), (first, Decimal(1000))),  # stored out of order
        deadline_days=365,
    )
    # Nothing is past its deadline on the first receipt's deadline day itself.
    assert a.convert(first + days(365), "JPN-2026-000001", AT, ACTOR) is None
    # The day after, the first receipt converts, and only it.
    one = a.convert(first + days(366), "JPN-2026-000001", AT, ACTOR)
    assert one is not None
    conversion, invoice = one.records
    assert isinstance(conversion, Conversion)
    assert (conversion.value, conversion.deadline) == (Decimal(1000), first + days(365))
    assert invoice.amount == Decimal(1000)
    assert one.account.awaiting_replacement == 500
    assert one.account.next_deadline() == second + days(365)
    # A second sweep on the same day finds nothing more.
    assert one.account.convert(first + days(366), "JPN-2026-000002", AT, ACTOR) is None


def test_settlements_in_kind_cover_the_oldest_receipt_before_a_conversion():
    first, second = date(2025, 1, 10), date(2025, 6, 1)
    a = account(
        Settlement.REPLACEMENT_IN_KIND,
        received=((first, Decimal(1000)), (second, Decimal(500))),
        deadline_days=365,
    )
    # 12 EA (1200) returned: the first receipt is settled, 300 of the second remains.
    part = a.replace(date(2025, 7, 1), fuel("12"), "", AT, ACTOR).account
    assert part.next_deadline() == second + days(365)
    assert part.convert(second + days(365), "JPN-2026-000001", AT, ACTOR) is None
    late = part.convert(second + days(366), "JPN-2026-000001", AT, ACTOR)
    assert late is not None
    assert late.records[0].value == Decimal(300)
    assert late.account.awaiting_replacement == 0
    assert late.account.owed_in_cash == 300
    assert late.account.uninvoiced == 0
    assert late.account.breaches() == []


def test_breaches_name_records_that_break_the_rules():
    """The books' check is not vacuous: forged records are reported with their codes."""
    a = account(Settlement.REPLACEMENT_IN_KIND)
    over = Invoice("JPN-2026-000001", "cash", Decimal(10), DAY, DAY)
    overpaid = Invoice(
        "JPN-2026-000002", "cash", Decimal(10), DAY, DAY, (Payment("x", Decimal(11), DAY),)
    )
    forged = evolve(
        a,
        invoices=(over, overpaid),
        in_kind=(
            Replacement(DAY, Decimal(3500), tuple(fuel("35"))),
            Conversion(DAY, Decimal(5)),
        ),
    )
    found = {v.code for v in forged.breaches()}
    assert {
        Code.OVER_INVOICED,
        Code.OVERPAID,
        Code.OVER_SETTLED,
        Code.CONVERSION_MISMATCH,
        Code.OWED_BELOW_ZERO,
    } <= found
    cash = evolve(account(), in_kind=(Conversion(DAY, Decimal(1)),))
    assert Code.OVER_SETTLED in {v.code for v in cash.breaches()}


def test_an_invoice_cannot_predate_a_receipt_it_bills():
    early, late = date(2026, 1, 1), date(2026, 3, 1)
    a = account(received=((early, Decimal(1000)), (late, Decimal(500))))
    with pytest.raises(AcsaError, match="last receipt it bills") as refused:
        a.invoice(date(2026, 2, 1), "JPN-2026-000001", AT, ACTOR)
    assert codes(refused) == {Code.INVALID_DATE}
    assert a.invoice(late, "JPN-2026-000001", AT, ACTOR).records[0].amount == Decimal(1500)


def test_an_invoice_number_names_one_invoice():
    early, late = date(2026, 1, 1), date(2026, 3, 1)
    first = account(received=((early, Decimal(1000)),)).invoice(early, "N-1", AT, ACTOR).account
    more = evolve(first, receipts=(*first.receipts, Tranche(late, Decimal(500), "receipt")))
    with pytest.raises(AcsaError) as taken:
        more.invoice(late, "N-1", AT, ACTOR)
    assert codes(taken) == {Code.INVALID_FIELD}
    assert more.invoice(late, "N-2", AT, ACTOR).records[0].amount == Decimal(500)


@pytest.mark.parametrize("values", [("-500", "550"), ("0.4", "0.4"), ("0", "10")])
def test_each_thing_given_in_an_exchange_is_worth_something_in_minor_units(values):
    a = account(Settlement.EQUAL_VALUE_EXCHANGE)
    given = [ExchangedLine("billeting", "rooms", Decimal(1), "EA", Decimal(v)) for v in values]
    with pytest.raises(AcsaError) as refused:
        a.exchange(DAY, given, "both J4s", "market price", AT, ACTOR)
    assert codes(refused) == {Code.INVALID_AMOUNT}


def test_a_receipt_recorded_after_a_conversion_does_not_make_it_a_breach():
    first = date(2026, 1, 1)
    a = account(Settlement.REPLACEMENT_IN_KIND, received=(), deadline_days=30)
    a = evolve(a, receipts=(Tranche(first, Decimal(1000), "receipt", AT),))
    converted = a.convert(date(2026, 12, 31), "JPN-2026-000001", AT + days(1), ACTOR)
    assert converted is not None
    # A later receipt, dated before the sweep's day but recorded after the sweep.
    later = Tranche(date(2026, 3, 1), Decimal(500), "receipt", AT + days(2))
    after = evolve(converted.account, receipts=(*converted.account.receipts, later))
    assert after.breaches() == []
    # Had it been known when the sweep ran, the conversion would have been too small.
    known = evolve(later, at=AT)
    assert [v.code for v in evolve(after, receipts=(a.receipts[0], known)).breaches()] == [
        Code.CONVERSION_MISMATCH
    ]
