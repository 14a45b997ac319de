"""Documents that lost their place in an order's chain to the supplier's (a fork resolved by
``acsa.domain.forks``): set aside, or rolled back and issued again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fork_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_uid", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=3), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("wire", sa.Text(), nullable=False),
        sa.Column("fate", sa.String(length=16), nullable=False),
        sa.Column("winner", sa.String(length=64), nullable=False),
        sa.Column("winner_id", sa.String(length=36), nullable=False),
        sa.Column("reissued_as", sa.String(length=36), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fork_documents")),
    )
    op.create_index(
        op.f("ix_fork_documents_order_uid"), "fork_documents", ["order_uid"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fork_documents_order_uid"), table_name="fork_documents")
    op.drop_table("fork_documents")
