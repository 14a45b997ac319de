"""How amounts, quantities and the report's tables read in every export: one place for the
currency's decimals, the column headings and the order of the views, in the reader's
language (the headings are English message ids: ``heading(text, lang)``)."""

from __future__ import annotations

import gettext as gnu_gettext
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pycountry

from acsa.domain.messages import t, words
from acsa.domain.money import minor_units
from acsa.domain.vocabulary import ACTIVITIES, CATEGORIES
from acsa.i18n import gettext
from acsa.schemas.reports import AnnualReport, Figure

#: Columns of a breakdown table, after its key column.
FIGURE_COLUMNS = (
    t("currency"),
    t("orders"),
    t("value"),
    t("provided (orders)"),
    t("provided"),
    t("received (orders)"),
    t("received"),
    t("settled (orders)"),
    t("settled"),
    t("open (orders)"),
    t("open"),
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
    """The report's breakdowns in the order every export shows them (titles and headings
    are English message ids: ``heading``)."""
    return [
        View("summary", t("Summary"), t("scope"), report.summary),
        View("by_partner", t("By partner"), t("partner"), report.by_partner),
        View("by_category", t("By category (line values)"), t("category"), report.by_category),
        View("by_activity", t("By activity"), t("activity"), report.by_activity),
        View("settled_open", t("Settled and open"), t("settlement"), report.settled_open),
        View(
            "provided_received",
            t("Provided and received"),
            t("direction"),
            report.provided_received,
        ),
    ]


def heading(text: str, lang: str) -> str:
    """A heading, title or fixed word of an export (an English message id) in ``lang``."""
    return gettext(lang, text) if text else ""


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


@cache
def _country_names(lang: str) -> gnu_gettext.NullTranslations:
    """The names of countries in ``lang`` (pycountry's ISO 3166 catalogues)."""
    if lang == "en":
        return gnu_gettext.NullTranslations()
    return gnu_gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True
    )


def nation_name(code: str, lang: str = "en") -> str:
    """``AUS Australia`` (``AUS オーストラリア``): the code with the country's short name,
    in ``lang`` where it is known."""
    country = pycountry.countries.get(alpha_3=code)
    common = getattr(country, "common_name", None)
    name = common or getattr(country, "name", None)
    if name and lang != "en":
        names = _country_names(lang)
        shown = names.gettext(name)
        if shown == name and common:
            shown = names.gettext(getattr(country, "name", name))
        name = shown
    return f"{code} {name}" if name else code


def term_text(key: str, lang: str) -> str:
    """A word of acsa's vocabulary (a category, an activity, a status) in ``lang``."""
    return gettext(lang, words(key)) if key else ""


def _category(key: str, lang: str) -> str:
    if lang != "en":
        return term_text(key, lang)
    known = CATEGORIES.get(key)
    return known[0] if known else key


def _activity(key: str, lang: str) -> str:
    if lang != "en":
        return term_text(key, lang)
    return ACTIVITIES.get(key, key)


def _summary(key: str, lang: str) -> str:
    return gettext(lang, t("all orders")) if key == "all" else key


_LABELS: dict[str, Callable[[str, str], str]] = {
    "by_partner": nation_name,
    "by_category": _category,
    "by_activity": _activity,
    "summary": _summary,
}


def key_label(view: str, key: str, lang: str = "en") -> str:
    """A key as a reader of ``lang`` sees it: a country's name, a category's or activity's
    title, a word (``settled``, ``provided``)."""
    label = _LABELS.get(view)
    if label:
        return label(key, lang)
    return key if lang == "en" else term_text(key, lang)
