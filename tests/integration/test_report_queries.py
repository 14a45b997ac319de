"""The annual report's balances at month ends from the period balances are the postings' sums
up to each month end, on a real SQLite file and a real PostgreSQL, after random steps of
orders and their settlement; a day that ends no month is left to the postings."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import Engine

from acsa.adapters.db.report_queries import month_end_sums
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.money import to_minor
from tests.integration.test_dashboard_kept import Books

MONTH_ENDS = [date(2026, m, d) for m, d in ((4, 30), (9, 30), (10, 31), (11, 30), (12, 31))]


def test_month_end_sums_are_the_postings_up_to_each_month_end(engine: Engine) -> None:
    books = Books(engine, random.Random(42))
    for _ in range(40):
        books.step()
    for book in ("JPN", "AUS", "FRA"):
        with UnitOfWork(engine, read_only=True) as uow:
            sums = month_end_sums(uow.connection, book, [*MONTH_ENDS, date(2026, 11, 15)])
            assert sorted(sums) == MONTH_ENDS  # the 15th ends no month
            for day in MONTH_ENDS:
                postings = {
                    (partner, account.value, money.currency): to_minor(money.amount, money.currency)
                    for _b, partner, account, money in uow.ledger.balances_from_postings(
                        book=book, as_of=day
                    )
                }
                assert sums[day] == postings, (book, day)
    with UnitOfWork(engine, read_only=True) as uow:
        assert any(month_end_sums(uow.connection, "JPN", [date(2026, 12, 31)]).values())
