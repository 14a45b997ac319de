"""Build domain orders from documents, as the services do."""

from __future__ import annotations

from typing import Any

from acsa.domain.order import Order
from acsa.domain.rules import check_order
from acsa.schemas.orders import OrderIn, order_from_doc, parse_model
from tests.orders_data import order_doc
from tests.unit.registry import registry


def order_from(doc: dict[str, Any] | None = None, **changes: Any) -> Order:
    return order_from_doc(parse_model(OrderIn, doc if doc is not None else order_doc(**changes)))


def codes_for(order: Order) -> list[str]:
    return [v.code.value for v in check_order(order, registry()[order.agreement_id])]
