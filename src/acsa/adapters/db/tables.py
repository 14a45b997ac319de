"""Table definitions. Alembic migrations in ``acsa/migrations`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from acsa.adapters.db.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("party_a", String(3), nullable=False, index=True),
    Column("party_b", String(3), nullable=False, index=True),
    Column("forces", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", ForeignKey("agreements.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("label", String(200), nullable=False),
    # Partial dates: YYYY, YYYY-MM or YYYY-MM-DD, as the sources give them.
    Column("signed", String(10), nullable=False),
    Column("in_force", String(10)),
    Column("ended", String(10)),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", ForeignKey("agreements.id"), nullable=False, index=True),
    Column("requester", String(3), nullable=False, index=True),
    Column("supplier", String(3), nullable=False, index=True),
    Column("activity", String(64), nullable=False),
    Column("settlement", String(32), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("needed_by", Date, nullable=False),
    Column("location", Text, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("version", Integer, nullable=False),
    Column("operation", Text),
    Column("requester_unit", Text),
    Column("supplier_unit", Text),
    Column("fund_citation", Text),
    Column("partner_reference", Text),
    Column("remarks", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Quantities are exact decimals kept as text; prices are integers in the currency's minor unit.
order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("category", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("nsn", String(32)),
    Column("unit", String(32), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity_accepted", String(40)),
    Column("quantity_delivered", String(40), nullable=False),
    Column("quantity_received", String(40), nullable=False),
    Column("quantity_short", String(40), nullable=False),
)

order_events = Table(
    "order_events",
    metadata,
    Column("order_id", Integer, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("action", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("from_status", String(32)),
    Column("to_status", String(32), nullable=False),
    Column("details", JSON, nullable=False),
    ForeignKeyConstraint(["order_id"], ["orders.id"]),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
