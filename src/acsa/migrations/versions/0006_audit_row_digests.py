"""The audit log's row digests: each record states the content of the business rows its change
wrote (orders, lines, history, invoices, payments, settlements, users, agreements), so
``acsa audit verify`` can tell a row changed behind acsa's back.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rows", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("rows")
