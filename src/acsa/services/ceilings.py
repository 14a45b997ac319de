"""Annual ceilings on accept: what the requester already holds in its fiscal year, against the
ceilings of the agreement version governing the order date (see ``acsa.domain.ceilings``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.domain.agreement import Agreement
from acsa.domain.ceilings import (
    CeilingContext,
    applicable,
    order_value,
)
from acsa.domain.ceilings import ceiling_violations as check_ceilings
from acsa.domain.errors import Violation
from acsa.domain.fiscal import FiscalCalendars
from acsa.domain.money import Money
from acsa.domain.order import Order
from acsa.services.ports import UnitOfWork
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
        used=uow.orders.accepted_values(agreement.id, order.requester, year, order.id),
        convert=in_currency,
    )
    return check_ceilings(context)
