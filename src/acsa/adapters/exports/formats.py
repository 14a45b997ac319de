"""How amounts, quantities and the report's tables read in every export: one place for the
currency's decimals, the column headings and the order of the views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pycountry

from acsa.domain.money import minor_units
from acsa.domain.vocabulary import ACTIVITIES, CATEGORIES
from acsa.schemas.reports import AnnualReport, Figure

#: Columns of a breakdown table, after its key column.
FIGURE_COLUMNS = (
    "currency",
    "orders",
    "value",
    "provided (orders)",
    "provided",
    "received (orders)",
    "received",
    "settled (orders)",
    "settled",
    "open (orders)",
    "open",
)

#: Which of FIGURE_COLUMNS hold money (the others: the currency and counts).
MONEY_COLUMNS = frozenset({"value", "provided", "received", "settled", "open"})


@dataclass(frozen=True, slots=True)
class View:
    """One breakdown of the report: its name in files, its title and its key's heading."""

    name: str
    title: str
    key_heading: str
    figures: list[Figure]


def figure_views(report: AnnualReport) -> list[View]:
    """The report's breakdowns in the order every export shows them."""
    return [
        View("summary", "Summary", "scope", report.summary),
        View("by_partner", "By partner", "partner", report.by_partner),
        View("by_category", "By category (line values)", "category", report.by_category),
        View("by_activity", "By activity", "activity", report.by_activity),
        View("settled_open", "Settled and open", "settlement", report.settled_open),
        View("provided_received", "Provided and received", "direction", report.provided_received),
    ]


def figure_cells(figure: Figure) -> list[str | int | Decimal]:
    """A figure's cells in FIGURE_COLUMNS order (money as Decimal)."""
    return [
        figure.currency,
        figure.count,
        figure.value,
        figure.provided_count,
        figure.provided,
        figure.received_count,
        figure.received,
        figure.settled_count,
        figure.settled,
        figure.open_count,
        figure.open,
    ]


def excel_format(currency: str) -> str:
    """The number format of an amount in ``currency``: ``#,##0`` for JPY, ``#,##0.00`` for USD."""
    digits = minor_units(currency)
    return "#,##0" + ("." + "0" * digits if digits else "")


def nation_name(code: str) -> str:
    """``AUS Australia``: the code with the country's short name where it is known."""
    country = pycountry.countries.get(alpha_3=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", None)
    return f"{code} {name}" if name else code


def _category(key: str) -> str:
    known = CATEGORIES.get(key)
    return known[0] if known else key


def _activity(key: str) -> str:
    return ACTIVITIES.get(key, key)


_LABELS: dict[str, Callable[[str], str]] = {
    "by_partner": nation_name,
    "by_category": _category,
    "by_activity": _activity,
    "summary": lambda key: "all orders" if key == "all" else key,
}


def key_label(view: str, key: str) -> str:
    """A key as a reader sees it: a country's name, a category's or activity's title."""
    label = _LABELS.get(view)
    return label(key) if label else key
