"""Agreements with versions, orders with lines and history, settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("party_a", sa.String(3), nullable=False),
        sa.Column("party_b", sa.String(3), nullable=False),
        sa.Column("forces", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreements"),
    )
    op.create_index("ix_agreements_party_a", "agreements", ["party_a"])
    op.create_index("ix_agreements_party_b", "agreements", ["party_b"])
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("signed", sa.String(10), nullable=False),
        sa.Column("in_force", sa.String(10), nullable=True),
        sa.Column("ended", sa.String(10), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name="fk_agreement_versions_agreement_id_agreements",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "version", name="pk_agreement_versions"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("requester", sa.String(3), nullable=False),
        sa.Column("supplier", sa.String(3), nullable=False),
        sa.Column("activity", sa.String(64), nullable=False),
        sa.Column("settlement", sa.String(32), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("requester_unit", sa.Text(), nullable=True),
        sa.Column("supplier_unit", sa.Text(), nullable=True),
        sa.Column("fund_citation", sa.Text(), nullable=True),
        sa.Column("partner_reference", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name="fk_orders_agreement_id_agreements",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_agreement_id", "orders", ["agreement_id"])
    op.create_index("ix_orders_requester", "orders", ["requester"])
    op.create_index("ix_orders_supplier", "orders", ["supplier"])
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("nsn", sa.String(32), nullable=True),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("quantity", sa.String(40), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("quantity_accepted", sa.String(40), nullable=True),
        sa.Column("quantity_delivered", sa.String(40), nullable=False),
        sa.Column("quantity_received", sa.String(40), nullable=False),
        sa.Column("quantity_short", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_lines_order_id_orders"),
        sa.PrimaryKeyConstraint("order_id", "number", name="pk_order_lines"),
    )
    op.create_table(
        "order_events",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_events_order_id_orders"
        ),
        sa.PrimaryKeyConstraint("order_id", "seq", name="pk_order_events"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_table("order_events")
    op.drop_table("order_lines")
    for index in ("status", "supplier", "requester", "agreement_id"):
        op.drop_index(f"ix_orders_{index}", table_name="orders")
    op.drop_table("orders")
    op.drop_table("agreement_versions")
    op.drop_index("ix_agreements_party_b", table_name="agreements")
    op.drop_index("ix_agreements_party_a", table_name="agreements")
    op.drop_table("agreements")
