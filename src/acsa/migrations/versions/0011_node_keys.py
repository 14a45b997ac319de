"""Every key a nation's node signed with, and its window (key rotation and revocation): the
partners' registered keys and this node's own key are its first rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_keys",
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("fingerprint", sa.String(length=39), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=True),
        sa.Column("revoked", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("nation", "fingerprint", name=op.f("pk_node_keys")),
    )
    conn = op.get_bind()
    keys = sa.table(
        "node_keys",
        sa.column("nation", sa.String),
        sa.column("fingerprint", sa.String),
        sa.column("public_key", sa.Text),
        sa.column("since", UtcDateTime()),
    )
    partners = sa.table(
        "partners",
        sa.column("nation", sa.String),
        sa.column("fingerprint", sa.String),
        sa.column("public_key", sa.Text),
        sa.column("added_at", UtcDateTime()),
    )
    rows = conn.execute(
        sa.select(
            partners.c.nation, partners.c.fingerprint, partners.c.public_key, partners.c.added_at
        )
    ).all()
    for nation, fingerprint, public_key, added_at in rows:
        conn.execute(
            keys.insert().values(
                nation=nation, fingerprint=fingerprint, public_key=public_key, since=added_at
            )
        )


def downgrade() -> None:
    op.drop_table("node_keys")
