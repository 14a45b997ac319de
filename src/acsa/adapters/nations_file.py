"""The shipped nations file (``data/nations.yaml``): each nation's fiscal calendar, its own
currency and the exchange-rate rule its conversions follow by default."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from acsa.clock import today
from acsa.domain.fiscal import BUILT_IN, FiscalCalendar, FiscalCalendars
from acsa.domain.money import is_known_currency
from acsa.domain.rate_rules import NationRule, RateRule

NATIONS_RESOURCE = "nations.yaml"


def _entries(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("nations"), dict):
        raise ValueError("a nations document is a mapping with a 'nations' mapping")
    entries: dict[str, Any] = data["nations"]
    for code, entry in entries.items():
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
            raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 code")
        if not isinstance(entry, dict):
            raise ValueError(f"nation {code}: an entry is a mapping")
    return entries


def parse_nations(data: Any) -> dict[str, FiscalCalendar]:
    """The fiscal calendars in a nations document; ValueError naming the nation at fault. A
    nation whose calendar acsa has built in (JPN, USA) may leave its fiscal_year out."""
    table: dict[str, FiscalCalendar] = {}
    for code, entry in _entries(data).items():
        if "fiscal_year" not in entry and code in BUILT_IN:
            continue
        try:
            fiscal = entry["fiscal_year"]
            table[code] = FiscalCalendar(
                int(fiscal["start_month"]), fiscal["named_by"], str(entry.get("source", ""))
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"nation {code}: bad fiscal_year ({exc})") from None
    return table


def parse_rate_rules(data: Any) -> dict[str, NationRule]:
    """Each listed nation's own currency and shipped rate rule (daily_reference unless its
    ``exchange_rate`` says otherwise); ValueError naming the nation at fault."""
    rules: dict[str, NationRule] = {}
    for code, entry in _entries(data).items():
        currency = entry.get("currency") or default_currency(code)
        if not isinstance(currency, str) or not is_known_currency(currency):
            raise ValueError(f"nation {code}: currency {currency!r} is not an ISO 4217 code")
        given = entry.get("exchange_rate") or {}
        if not isinstance(given, dict):
            raise ValueError(f"nation {code}: exchange_rate is a mapping with a rule")
        try:
            rule = RateRule(given.get("rule", RateRule.DAILY_REFERENCE.value))
        except ValueError:
            raise ValueError(
                f"nation {code}: unknown exchange_rate rule {given['rule']!r}"
            ) from None
        source = str(given.get("source", ""))
        rules[code] = NationRule(code, rule, currency, source, shipped=rule)
    return rules


@cache
def default_currency(nation: str) -> str | None:
    """The currency CLDR gives ``nation`` (alpha-3) today, or None when it knows none."""
    import pycountry
    from babel.numbers import get_territory_currencies

    country = pycountry.countries.get(alpha_3=nation)
    if country is None:
        return None
    found = get_territory_currencies(country.alpha_2, today(), tender=True)
    return found[0] if found else None


def shipped_rule(nation: str) -> NationRule | None:
    """The rate rule acsa ships for ``nation``: from the file, else daily_reference in the
    currency CLDR gives it; None for a code no country has."""
    code = nation.upper()
    found = shipped_rate_rules().get(code)
    if found is not None:
        return found
    currency = default_currency(code)
    if currency is None or not is_known_currency(currency):
        return None
    return NationRule(code, RateRule.DAILY_REFERENCE, currency)


@cache
def _document() -> Any:
    text = resources.files("acsa.data").joinpath(NATIONS_RESOURCE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def shipped_fiscal_calendars() -> FiscalCalendars:
    """The fiscal calendars acsa ships, read once per process."""
    return FiscalCalendars(parse_nations(_document()))


@cache
def shipped_rate_rules() -> dict[str, NationRule]:
    """The rate rules the nations file gives, read once per process."""
    return parse_rate_rules(_document())
