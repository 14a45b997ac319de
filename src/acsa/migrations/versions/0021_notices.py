"""Notices: what acsa tells people (the inbox), and the scheduler's lease and daily runs.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_notices_key")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_nation"), ["nation"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_order_id"), ["order_id"], unique=False)
    op.create_table(
        "notice_inbox",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_inbox_notice_id_notices")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notice_inbox_user_id_users")
        ),
        sa.PrimaryKeyConstraint("notice_id", "user_id", name=op.f("pk_notice_inbox")),
    )
    with op.batch_alter_table("notice_inbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_inbox_user_id_read_at", ["user_id", "read_at"], unique=False
        )
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
    op.create_table(
        "scheduler_days",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job", "day", name=op.f("pk_scheduler_days")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_days")
    op.drop_table("scheduler_leases")
    with op.batch_alter_table("notice_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_inbox_user_id_read_at")
    op.drop_table("notice_inbox")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_order_id"))
        batch_op.drop_index(batch_op.f("ix_notices_nation"))
    op.drop_table("notices")
