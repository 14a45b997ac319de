"""Who a user is on a signed form (``acsa users profile``): their full name, rank or grade,
position and unit, printed beside each signature of the order form.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = (
    ("full_name", 200),
    ("rank", 64),
    ("position", 200),
    ("unit", 200),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name, _length in reversed(COLUMNS):
            batch_op.drop_column(name)
