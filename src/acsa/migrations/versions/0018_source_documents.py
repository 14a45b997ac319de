"""Source documents attached to orders and their steps, stored by content hash.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_attachment_blobs")),
    )
    op.create_table(
        "order_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("step_kind", sa.String(length=16), nullable=True),
        sa.Column("step_ref", sa.String(length=40), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_attachments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["attachment_blobs.sha256"],
            name=op.f("fk_order_attachments_sha256_attachment_blobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_attachments")),
    )
    with op.batch_alter_table("order_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_attachments_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_order_attachments_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_order_attachments_order_id"))
    op.drop_table("order_attachments")
    op.drop_table("attachment_blobs")
