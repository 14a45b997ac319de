"""Designated officials and their authority limits, and the separation of duties per nation.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nation's policy (enforced or not, separation of duties) is a row of settings
    # (``designations:<NATION>``), written when its first designation is recorded.
    op.create_table(
        "designations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_reason", sa.Text(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_designations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designations")),
    )
    op.create_index(op.f("ix_designations_nation"), "designations", ["nation"], unique=False)
    op.create_index(op.f("ix_designations_user_id"), "designations", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_designations_user_id"), table_name="designations")
    op.drop_index(op.f("ix_designations_nation"), table_name="designations")
    op.drop_table("designations")
