"""Statements read from period balances, and paged (SQLite file and PostgreSQL).

Random entries are posted in random transactions through the ledger repository; after each
the period balances (``ledger_months``) equal a recompute from postings, a statement's opening,
closing, debits and credits over any period equal the sums of the postings themselves, and
reading a statement page by page gives exactly the unpaged lines with the same balances. The
migration back-fills the table from the postings stored; a bad ``limit`` or ``after`` is
refused, naming the field.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.ledger_queries import DEBT_ACCOUNTS, LedgerQueries
from acsa.adapters.db.ledger_repository import LedgerRepository
from acsa.adapters.db.migrate import alembic_config, upgrade
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.errors import AcsaError, Code
from acsa.domain.ledger import Account, Entry, EntryKind, Posting
from acsa.domain.money import Money, from_minor
from acsa.services import ledger
from tests.ledger_data import WRITTEN

FIRST = date(2025, 11, 20)
DAYS = 120
AT = datetime(2026, 1, 1, tzinfo=UTC)
ACCOUNTS = [a.value for a in Account]

#: One entry: (book, day offset, currency, [(account, account, minor)...]).
ENTRIES = st.tuples(
    st.sampled_from(["JPN", "AUS"]),
    st.integers(0, DAYS),
    st.sampled_from(["JPY", "AUD"]),
    st.lists(
        st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), st.integers(1, 10**6)),
        min_size=1,
        max_size=3,
    ),
)
BATCHES = st.lists(st.lists(ENTRIES, min_size=1, max_size=8), min_size=1, max_size=4)
PERIODS = st.lists(
    st.tuples(st.integers(-5, DAYS + 5), st.integers(0, DAYS + 10)), min_size=1, max_size=4
)


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in WRITTEN:
            conn.execute(delete(table))


def entry(book: str, day: date, currency: str, moves: list[tuple[str, str, int]]) -> Entry:
    postings = []
    for debit, credit, minor in moves:
        amount = from_minor(minor, currency)
        postings.append(Posting(Account(debit), Money(amount, currency)))
        postings.append(Posting(Account(credit), Money(-amount, currency)))
    partner = "AUS" if book == "JPN" else "JPN"
    return Entry(book, partner, EntryKind.RECEIPT, "test", day, AT, "tester", tuple(postings))


def post(engine: Engine, batch: list[Any]) -> None:
    """One transaction, as a service's: entries added, balances moved before the commit."""
    with engine.begin() as conn:
        repo = LedgerRepository(conn)
        repo.add([entry(b, FIRST + timedelta(days=d), c, m) for b, d, c, m in batch])
        repo.flush_balances()


def expected(engine: Engine, start: date, end: date) -> dict[str, tuple[int, int, int, int]]:
    """(opening, closing, debits, credits) of JPN's book with AUS per currency, summed from
    the postings themselves."""
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with engine.connect() as conn:
        rows = conn.execute(
            t.ledger_postings.select().where(
                t.ledger_postings.c.book == "JPN", t.ledger_postings.c.account.in_(DEBT_ACCOUNTS)
            )
        ).all()
    for r in rows:
        f = figures[r.currency]
        if r.effective < start:
            f[0] += r.amount_minor
        if r.effective <= end:
            f[1] += r.amount_minor
        if start <= r.effective <= end:
            f[2 if r.amount_minor > 0 else 3] += abs(r.amount_minor)
    return {c: (f[0], f[1], f[2], f[3]) for c, f in figures.items()}


