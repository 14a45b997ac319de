"""Disputes of receipts, invoices and settlements, and how they were resolved.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 02:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("step_kind", sa.String(length=16), nullable=False),
        sa.Column("step_ref", sa.String(length=40), nullable=False),
        sa.Column("ground", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("evidence", sa.String(length=64), nullable=True),
        sa.Column("opened_by", sa.String(length=3), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("agreed_minor", sa.BigInteger(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("credit_note", sa.String(length=40), nullable=True),
        sa.Column("answered_by", sa.String(length=3), nullable=True),
        sa.Column("answer_actor", sa.String(length=200), nullable=True),
        sa.Column("answered", sa.Date(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_disputes_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("order_id", "number", name="uq_disputes_order_id_number"),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_order_id"))
    op.drop_table("disputes")
