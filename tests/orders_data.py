"""Order documents for tests, built like the ones users write."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

FUEL_FOR_AUSTRALIA: dict[str, Any] = {
    "agreement": "JPN-AUS",
    "requester": "AUS",
    "supplier": "JPN",
    "activity": "exercise",
    "settlement": "cash",
    "order_date": "2026-10-01",
    "needed_by": "2026-10-05",
    "location": "RAAF Base Darwin",
    "operation": "Exercise Pitch Black",
    # The 2017 text settles supplies by return of the same or equivalent items, and in
    # currency only where return is difficult: an order settling them in cash says why.
    "cash_reason": "Fuel, rations and water are consumed in the exercise; returning the same "
    "items at Darwin is difficult",
    "lines": [
        {
            "category": "fuel",
            "description": "JP-8 aviation turbine fuel",
            "nsn": "9130-01-031-5816",
            "quantity": "12000",
            "unit": "L",
            "unit_price": "152",
            "currency": "JPY",
        },
        {
            "category": "food",
            "description": "Combat rations, 24h",
            "quantity": "400",
            "unit": "EA",
            "unit_price": "1850",
            "currency": "JPY",
        },
        {
            "category": "water",
            "description": "Bottled water",
            "quantity": "2000.5",
            "unit": "L",
            "unit_price": "40",
            "currency": "JPY",
        },
    ],
}


#: Services for Darwin worth exactly what FUEL_FOR_AUSTRALIA's lines are (2,644,020 JPY):
#: outside the US texts an equal value exchange settles services (by a service of equal
#: value), not supplies, so the tests that race or hold an exchange order these.
SERVICES_FOR_DARWIN: list[dict[str, Any]] = [
    {
        "category": "billeting",
        "description": "Transit accommodation, Darwin",
        "quantity": "400",
        "unit": "night",
        "unit_price": "4500",
        "currency": "JPY",
    },
    {
        "category": "transportation",
        "description": "Bus transport, RAAF Base Darwin",
        "quantity": "12",
        "unit": "day",
        "unit_price": "70335",
        "currency": "JPY",
    },
]


def order_doc(**changes: Any) -> dict[str, Any]:
    """A valid JPN-AUS order document, with ``changes`` applied at the top level."""
    doc = deepcopy(FUEL_FOR_AUSTRALIA)
    doc.update(changes)
    return doc


def with_line(doc: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    doc = deepcopy(doc)
    doc["lines"][index].update(changes)
    return doc
