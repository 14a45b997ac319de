"""JSON shape of the exceptions report (``acsa report exceptions``): what audits of ACSA
orders keep finding, one item per finding."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from acsa.schemas.messages import MESSAGE_ID, PARAMS
from acsa.schemas.orders import DecimalStr


class ExceptionOut(BaseModel):
    """One finding on one order.

    ``kind`` is one of: ``received_not_invoiced``, ``invoice_overdue``,
    ``replacement_due_soon``, ``replacement_past_due``, ``missing_field``,
    ``missing_signature``, ``settled_not_closed``, ``missing_source_document`` (``document``
    names the step, ``delivery:N``...). ``age_days`` counts from ``since``.
    ``message`` is in English; ``message_id`` and ``params`` write it in another language.
    """

    kind: str
    order: int
    supplier: str
    requester: str
    nations: list[str] = Field(description="The supplier and the requester, in that order.")
    since: date = Field(description="The day the finding's age counts from.")
    age_days: int
    value: DecimalStr
    currency: str
    document: str | None = None
    due: date | None = None
    fields: list[str] = []
    message: str
    message_id: str = MESSAGE_ID
    params: dict[str, str] = PARAMS
