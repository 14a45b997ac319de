"""An index on the entry a ledger entry reverses: "was this entry taken back?" is asked of
every receipt when the dashboard, the overdue list and the annual report build the orders'
accounts, and without it each question read every ledger entry.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_ledger_entries_reverses"), "ledger_entries", ["reverses"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_entries_reverses"), table_name="ledger_entries")
