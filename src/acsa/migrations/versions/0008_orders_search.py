"""The orders list searches, sorts and pages in the database: each order keeps its words
case-folded (``search_text``) and its value in minor units (``total_minor``), filled in here for
the orders already stored, with indexes for the date and value sorts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 13:45:00
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

from acsa.domain.money import Money, from_minor
from acsa.domain.order_search import order_words, search_text

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: Orders filled in per round trip.
CHUNK = 1000

_orders = sa.table(
    "orders",
    sa.column("id", sa.Integer()),
    sa.column("currency", sa.String()),
    sa.column("location", sa.Text()),
    sa.column("operation", sa.Text()),
    sa.column("remarks", sa.Text()),
    sa.column("partner_reference", sa.Text()),
    sa.column("fund_citation", sa.Text()),
    sa.column("requester_unit", sa.Text()),
    sa.column("supplier_unit", sa.Text()),
    sa.column("search_text", sa.Text()),
    sa.column("total_minor", sa.BigInteger()),
)
_lines = sa.table(
    "order_lines",
    sa.column("order_id", sa.Integer()),
    sa.column("number", sa.Integer()),
    sa.column("description", sa.Text()),
    sa.column("nsn", sa.String()),
    sa.column("quantity", sa.String()),
    sa.column("unit_price_minor", sa.BigInteger()),
    sa.column("currency", sa.String()),
)


def _fill(conn: sa.Connection) -> None:
    """Each stored order's search text and value, as the repository now writes them."""
    o, ol = _orders.c, _lines.c
    after = 0
    fill = (
        sa.update(_orders)
        .where(o.id == sa.bindparam("o_id"))
        .values(search_text=sa.bindparam("o_text"), total_minor=sa.bindparam("o_total"))
    )
    while True:
        heads = conn.execute(
            sa.select(_orders).where(o.id > after).order_by(o.id).limit(CHUNK)
        ).all()
        if not heads:
            return
        ids = [h.id for h in heads]
        lines = defaultdict(list)
        query = sa.select(_lines).where(ol.order_id.in_(ids)).order_by(ol.order_id, ol.number)
        for line in conn.execute(query):
            lines[line.order_id].append(line)
        rows = []
        for h in heads:
            mine = lines[h.id]
            stored: Any = SimpleNamespace(**h._mapping, lines=mine)
            words = order_words(stored)
            total = Money.zero(h.currency)
            for ln in mine:
                price = from_minor(ln.unit_price_minor, ln.currency)
                total = total + Money.of_product(Decimal(ln.quantity), price, ln.currency)
            rows.append({"o_id": h.id, "o_text": search_text(words), "o_total": total.minor})
        conn.execute(fill, rows)
        after = ids[-1]


def upgrade() -> None:
    op.add_column("orders", sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "orders", sa.Column("total_minor", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.create_index("ix_orders_order_date_id", "orders", ["order_date", "id"])
    op.create_index(
        "ix_orders_currency_total_minor_id", "orders", ["currency", "total_minor", "id"]
    )
    _fill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_orders_currency_total_minor_id", table_name="orders")
    op.drop_index("ix_orders_order_date_id", table_name="orders")
    # Plain ALTER TABLE (SQLite 3.35+ drops a column in place): a batch copy of orders would
    # drop the table its lines, events and invoices refer to.
    op.drop_column("orders", "total_minor")
    op.drop_column("orders", "search_text")
