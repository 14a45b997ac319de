"""Table definitions. Alembic migrations in ``acsa/migrations`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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

# Facts recorded on an agreement after it was added, in order (migration 0007): the day a
# version entered into force once learnt ("in_force_day"), a notice of termination
# ("termination"). The agreement as loaded is its versions with these applied.
agreement_records = Table(
    "agreement_records",
    metadata,
    Column("agreement_id", ForeignKey("agreements.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("body", JSON, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
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
    # The order's name on every node that holds it (a UUID; migration 0004).
    Column("uid", String(36), unique=True),
    # What the order attests (domain Attestations as JSON; NULL when nothing; migration 0007).
    Column("attestations", JSON),
    # What the orders list searches and sorts by, kept as the order is stored (migration
    # 0008): its words case-folded (domain/order_search.py) and its value in minor units.
    Column("search_text", Text, nullable=False, server_default=""),
    Column("total_minor", BigInteger, nullable=False, server_default="0"),
    # The implementing arrangement the order names (migration 0022): its reference as the
    # order says it, and the arrangement of this node's registry it resolves to (NULL when
    # none is named, or a partner's order names one this node does not hold).
    Column("arrangement", String(64)),
    Column("arrangement_id", ForeignKey("arrangements.id"), index=True),
    Index("ix_orders_order_date_id", "order_date", "id"),
    Index("ix_orders_currency_total_minor_id", "currency", "total_minor", "id"),
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

#: Remarks on an order (``orders note``): they change nothing of the order, so they are rows
#: of their own, appended and never changed.
order_notes = Table(
    "order_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("nation", String(3)),
    Column("note", Text, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- settlement and the ledger (migration 0002) ---------------------------------------------

# One entry is one balanced transaction in one nation's book ("book") with one partner.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("book", String(3), nullable=False),
    Column("partner", String(3), nullable=False),
    Column("order_id", ForeignKey("orders.id"), index=True),
    Column("kind", String(32), nullable=False),
    # What the entry stands on: "receipt 3 of order 12", "invoice JPN-2026-000004", ...
    Column("document", String(200), nullable=False),
    Column("effective", Date, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("memo", Text, nullable=False),
    # Indexed (migration 0015): whether an entry was taken back is asked of every receipt.
    Column("reverses", ForeignKey("ledger_entries.id"), index=True),
    Index("ix_ledger_entries_book_partner_effective", "book", "partner", "effective"),
)

# Debits positive, credits negative, in the currency's minor unit; an entry sums to zero per
# currency. Book, partner and date are repeated here so balances as of a date need no join.
ledger_postings = Table(
    "ledger_postings",
    metadata,
    Column("entry_id", ForeignKey("ledger_entries.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("book", String(3), nullable=False),
    Column("partner", String(3), nullable=False),
    Column("effective", Date, nullable=False),
    Column("account", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Index("ix_ledger_postings_book_partner_effective", "book", "partner", "effective"),
)

# Running balances, kept in the same transaction as the postings; always equal to a recompute.
ledger_balances = Table(
    "ledger_balances",
    metadata,
    Column("book", String(3), primary_key=True),
    Column("partner", String(3), primary_key=True),
    Column("account", String(32), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
)

# Period balances (migration 0014): the postings of each month (``month`` its first day) per
# account, summed (``amount_minor``) and split into debits and credits (both positive). Kept in
# the same transaction as the postings, so a statement's opening and totals read a row per
# month instead of every posting; always equal to a recompute.
ledger_months = Table(
    "ledger_months",
    metadata,
    Column("book", String(3), primary_key=True),
    Column("partner", String(3), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("account", String(32), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("debit_minor", BigInteger, nullable=False),
    Column("credit_minor", BigInteger, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("issuer", String(3), nullable=False),
    Column("debtor", String(3), nullable=False),
    Column("kind", String(16), nullable=False),  # "cash" or "conversion"
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("issued", Date, nullable=False),
    Column("due", Date, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", ForeignKey("invoices.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid", Date, nullable=False),
    Column("reference", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
)

# Replacements in kind, equal value exchanges and conversions of overdue in-kind debt to cash.
settlements = Table(
    "settlements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("value_minor", BigInteger, nullable=False),
    Column("effective", Date, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("agreed_by", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
)

# Corrections (migration 0017): a void of an invoice, a reversal of one of its payments, a
# credit note reducing what it bills; never an edit of the invoice or the payment.
corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("invoice_id", ForeignKey("invoices.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # "void", "reversal" or "credit"
    Column("payment_id", ForeignKey("payments.id"), unique=True),
    Column("number", String(40), unique=True),  # a credit note's number
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("effective", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    # A void's invoice (null for the others): one void per invoice.
    Column("voids", ForeignKey("invoices.id"), unique=True),
)

# Named counters (invoice numbers per issuer and year), incremented inside the transaction.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

# Reference rates: units of ``currency`` per 1 EUR on ``day`` (the ECB layout).
fx_rates = Table(
    "fx_rates",
    metadata,
    Column("day", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("per_eur", String(40), nullable=False),
    Column("source", Text, nullable=False),
)

# Official rates a nation sets for a whole fiscal year (Japan: the rate for disbursements,
# migration 0007): ``rate`` units of the nation's own currency per 1 unit of ``currency``.
official_rates = Table(
    "official_rates",
    metadata,
    Column("nation", String(3), primary_key=True),
    Column("fiscal_year", Integer, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("rate", String(40), nullable=False),
    Column("source", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
)

# --- accounts, the audit log and idempotency keys (migration 0003) ---------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("nation", String(3), nullable=False, index=True),
    # Role names, comma-separated (acsa.domain.access.Role).
    Column("roles", String(200), nullable=False),
    Column("password_hash", Text),  # argon2id; NULL: token sign-in only
    Column("language", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Who the user is on a signed form (migration 0010): NULL where not given.
    Column("full_name", String(200)),
    Column("rank", String(64)),
    Column("position", String(200)),
    Column("unit", String(200)),
    # Notices by e-mail (migration 0024): the address, and how: off, each, digest.
    Column("email", String(254)),
    Column("notify", String(8), nullable=False, server_default="off"),
)

# Designated officials (migration 0016): a user of a nation designated for a role on its side
# (ordering, accepting, receiving, certifying), with an authority limit, a validity period and
# the reference of the letter or order that designated them. Ended, never deleted.
designations = Table(
    "designations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nation", String(3), nullable=False, index=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("limit_minor", BigInteger, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("reference", String(200), nullable=False),
    Column("reference_date", Date, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("ended_on", Date),
    Column("ended_reason", Text),
    Column("ended_at", UtcDateTime()),
    Column("ended_by", String(200)),
)

# Approvals of drafts before submission (migration 0019): one row per approval of a tier or
# return of a draft, dated and attributed (the approver's name, rank and position as their
# profile had them); cleared (returned or edited since), never deleted.
order_approvals = Table(
    "order_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("tier", Integer),
    Column("currency", String(3)),
    Column("threshold_minor", BigInteger),
    Column("actor", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("rank", String(64), nullable=False),
    Column("position", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("cleared_at", UtcDateTime()),
)

# Personal API tokens: only their SHA-256 is kept (tokens are 256 random bits, so a fast hash
# is enough and lets a request find its token with one indexed lookup).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
)

# Signed-in browser sessions (the web UI): the cookie's SHA-256 and the form token.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

# Failed sign-ins per account name as typed (kind "account") and per client address (kind
# "address"), for the throttle of acsa.domain.sign_in (migration 0005). A row is forgotten
# after a quiet period unless it is locked; an admin unlocks it.
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime(), nullable=False),
    Column("locked_at", UtcDateTime()),
)

# Append-only; each record's hash covers its content and the previous record's hash.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("nation", String(3)),
    Column("action", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("order_id", Integer, index=True),
    Column("before", JSON),
    Column("after", JSON),
    # Ledger entries written in the same transaction: id ranges and a digest of their content.
    Column("entries", JSON),
    # Digests of the business rows the change wrote, per scope (migration 0006).
    Column("rows", JSON),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# A POST's Idempotency-Key, written in the same transaction as the change it made.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(500), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("status_code", Integer),
    Column("response", Text),
)


# --- national nodes: partners, signed documents, the outbox (migration 0004) -----------------

# Partner nations' nodes: where to send documents, and the key their documents must carry.
partners = Table(
    "partners",
    metadata,
    Column("nation", String(3), primary_key=True),
    Column("url", Text, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("fingerprint", String(39), nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Every key a nation's node signed with (this node's own and its partners'), with its window:
# from when, until when (a replaced key: the end of its grace period) and since when revoked.
node_keys = Table(
    "node_keys",
    metadata,
    Column("nation", String(3), primary_key=True),
    Column("fingerprint", String(39), primary_key=True),
    Column("public_key", Text, nullable=False),
    Column("since", UtcDateTime(), nullable=False),
    Column("until", UtcDateTime(), nullable=True),
    Column("revoked", UtcDateTime(), nullable=True),
)

# The partner's registry as its node sent it (registry documents): each agreement version
# between the two and each official rate of either nation, as the partner records it.
partner_registry = Table(
    "partner_registry",
    metadata,
    Column("partner", String(3), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("key", String(200), primary_key=True),
    # The agreement's id (every version of it comes in one document) or the rate's key.
    Column("subject", String(200), nullable=False),
    # The entry as the document carried it (canonical JSON).
    Column("body", Text, nullable=False),
    Column("document_id", String(36), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

# Every signed document of an order, issued here or received; each order's form a chain.
documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_uid", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("issuer", String(3), nullable=False, index=True),
    Column("recipient", String(3), nullable=False, index=True),
    Column("key", String(39), nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    # The document exactly as signed and sent (canonical JSON with its signature).
    Column("wire", Text, nullable=False),
    Column("origin", String(8), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("order_uid", "seq", name="uq_documents_order_uid_seq"),
)

# Documents of an order that lost their place in its chain to the order's supplier's document
# (``acsa.domain.forks``): a partner's document set aside here ("set_aside"), or one of ours
# taken back here ("rolled_back") and issued again after the supplier's ("reissued", its new
# document ``reissued_as``) or not ("dropped", with the code of the refusal). Kept for good.
fork_documents = Table(
    "fork_documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_uid", String(36), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("issuer", String(3), nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("wire", Text, nullable=False),
    Column("fate", String(16), nullable=False),
    # The document that holds the place (its hash), and the one that took it (its id).
    Column("winner", String(64), nullable=False),
    Column("winner_id", String(36), nullable=False),
    Column("reissued_as", String(36)),
    Column("code", String(64)),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

# Documents to deliver to a partner's node, in order; retried with backoff until answered.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, unique=True),
    Column("partner", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text),
    Column("code", String(64)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime()),
    Index("ix_outbox_partner_status", "partner", "status", "id"),
)

# Source documents (issue 19): each file's bytes once, named by their SHA-256, and each time a
# file is attached to an order (or one of its steps): its type, size and name as attached, who
# attached it, for which nation, and when. The bytes live in the database (no directory to
# keep beside it), on SQLite and PostgreSQL alike.
attachment_blobs = Table(
    "attachment_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", UtcDateTime(), nullable=False),
)

order_attachments = Table(
    "order_attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("sha256", ForeignKey("attachment_blobs.sha256"), nullable=False, index=True),
    Column("media_type", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("name", String(120), nullable=False),
    # The step it backs (delivery, receipt, invoice, payment, settlement) and its reference;
    # both null for a file of the order as a whole.
    Column("step_kind", String(16)),
    Column("step_ref", String(40)),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("nation", String(3)),
)

# Disputes (issue 19): a party's objection to a receipt, invoice or settlement of an order (its
# step as source documents name it), the amount disputed, and the other side's answer once
# given (status open, resolved or withdrawn). ``number`` is the opening node's, the same on
# both nodes.
disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("number", String(40), nullable=False),
    Column("step_kind", String(16), nullable=False),
    Column("step_ref", String(40), nullable=False),
    Column("ground", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("evidence", String(64)),
    Column("opened_by", String(3), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("opened", Date, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("resolution", String(16)),
    Column("agreed_minor", BigInteger),
    Column("answer_note", Text),
    Column("credit_note", String(40)),
    Column("answered_by", String(3)),
    Column("answer_actor", String(200)),
    Column("answered", Date),
    Column("answered_at", UtcDateTime()),
    UniqueConstraint("order_id", "number", name="uq_disputes_order_id_number"),
)

# Implementing arrangements under an agreement (issue 20, migration 0022;
# acsa.domain.arrangements): the dates and payment term as columns, what each side names
# (offices, points of contact, fund citation), the ceilings and notes in ``body`` (JSON).
arrangements = Table(
    "arrangements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", ForeignKey("agreements.id"), nullable=False, index=True),
    Column("reference", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("signed", Date, nullable=False),
    Column("in_force", Date, nullable=False),
    Column("ended", Date),
    Column("payment_term_days", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("agreement_id", "reference", name="uq_arrangements_agreement_id_reference"),
)

# --- notices and the scheduler (issue 20, migration 0021) ------------------------------------

# What acsa tells people (acsa.domain.notices): one row per event and nation, made once (``key``
# is the event's idempotency key, naming kind, subject, marker and nation), stored without words
# (``kind`` and ``params`` are written in each reader's language when shown or sent).
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("nation", String(3), nullable=False, index=True),
    # acsa role names it goes to, comma-separated (acsa.domain.access.Role).
    Column("roles", String(100), nullable=False),
    Column("order_id", Integer, index=True),
    Column("subject", String(200), nullable=False),
    Column("params", JSON, nullable=False),
    Column("due", Date),
    Column("as_of", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Each notice in the inbox of each active user it went to; read once read.
notice_inbox = Table(
    "notice_inbox",
    metadata,
    Column("notice_id", ForeignKey("notices.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("read_at", UtcDateTime()),
    Index("ix_notice_inbox_user_id_read_at", "user_id", "read_at"),
)

# The scheduler's lease (acsa.api.scheduler): among the server processes on one database only
# the holder of a lease not expired runs the job it names.
scheduler_leases = Table(
    "scheduler_leases",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

# A daily job (the deadline sweep, the audit check) done for a day: claimed once per day across
# all processes by inserting its row.
scheduler_days = Table(
    "scheduler_days",
    metadata,
    Column("job", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)


# A nation's webhooks (migration 0024): each notice of the nation (of ``kinds``; none: every
# kind) POSTed to ``url``, signed with ``secret`` (HMAC-SHA256; shown once, when made).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nation", String(3), nullable=False, index=True),
    Column("url", String(500), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
)

# One notice to one e-mail address (``email``, or a line of the daily ``digest``) or one webhook
# (``webhook:<id>``): planned once per notice and target, claimed by one runner at a time.
notice_deliveries = Table(
    "notice_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", ForeignKey("notices.id"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("target", String(300), nullable=False),
    Column("user_id", ForeignKey("users.id")),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("last_error", Text),
    UniqueConstraint("notice_id", "channel", "target", name="uq_notice_deliveries_notice_id"),
    Index("ix_notice_deliveries_state_next_at", "state", "next_at"),
)

# The delivery log: each attempt of each delivery, what came of it and how long it took.
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", ForeignKey("notice_deliveries.id"), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)

# --- the nation's general ledger (issue 20, migration 0023) ---------------------------------

# A nation's rules mapping acsa's accounts to its general-ledger codes: per account, partner
# ('*': any) and currency ('*': any); the most specific rule wins (acsa.domain.gl_mapping).
gl_mappings = Table(
    "gl_mappings",
    metadata,
    Column("nation", String(3), primary_key=True),
    Column("account", String(32), primary_key=True),
    Column("partner", String(3), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("gl_code", String(40), nullable=False),
    Column("fund_citation", String(200)),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
)

# Each journal export recorded (``--new``): the entries after ``after_entry_id`` up to
# ``last_entry_id`` of the nation's book; the next ``--new`` export starts after the last one.
# One export per starting point: two exports racing from the same mark cannot both record.
journal_exports = Table(
    "journal_exports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nation", String(3), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("since", Date),
    Column("until", Date, nullable=False),
    Column("after_entry_id", Integer, nullable=False),
    Column("last_entry_id", Integer, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("format", String(8), nullable=False),
    UniqueConstraint("nation", "after_entry_id", name="uq_journal_exports_nation_after_entry_id"),
)
