"""Each nation's mapping of acsa's accounts to its general-ledger codes, and journal exports.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
