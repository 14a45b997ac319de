"""An agreement whose text asks orders to attest, and order documents under it, for the tests
of what an order attests (cash reason, determination, hostilities, confirmed warnings).

The agreement is the tests' own, added next to the registry, so that these tests do not
depend on how the shipped registry words each of Japan's texts. Its one text entered into
force in July 2019 on a day not known (like Canada's), settles supplies by return (cash
needs a reason), covers "other activities" only as the two governments determine them, and
reports disaster response covered without verification."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AddAgreement
from acsa.services.handlers import handle

AGREEMENT_ID = "JPN-AUS-ATTEST"

AGREEMENT: dict[str, Any] = {
    "id": AGREEMENT_ID,
    "title": "A text that asks orders to attest (tests)",
    "parties": ["JPN", "AUS"],
    "versions": [
        {
            "label": "2019 text",
            "signed": "2019-04-21",
            "in_force": "2019-07",
            "activities": ["exercise", "other_activities"],
            "determination_activities": ["other_activities"],
            "unverified_activities": ["disaster_response"],
            "categories": ["fuel", "food", "medical"],
            "settlement_methods": ["cash", "replacement_in_kind"],
            "supplies_return_preferred": True,
            "use_conditions": ["un_charter", "third_party_consent"],
            "clauses": {"determination": "Art. 6(2)", "settlement": "Art. 4"},
        }
    ],
}

#: Why the fuel of ORDER is settled in cash (the text settles supplies by return).
CASH_REASON = "Fuel is consumed in the exercise; returning JP-8 at Townsville is difficult"

#: A plain order under AGREEMENT: after the uncertain July 2019, exercise, fuel in cash with
#: its reason.
ORDER: dict[str, Any] = {
    "agreement": AGREEMENT_ID,
    "requester": "AUS",
    "supplier": "JPN",
    "activity": "exercise",
    "settlement": "cash",
    "order_date": "2019-09-02",
    "needed_by": "2019-09-10",
    "location": "Townsville Field Training Area",
    "cash_reason": CASH_REASON,
    "lines": [
        {
            "category": "fuel",
            "description": "JP-8 aviation turbine fuel",
            "quantity": "1000",
            "unit": "L",
            "unit_price": "120",
            "currency": "JPY",
        }
    ],
}


def attest_order(**changes: Any) -> dict[str, Any]:
    """ORDER with ``changes`` at the top level (a value of None drops the field)."""
    doc = deepcopy(ORDER)
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def add_test_agreement(db_url: str) -> None:
    """Add AGREEMENT to the database at ``db_url`` (as the operator)."""
    engine = make_engine(db_url)
    try:
        handle(UnitOfWork(engine), AddAgreement.from_wire(deepcopy(AGREEMENT)), "operator")
    finally:
        engine.dispose()
