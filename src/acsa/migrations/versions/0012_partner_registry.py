"""The partner's registry as its node sent it (one registry between two nodes): each agreement
version between the two nations and each official rate of either, as the partner records them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_registry",
        sa.Column("partner", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner", "kind", "key", name=op.f("pk_partner_registry")),
    )


def downgrade() -> None:
    op.drop_table("partner_registry")
