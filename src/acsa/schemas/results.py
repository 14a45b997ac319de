"""What each kind of command result is answered with, on the wire (commands.Spec.result)."""

from __future__ import annotations

from pydantic import BaseModel

from acsa.schemas.disputes import DisputeOut
from acsa.schemas.ledger import InvoiceOut, SettlementOut
from acsa.schemas.orders import AgreementOut, OrderOut

ANSWERS: dict[str, type[BaseModel]] = {
    "order": OrderOut,
    "invoice": InvoiceOut,
    "settlement": SettlementOut,
    "agreement": AgreementOut,
    "dispute": DisputeOut,
}
