"""Each nation's mapping of acsa's accounts to its general-ledger codes, and journal exports.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gl_mappings",
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("partner", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gl_code", sa.String(length=40), nullable=False),
        sa.Column("fund_citation", sa.String(length=200), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint(
            "nation", "account", "partner", "currency", name=op.f("pk_gl_mappings")
        ),
    )
    op.create_table(
        "journal_exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("after_entry_id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_exports")),
        sa.UniqueConstraint(
            "nation", "after_entry_id", name="uq_journal_exports_nation_after_entry_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("journal_exports")
    op.drop_table("gl_mappings")
