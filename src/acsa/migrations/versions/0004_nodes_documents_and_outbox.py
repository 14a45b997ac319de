"""National nodes: order uids, partners, signed documents and the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:40:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from acsa.adapters.db.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=36), nullable=True))
    # Orders placed before nodes existed get their uid now.
    conn = op.get_bind()
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    ids = [row[0] for row in conn.execute(sa.select(orders.c.id).where(orders.c.uid.is_(None)))]
    for order_id in ids:
        conn.execute(orders.update().where(orders.c.id == order_id).values(uid=str(uuid.uuid4())))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_orders_uid"), ["uid"])

    op.create_table(
        "partners",
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=39), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nation", name=op.f("pk_partners")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_uid", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=3), nullable=False),
        sa.Column("recipient", sa.String(length=3), nullable=False),
        sa.Column("key", sa.String(length=39), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("wire", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("order_uid", "seq", name="uq_documents_order_uid_seq"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_issuer"), ["issuer"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_recipient"), ["recipient"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("partner", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_outbox_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("document_id", name=op.f("uq_outbox_document_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_partner_status", ["partner", "status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_partner_status")
    op.drop_table("outbox")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_recipient"))
        batch_op.drop_index(batch_op.f("ix_documents_issuer"))
    op.drop_table("documents")
    op.drop_table("partners")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_orders_uid"), type_="unique")
        batch_op.drop_column("uid")
