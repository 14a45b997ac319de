"""Corrections of invoices and payments (voids, reversals, credit notes).

A mistaken invoice or payment is never edited: a correcting record names it, with a reason,
a day, who made it and when. A void cancels an invoice nothing is paid against; a reversal
takes back one payment (its place among the invoice's payments); a credit note, numbered by
its issuer, reduces what an invoice bills. One void per invoice (``voids``, its invoice) and
one reversal per payment (unique: the order's hold decides races, these make a second one
impossible).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("voids", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_corrections_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_corrections_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_corrections_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["voids"], ["invoices.id"], name=op.f("fk_corrections_voids_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_corrections_payment_id")),
        sa.UniqueConstraint("number", name=op.f("uq_corrections_number")),
        sa.UniqueConstraint("voids", name=op.f("uq_corrections_voids")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corrections_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_corrections_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrections_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_corrections_order_id"))
    op.drop_table("corrections")
