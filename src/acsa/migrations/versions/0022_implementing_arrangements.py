"""Implementing arrangements under an agreement; an order names its arrangement.

Offices, points of contact, fund citations, payment term and ceilings per arrangement.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "arrangements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("signed", sa.Date(), nullable=False),
        sa.Column("in_force", sa.Date(), nullable=False),
        sa.Column("ended", sa.Date(), nullable=True),
        sa.Column("payment_term_days", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_arrangements_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangements")),
        sa.UniqueConstraint(
            "agreement_id", "reference", name="uq_arrangements_agreement_id_reference"
        ),
    )
    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangements_agreement_id"), ["agreement_id"], unique=False
        )
    # Two plain ALTER TABLEs: a batch copy of orders would drop the table its lines, events
    # and invoices refer to. SQLite adds a column with its REFERENCES clause in place (no
    # constraint can be added afterwards there); PostgreSQL adds the constraint by name.
    op.add_column("orders", sa.Column("arrangement", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE orders ADD COLUMN arrangement_id INTEGER "
            "CONSTRAINT fk_orders_arrangement_id_arrangements REFERENCES arrangements (id)"
        )
    else:
        op.add_column("orders", sa.Column("arrangement_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_orders_arrangement_id_arrangements"),
            "orders",
            "arrangements",
            ["arrangement_id"],
            ["id"],
        )
    op.create_index(op.f("ix_orders_arrangement_id"), "orders", ["arrangement_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_orders_arrangement_id"), table_name="orders")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_orders_arrangement_id_arrangements"), "orders", type_="foreignkey"
        )
    op.drop_column("orders", "arrangement_id")
    op.drop_column("orders", "arrangement")
    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangements_agreement_id"))
    op.drop_table("arrangements")
