"""The settlement scenarios' shared order figures (on the in-memory unit of work in
tests/unit/services and on SQLite and PostgreSQL in tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

RECEIVED_AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
FUEL_NSN = "9130-01-031-5816"
ORDER_VALUE = Decimal(12000 * 152 + 400 * 1850 + 80020)
# Outside the US texts supplies are not settled by equal value exchange; services are (by a
# service of equal value): the exchange tests order billeting and airlift for Darwin.
SERVICES: list[dict[str, Any]] = [
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
        "unit_price": "85000",
        "currency": "JPY",
    },
]
SERVICES_VALUE = Decimal(400 * 4500 + 12 * 85000)
