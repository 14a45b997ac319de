"""Period balances: the postings of each month per book, partner, account and currency,
summed and split into debits and credits, back-filled from the postings stored.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: The first day of a posting's month, per dialect (SQLite keeps dates as ISO text).
_MONTH = {
    "sqlite": "substr(effective, 1, 7) || '-01'",
    "postgresql": "CAST(date_trunc('month', effective) AS DATE)",
}


COLUMNS = (
    "book",
    "partner",
    "month",
    "account",
    "currency",
    "amount_minor",
    "debit_minor",
    "credit_minor",
)


def upgrade() -> None:
    op.create_table(
        "ledger_months",
        sa.Column("book", sa.String(length=3), nullable=False),
        sa.Column("partner", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("debit_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "book", "partner", "month", "account", "currency", name=op.f("pk_ledger_months")
        ),
    )
    month: sa.ColumnClause[Any] = sa.literal_column(_MONTH[op.get_bind().dialect.name])
    amount = sa.column("amount_minor", sa.BigInteger())
    postings = sa.table(
        "ledger_postings",
        sa.column("book"),
        sa.column("partner"),
        sa.column("account"),
        sa.column("currency"),
        amount,
    )
    months = sa.table(
        "ledger_months",
        *(sa.column(name) for name in COLUMNS),
    )
    p = postings.c
    summed = sa.select(
        p.book,
        p.partner,
        month,
        p.account,
        p.currency,
        sa.func.sum(amount),
        sa.func.sum(sa.case((amount > 0, amount), else_=0)),
        sa.func.sum(sa.case((amount < 0, -amount), else_=0)),
    ).group_by(p.book, p.partner, month, p.account, p.currency)
    op.execute(
        months.insert().from_select(
            list(COLUMNS),
            summed,
        )
    )


def downgrade() -> None:
    op.drop_table("ledger_months")