def paged(uow: UnitOfWork, start: date, end: date, size: int, currency: str | None) -> Any:
    """Every page of the statement, in order: {currency: [lines]}, and the pages' totals."""
    lines: dict[str, list[Any]] = defaultdict(list)
    totals: set[tuple[str, Decimal, Decimal, Any, Any]] = set()
    after = None
    while True:
        found = ledger.statement(uow, "JPN", "AUS", start, end, currency, size, after)
        assert sum(len(s.lines) for s in found) <= size * len(found)
        for s in found:
            lines[s.currency].extend(s.lines)
            totals.add((s.currency, s.opening, s.closing, s.debits, s.credits))
            assert (s.limit, s.after) == (size, after)
        nexts = {s.next for s in found}
        assert len(nexts) <= 1
        after = nexts.pop() if nexts else None
        if after is None:
            return lines, totals


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=BATCHES, periods=PERIODS, size=st.integers(1, 4))
def test_period_balances_totals_and_pages_match_the_postings(
    engine: Engine, batches: list[Any], periods: list[tuple[int, int]], size: int
) -> None:
    wipe(engine)
    uow = UnitOfWork(engine, read_only=True)
    for batch in batches:
        post(engine, batch)
        with engine.connect() as conn:
            queries = LedgerQueries(conn)
            assert queries.period_balances() == queries.period_balances_from_postings()
        result = ledger.verify(UnitOfWork(engine))
        assert result.ok, result
        assert not result.month_differences
    for a, b in periods:
        start = FIRST + timedelta(days=a)
        end = max(start, FIRST + timedelta(days=b))
        want = expected(engine, start, end)
        whole = ledger.statement(uow, "JPN", "AUS", start, end)
        for s in whole:
            money = (s.opening, s.closing, s.debits, s.credits)
            assert money == tuple(from_minor(x, s.currency) for x in want[s.currency])
            assert s.opening + sum(ln.debit - ln.credit for ln in s.lines) == s.closing
            assert (s.next, s.limit) == (None, None)
        shown = {s.currency for s in whole}
        assert shown == {c for c, f in want.items() if f[0] or f[2] or f[3]}
        lines, totals = paged(uow, start, end, size, None)
        assert {c: ls for c, ls in lines.items() if ls} == {
            s.currency: s.lines for s in whole if s.lines
        }
        assert totals <= {(s.currency, s.opening, s.closing, s.debits, s.credits) for s in whole}
        for currency in shown:
            [one] = [s for s in whole if s.currency == currency]
            lines, _ = paged(uow, start, end, size, currency)
            assert lines[currency] == one.lines


def test_a_tampered_period_balance_is_a_coded_mismatch(engine: Engine) -> None:
    wipe(engine)
    post(engine, [("JPN", 3, "JPY", [("receivable_cash", "support_provided", 500)])])
    assert ledger.verify(UnitOfWork(engine)).ok
    with engine.begin() as conn:
        conn.execute(
            update(t.ledger_months)
            .where(t.ledger_months.c.account == "receivable_cash")
            .values(amount_minor=t.ledger_months.c.amount_minor + 1)
        )
    result = ledger.verify(UnitOfWork(engine))
    assert not result.ok
    [d] = result.month_differences
    assert (d.book, d.partner, d.account, d.month) == (
        "JPN",
        "AUS",
        "receivable_cash",
        FIRST.replace(day=1),
    )
    assert (d.kept, d.recomputed, d.kept_debits, d.recomputed_debits) == (501, 500, 500, 500)
    with pytest.raises(AcsaError) as refused:
        ledger.require_verified(result)
    [v] = refused.value.violations
    assert (v.code, v.field) == (Code.LEDGER_MISMATCH, "ledger_months")
    assert "501 JPY" in v.message
    assert "500 JPY" in v.message


def test_the_migration_fills_the_period_balances_from_the_postings(engine: Engine) -> None:
    wipe(engine)
    post(engine, [("JPN", d, "AUD", [("cash", "payable_cash", 100 + d)]) for d in range(0, 90, 7)])
    with engine.connect() as conn:
        before = LedgerQueries(conn).period_balances()
    assert len(before) == 2 * 4  # two accounts over four months
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    upgrade(engine)
    with engine.connect() as conn:
        assert LedgerQueries(conn).period_balances() == before


@pytest.mark.parametrize(
    ("limit", "after", "field"),
    [
        (0, None, "limit"),
        (1001, None, "limit"),
        (-1, None, "limit"),
        (10, "yesterday", "after"),
        (10, "2026-13-01:5", "after"),
        (10, "2026-01-05:0", "after"),
        (10, "2026-01-05:x", "after"),
        (10, "2025-12-31:5", "after"),  # before the period
        (10, "2026-02-01:5", "after"),  # after it
        (10, "2026-01-05:99999999999", "after"),
    ],
)
def test_a_bad_limit_or_cursor_is_refused_naming_the_field(
    uow: UnitOfWork, limit: int, after: str | None, field: str
) -> None:
    with pytest.raises(AcsaError) as refused:
        ledger.statement(uow, "JPN", "AUS", date(2026, 1, 1), date(2026, 1, 31), None, limit, after)
    [v] = refused.value.violations
    assert (v.code, v.field) == (Code.INVALID_FIELD, field)
