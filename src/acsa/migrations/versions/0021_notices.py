"""Notices: what acsa tells people (the inbox), and the scheduler's lease and daily runs.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
