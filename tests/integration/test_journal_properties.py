"""The journal export of random books (SQLite file and PostgreSQL): orders in JPY and AUD
settled in cash, in kind and by exchange, invoices, partial payments and their reversals,
credit notes and sweeps, on days that move forward, with ``new`` exports of either nation's
journal at random points in between. Then, for each nation:

- every entry of the export balances per currency, and so does the whole export; the totals
  per general-ledger code and currency add up to the lines;
- each ``new`` export holds exactly the entries made since the one before (by entry id), no
  line id comes twice across them, and together (with a last one) they are the whole journal;
- the movements per acsa account of the whole journal equal the book's balances as
  ``ledger balance`` gives them (and the export says it reconciles);
- CSV and JSON give the same lines back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import IssueCreditNote, IssueInvoice, RecordPayment, ReversePayment
from acsa.domain.errors import AcsaError
from acsa.domain.ledger import Account
from acsa.domain.limits import DATE_MIN
from acsa.services import journal, ledger, settlement
from acsa.services.handlers import handle
from tests.integration.test_ledger_properties import order_documents, some_of
from tests.ledger_data import WRITTEN, accepted, at, receive

NATIONS = ("JPN", "AUS")
ACTOR = "Cdr M. Tanaka"
START = date(2026, 1, 5)


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (t.journal_exports, t.gl_mappings, *WRITTEN):
            conn.execute(delete(table))


def map_everything(uow: UnitOfWork) -> None:
    """Each nation maps every account; JPN's receivables also per partner and currency (the
    most specific rule wins)."""
    for nation in NATIONS:
        for n, account in enumerate(Account):
            journal.set_rule(UnitOfWork(uow.engine), nation, account.value, "*", "*", f"{n}000")
    for partner, currency, code in (("AUS", "*", "1310-AUS"), ("*", "AUD", "1310-AUD")):
        journal.set_rule(
            UnitOfWork(uow.engine), "JPN", "receivable_cash", partner, currency, code, "FC-1"
        )
    journal.set_rule(UnitOfWork(uow.engine), "JPN", "receivable_cash", "AUS", "AUD", "1310-AA")


STEPS = st.sampled_from(
    ["order", "order", "invoice", "invoice", "pay", "pay", "reverse", "credit", "sweep", "export"]
)


def entry_ids(engine: Engine, book: str) -> set[int]:
    with engine.connect() as conn:
        e = t.ledger_entries
        return set(conn.execute(select(e.c.id).where(e.c.book == book)).scalars())


def attempt(action: Any, name: str) -> None:
    try:
        action()
    except AcsaError as error:
        event(f"{name} refused: {error.violations[0].code.value}")
    else:
        event(f"{name} done")


class Run:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.day = START
        self.orders: list[int] = []
        #: Per nation: the line ids of each new export, and the entries each one should hold.
        self.exported: dict[str, list[list[str]]] = defaultdict(list)
        self.expected: dict[str, list[set[int]]] = defaultdict(list)
        self.seen: dict[str, set[int]] = defaultdict(set)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def step(self, kind: str, data: st.DataObject) -> None:
        self.day += timedelta(days=data.draw(st.integers(0, 40)))
        day = self.day
        if kind == "order":
            doc = data.draw(order_documents(day))
            if data.draw(st.integers(0, 2)):  # mostly cash, so that invoices and payments follow
                doc |= {"settlement": "cash", "cash_reason": "consumed in the exercise"}

            def place() -> None:
                order_id = accepted(self.uow(), doc, day)
                self.orders.append(order_id)
                receive(self.uow(), order_id, day)

            attempt(place, kind)
        elif kind == "invoice" and self.orders:
            order_id = data.draw(st.sampled_from(self.orders))
            attempt(
                lambda: handle(
                    self.uow(), IssueInvoice(order_id=order_id, issued=day), ACTOR, at(day)
                ),
                kind,
            )
        elif kind in ("pay", "reverse", "credit"):
            invoices = settlement.list_invoices(self.uow())
            if not invoices:
                return
            found = data.draw(st.sampled_from(invoices))
            step = Decimal(1) if found.currency == "JPY" else Decimal("0.01")
            if kind == "pay":
                amount = some_of(data.draw, found.unpaid, step) or step
                command: Any = RecordPayment(
                    invoice=found.number, amount=amount, paid=day, reference="wire"
                )
            elif kind == "credit":
                amount = some_of(data.draw, found.unpaid, step) or step
                command = IssueCreditNote(
                    invoice=found.number, amount=amount, reason="agreed", day=day
                )
            else:
                if not found.payments:
                    return
                payment = data.draw(st.sampled_from(found.payments))
                command = ReversePayment(payment=payment.id, reason="returned", day=day)
            attempt(lambda: handle(self.uow(), command, ACTOR, at(day)), kind)
        elif kind == "sweep":
            attempt(lambda: settlement.sweep(self.uow(), ACTOR, as_of=day, now=at(day, 17)), kind)
        elif kind == "export":
            self.export(data.draw(st.sampled_from(NATIONS)))

    def export(self, nation: str) -> None:
        now = entry_ids(self.engine, nation)
        result = journal.journal(self.uow(), nation, None, self.day, new=True, actor=ACTOR)
        fresh = now - self.seen[nation]
        # Entries are dated on the day they are made: nothing is held back.
        assert {line.entry_id for line in result.lines} == fresh
        assert result.entries == len(fresh)
        assert result.reconciled, result.reconciliation
        if fresh:
            assert result.export is not None
            assert result.after_entry_id == (max(self.seen[nation]) if self.seen[nation] else 0)
        else:
            assert result.export is None
        self.seen[nation] |= fresh
        self.exported[nation].append([line.line_id for line in result.lines])


def check_balanced(result: Any) -> None:
    per_entry: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    per_currency: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in result.lines:
        assert line.debit >= 0
        assert line.credit >= 0
        assert (line.debit == 0) or (line.credit == 0)
        per_entry[(line.entry_id, line.currency)] += line.debit - line.credit
        per_currency[line.currency][0] += line.debit
        per_currency[line.currency][1] += line.credit
    assert all(total == 0 for total in per_entry.values()), per_entry
    assert all(debits == credits for debits, credits in per_currency.values())
    by_total: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for total in result.totals:
        by_total[total.currency][0] += total.debit
        by_total[total.currency][1] += total.credit
    assert dict(by_total) == dict(per_currency)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kinds=st.lists(STEPS, min_size=8, max_size=30), data=st.data())
def test_the_journal_of_random_books_balances_reexports_nothing_twice_and_sums_to_the_balances(
    engine: Engine, kinds: list[str], data: st.DataObject
) -> None:
    wipe(engine)
    map_everything(UnitOfWork(engine))
    run = Run(engine)
    for kind in kinds:
        run.step(kind, data)
    until = run.day
    for nation in NATIONS:
        run.export(nation)
        whole = journal.journal(UnitOfWork(engine), nation, DATE_MIN, until, actor=ACTOR)
        check_balanced(whole)
        size = len(whole.lines)
        event(f"{nation} lines: " + ("0" if not size else "1-20" if size <= 20 else "over 20"))
        event(f"{nation} new exports with lines: {sum(1 for p in run.exported[nation] if p)}")
        assert whole.export is None
        assert whole.reconciled
        # every new export together is the whole journal, and no line came twice
        parts = run.exported[nation]
        together = [line_id for part in parts for line_id in part]
        assert len(together) == len(set(together))
        assert set(together) == {line.line_id for line in whole.lines}
        # the movements of the whole journal are the book's balances, as ledger balance has them
        moved: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for line in whole.lines:
            moved[(line.partner, line.account, line.currency)] += line.debit - line.credit
        positions = ledger.balances(UnitOfWork(engine), nation, as_of=until)
        shown = journal.balances_by_account(p.model_dump() for p in positions)
        assert {k: v for k, v in moved.items() if v and k[1] != "cash"} == shown
        for r in whole.reconciliation:
            assert r.opening == 0
            assert r.closing == moved.get((r.partner, r.account, r.currency), 0)
        # the same lines come back from CSV and from JSON
        assert journal.lines_from_csv(journal.journal_csv(whole)) == whole.lines
        assert journal.lines_from_json(journal.journal_json(whole)) == whole.lines
        # a new export now has nothing new, and records nothing
        again = journal.journal(UnitOfWork(engine), nation, None, until, new=True, actor=ACTOR)
        assert again.lines == []
        assert again.export is None
