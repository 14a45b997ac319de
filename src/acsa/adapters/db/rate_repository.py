"""The rates as stored, for the rate services: ECB reference rates (``fx_rates``: what an import
finds stored, writing its rows, the newest rate per currency) and the official rates nations
record per fiscal year (``official_rates``). Bulk writes are PostgreSQL's COPY into a temporary
table and one upsert, or SQLite's executemany of an upsert."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from acsa.adapters.db.tables import fx_rates, official_rates, settings
from acsa.domain.fx import MAX_RATE_AGE_DAYS, Rate
from acsa.domain.rate_rules import OfficialRate

#: Rows per executemany (SQLite) or COPY stretch (PostgreSQL); progress is reported after each.
CHUNK_ROWS = 5000

#: Called with (rows written so far, rows to write).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class StoredOfficialRate:
    """An official rate as stored, with who recorded it and when."""

    rate: OfficialRate
    at: datetime
    actor: str


def _upsert_sqlite() -> Any:
    """INSERT ... ON CONFLICT (day, currency) DO UPDATE, for executemany on SQLite."""
    from sqlalchemy.dialects import sqlite  # here: loading dialects slows every CLI start

    statement = sqlite.insert(fx_rates)
    return statement.on_conflict_do_update(
        index_elements=[fx_rates.c.day, fx_rates.c.currency],
        set_={"per_eur": statement.excluded.per_eur, "source": statement.excluded.source},
    )


def _chunks(
    rows: Sequence[dict[str, object]], progress: Progress | None
) -> Iterator[Sequence[dict[str, object]]]:
    """``rows`` in chunks of CHUNK_ROWS, reporting progress after each."""
    if progress:
        progress(0, len(rows))
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        yield chunk
        if progress:
            progress(start + len(chunk), len(rows))


_PG_LOAD = "CREATE TEMPORARY TABLE fx_rates_load (LIKE fx_rates) ON COMMIT DROP"
_PG_COPY = "COPY fx_rates_load (day, currency, per_eur, source) FROM STDIN"
_PG_MERGE = (
    "INSERT INTO fx_rates (day, currency, per_eur, source) "
    "SELECT day, currency, per_eur, source FROM fx_rates_load "
    "ON CONFLICT (day, currency) DO UPDATE "
    "SET per_eur = EXCLUDED.per_eur, source = EXCLUDED.source"
)


class RateRepository:
    """The reference and official rates, read and written on an open connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- reference rates ---------------------------------------------------------------------

    def stored(self, first: date, last: date) -> dict[tuple[date, str], Decimal]:
        """The reference rates stored for the days ``first`` to ``last``."""
        query = select(fx_rates.c.day, fx_rates.c.currency, fx_rates.c.per_eur).where(
            fx_rates.c.day >= first, fx_rates.c.day <= last
        )
        return {(row.day, row.currency): Decimal(row.per_eur) for row in self.conn.execute(query)}

    def write(self, rows: Sequence[dict[str, object]], progress: Progress | None = None) -> None:
        """Store ``rows`` (day, currency, per_eur, source), replacing a day's stored rate."""
        if not rows:
            return
        if self.conn.dialect.name == "postgresql":
            self._write_postgresql(rows, progress)
            return
        statement = _upsert_sqlite()
        for chunk in _chunks(rows, progress):
            self.conn.execute(statement, list(chunk))

    def _write_postgresql(
        self, rows: Sequence[dict[str, object]], progress: Progress | None
    ) -> None:
        """COPY into a temporary table, then one upsert, in the import's transaction: about
        three times faster than an executemany (one round of the pipeline per row)."""
        self.conn.execute(text(_PG_LOAD))
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(_PG_COPY) as copy:
            for chunk in _chunks(rows, progress):
                for row in chunk:
                    copy.write_row((row["day"], row["currency"], row["per_eur"], row["source"]))
        self.conn.execute(text(_PG_MERGE))

    def newest_day(self) -> date | None:
        """The newest day a reference rate is stored for."""
        day: date | None = self.conn.execute(select(func.max(fx_rates.c.day))).scalar()
        return day

    def latest_per_currency(self, on: date, wanted: Sequence[str]) -> list[Rate]:
        """Per currency (those ``wanted``, or all), its newest rate within the age limit on
        ``on``, ordered by currency."""
        oldest = on - timedelta(days=MAX_RATE_AGE_DAYS)
        newest = (
            select(fx_rates.c.currency, func.max(fx_rates.c.day).label("day"))
            .where(fx_rates.c.day <= on, fx_rates.c.day >= oldest)
            .group_by(fx_rates.c.currency)
        )
        if wanted:
            newest = newest.where(fx_rates.c.currency.in_(wanted))
        latest = newest.subquery()
        query = (
            select(fx_rates.c.day, fx_rates.c.currency, fx_rates.c.per_eur, fx_rates.c.source)
            .join(
                latest,
                (fx_rates.c.currency == latest.c.currency) & (fx_rates.c.day == latest.c.day),
            )
            .order_by(fx_rates.c.currency)
        )
        return [
            Rate(row.day, row.currency, Decimal(row.per_eur), row.source)
            for row in self.conn.execute(query)
        ]

    def setting_keys(self, prefix: str) -> list[str]:
        """The settings keys starting with ``prefix`` (each nation's rate rule, say)."""
        query = select(settings.c.key).where(settings.c.key.startswith(prefix, autoescape=True))
        return list(self.conn.execute(query).scalars())

    # --- official rates ----------------------------------------------------------------------

    def official(self, nation: str, fiscal_year: int, currency: str) -> OfficialRate | None:
        """The official rate stored for ``nation``'s ``fiscal_year`` and ``currency``."""
        found = self.officials(nation, fiscal_year, currency)
        return found[0].rate if found else None

    def put_official(self, rate: OfficialRate, at: datetime, actor: str) -> None:
        """Store ``rate``, replacing the one stored for its nation, fiscal year and currency."""
        o = official_rates
        key = (
            o.c.nation == rate.nation,
            o.c.fiscal_year == rate.fiscal_year,
            o.c.currency == rate.currency,
        )
        values = {"rate": format(rate.rate, "f"), "source": rate.source, "at": at, "actor": actor}
        if self.conn.execute(select(o.c.rate).where(*key)).first() is None:
            self.conn.execute(
                insert(o).values(
                    nation=rate.nation,
                    fiscal_year=rate.fiscal_year,
                    currency=rate.currency,
                    **values,
                )
            )
        else:
            self.conn.execute(update(o).where(*key).values(**values))

    def officials(
        self, nation: str | None = None, fiscal_year: int | None = None, currency: str | None = None
    ) -> list[StoredOfficialRate]:
        """The official rates stored (of ``nation``, ``fiscal_year``, ``currency`` where
        given), by nation, fiscal year and currency."""
        o = official_rates
        query = select(o).order_by(o.c.nation, o.c.fiscal_year, o.c.currency)
        if nation is not None:
            query = query.where(o.c.nation == nation)
        if fiscal_year is not None:
            query = query.where(o.c.fiscal_year == fiscal_year)
        if currency is not None:
            query = query.where(o.c.currency == currency)
        return [
            StoredOfficialRate(
                OfficialRate(
                    row.nation, row.fiscal_year, row.currency, Decimal(row.rate), row.source
                ),
                row.at,
                row.actor,
            )
            for row in self.conn.execute(query)
        ]
