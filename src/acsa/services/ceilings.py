"""Annual ceilings on accept: what the requester already holds in its fiscal year, against the
ceilings of the agreement version governing the order date (see ``acsa.domain.ceilings``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from acsa.adapters.db.tables import order_lines, orders
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.domain.agreement import Agreement
from acsa.domain.ceilings import (
    COUNTED_STATUSES,
    Acquired,
    CeilingContext,
    acquired,
    applicable,
    order_value,
)
from acsa.domain.ceilings import ceiling_violations as check_ceilings
from acsa.domain.errors import Violation
from acsa.domain.fiscal import FiscalCalendars, FiscalYear
from acsa.domain.money import Money, from_minor
from acsa.domain.order import Order
from acsa.services.rates import Converter


def ceiling_violations(
    uow: UnitOfWork,
    order: Order,
    agreement: Agreement,
    quantities: Mapping[int, Decimal] | None = None,
    calendars: FiscalCalendars | None = None,
) -> list[Violation]:
    """The annual ceilings accepting ``order`` (for ``quantities``, else as requested) would
    exceed, inside the open unit of work ``uow``. Values in another currency than a ceiling's
    are converted under the requester's rate rule (the day's reference rate, or its official
    rate of the fiscal year); where there is none, the list holds a RATE_MISSING violation
    instead, so the acceptance is refused with every problem at once."""
    version = agreement.version_on(order.order_date)
    if not applicable(version, order.requester):
        return []
    # Two acceptances cannot both fit under a ceiling only one fits under.
    uow.locks.hold_ceiling(agreement.id, order.requester)
    conn = uow.connection
    year = (calendars or shipped_fiscal_calendars()).fiscal_year_of(
        order.requester, order.order_date
    )
    rates = Converter.open(uow)

    def in_currency(money: Money, currency: str, on: date) -> Money:
        # Under the acquiring party's rate rule: Japan's official rate of the fiscal year.
        return rates.convert(order.requester, money, currency, on, field="lines").amount

    context = CeilingContext(
        order=order,
        agreement=agreement,
        version=version,
        fiscal_year=year,
        value=order_value(order, quantities),
        used=accepted_values(conn, agreement.id, order.requester, year, order.id),
        convert=in_currency,
    )
    return check_ceilings(context)


def accepted_values(
    conn: Connection,
    agreement_id: str,
    party: str,
    year: FiscalYear,
    exclude: int | None = None,
) -> tuple[Acquired, ...]:
    """The accepted value of each counted order ``party`` requested under ``agreement_id``
    with an order date in ``year`` (but ``exclude``), in its own currency."""
    query = (
        select(
            orders.c.id,
            orders.c.order_date,
            order_lines.c.category,
            order_lines.c.quantity,
            order_lines.c.quantity_accepted,
            order_lines.c.unit_price_minor,
            order_lines.c.currency,
        )
        .join(order_lines, order_lines.c.order_id == orders.c.id)
        .where(
            orders.c.agreement_id == agreement_id,
            orders.c.requester == party,
            orders.c.order_date >= year.start,
            orders.c.order_date <= year.end,
            orders.c.status.in_(sorted(s.value for s in COUNTED_STATUSES)),
        )
        .order_by(orders.c.id, order_lines.c.number)
    )
    if exclude is not None:
        query = query.where(orders.c.id != exclude)
    grouped: dict[tuple[int, str], tuple[date, list[tuple[str, Decimal, Decimal]]]] = {}
    for row in conn.execute(query):
        quantity = Decimal(row.quantity_accepted or row.quantity)
        price = from_minor(row.unit_price_minor, row.currency)
        _, lines = grouped.setdefault((row.id, row.currency), (row.order_date, []))
        lines.append((row.category, quantity, price))
    return tuple(acquired(day, currency, lines) for (_, currency), (day, lines) in grouped.items())
