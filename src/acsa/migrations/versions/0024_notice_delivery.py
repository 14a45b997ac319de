"""Notices by e-mail and webhook: people's addresses and choices, webhooks, deliveries and their attempts.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
