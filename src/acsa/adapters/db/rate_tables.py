"""The rate tables read inside a unit of work: ECB reference rates (``fx_rates``) and the
official rates nations recorded (``official_rates``). Lookups are remembered for the
transaction, so a report converting thousands of amounts reads each rate once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from acsa.adapters.db.tables import fx_rates, official_rates
from acsa.domain.fx import Rate
from acsa.domain.rate_rules import OfficialRate


class DbRateTable:
    """The ``fx_rates`` table, read on an open connection; lookups are remembered."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[tuple[str, date, date], Rate | None] = {}

    def rate_on_or_before(self, currency: str, on: date, oldest: date) -> Rate | None:
        key = (currency, on, oldest)
        if key not in self._seen:
            self._seen[key] = self._lookup(currency, on, oldest)
        return self._seen[key]

    def _lookup(self, currency: str, on: date, oldest: date) -> Rate | None:
        query = (
            select(fx_rates.c.day, fx_rates.c.per_eur, fx_rates.c.source)
            .where(fx_rates.c.currency == currency)
            .where(fx_rates.c.day <= on, fx_rates.c.day >= oldest)
            .order_by(fx_rates.c.day.desc())
            .limit(1)
        )
        row = self._conn.execute(query).first()
        return None if row is None else Rate(row.day, currency, Decimal(row.per_eur), row.source)


class DbOfficialRates:
    """The ``official_rates`` table, read on an open connection; lookups are remembered."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[tuple[str, int, str], OfficialRate | None] = {}

    def official_rate(self, nation: str, fiscal_year: int, currency: str) -> OfficialRate | None:
        key = (nation, fiscal_year, currency)
        if key not in self._seen:
            o = official_rates
            query = select(o.c.rate, o.c.source).where(
                o.c.nation == nation, o.c.fiscal_year == fiscal_year, o.c.currency == currency
            )
            row = self._conn.execute(query).first()
            self._seen[key] = (
                None
                if row is None
                else OfficialRate(nation, fiscal_year, currency, Decimal(row.rate), row.source)
            )
        return self._seen[key]
