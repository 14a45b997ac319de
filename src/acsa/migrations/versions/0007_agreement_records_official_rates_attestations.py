"""Agreements as their texts say: facts recorded on an agreement after it was added (the day a
text entered into force, once learnt; a notice of termination), the official exchange rates a
nation sets per fiscal year, and what an order attests (the reason cash settles supplies, the
mutual determination it cites, the hostilities exception, the warnings a person confirmed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_records",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_records_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "seq", name=op.f("pk_agreement_records")),
    )
    op.create_table(
        "official_rates",
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint(
            "nation", "fiscal_year", "currency", name=op.f("pk_official_rates")
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attestations", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35+ drops a column in place): a batch copy of orders
    # would drop the table its lines, events and invoices refer to.
    op.drop_column("orders", "attestations")
    op.drop_table("official_rates")
    op.drop_table("agreement_records")
