"""The business rows the audit log vouches for: which columns of which tables, how each row is
named (table, key, scope), and the two ways of reading them: the rows of some aggregates (when a
change commits) and every row, streamed in chunks (for ``acsa audit verify``).

A scope is one table of one aggregate: an order (its row, lines, history events, notes,
attached files (each attaching: the file's hash, type, size, name, step, who and when),
disputes (each with its answer once given),
invoices, the payments of those invoices, settlements), a user (its row) or an agreement (its
row, versions, records of facts learnt later).
Only the columns listed here are digested: a column added later for bookkeeping of its own (a
sign-in counter, say) does not make a row look changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Column, Connection, Integer, Select, Table, bindparam, select

from acsa.adapters.db import tables as t
from acsa.domain.audit import row_digest

#: Rows fetched per round trip when streaming a whole table.
STREAM_CHUNK_ROWS = 5000
#: Aggregates per ``IN (...)`` when reading some aggregates' rows.
IDS_PER_QUERY = 500

ORDER = "order"
USER = "user"
AGREEMENT = "agreement"


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One table's rows as the audit log sees them.

    Attributes:
        table: the table.
        kind: the aggregate kind its rows belong to (``order``, ``user``, ``agreement``).
        columns: the columns digested, in order.
        keys: the columns naming a row (joined with ``/``).
        owner: the column (possibly of a joined table) naming the aggregate.
        join: the table joined to reach ``owner`` and how, when it is not in ``table``.
        later: columns added after rows were first digested: digested after ``columns``,
            each only when it holds a value, so a row written before the column existed
            keeps the digest the log recorded for it.
    """

    table: Table
    kind: str
    columns: tuple[Column[Any], ...]
    keys: tuple[Column[Any], ...]
    owner: Column[Any]
    join: tuple[Table, Any] | None = None
    later: tuple[Column[Any], ...] = ()

    @property
    def name(self) -> str:
        return self.table.name

    def query(self) -> Select[Any]:
        source: Any = self.table
        if self.join is not None:
            source = self.table.join(self.join[0], self.join[1])
        return (
            select(self.owner.label("owner_"), *self.keys, *self.columns, *self.later)
            .select_from(source)
            .order_by(*self.keys)
        )

    def named(self, row: Sequence[Any]) -> tuple[str, str, str]:
        """(scope, key, digest) of one row of :meth:`query`."""
        count = len(self.keys)
        key = str(row[1]) if count == 1 else "/".join(str(v) for v in row[1 : 1 + count])
        end = 1 + count + len(self.columns)
        values = [*row[1 + count : end], *(v for v in row[end:] if v is not None)]
        return f"{self.kind}:{row[0]}", key, row_digest(self.table.name, values)


def _columns(table: Table, *names: str) -> tuple[Column[Any], ...]:
    return tuple(table.c[name] for name in names)


o, ol, oe, inv, pay, st, cor = (
    t.orders,
    t.order_lines,
    t.order_events,
    t.invoices,
    t.payments,
    t.settlements,
    t.corrections,
)
u, ag, av, ar = t.users, t.agreements, t.agreement_versions, t.agreement_records

#: Every table the audit log vouches for, in the order verify reports them.
SPECS: tuple[RowSpec, ...] = (
    RowSpec(
        o,
        ORDER,
        _columns(
            o,
            "id",
            "uid",
            "agreement_id",
            "requester",
            "supplier",
            "activity",
            "settlement",
            "order_date",
            "needed_by",
            "location",
            "status",
            "currency",
            "version",
            "operation",
            "requester_unit",
            "supplier_unit",
            "fund_citation",
            "partner_reference",
            "remarks",
            "created_at",
        ),
        (o.c.id,),
        o.c.id,
        later=(o.c.attestations, o.c.arrangement),
    ),
    RowSpec(
        ol,
        ORDER,
        _columns(
            ol,
            "order_id",
            "number",
            "category",
            "description",
            "nsn",
            "unit",
            "quantity",
            "unit_price_minor",
            "currency",
            "quantity_accepted",
            "quantity_delivered",
            "quantity_received",
            "quantity_short",
        ),
        (ol.c.order_id, ol.c.number),
        ol.c.order_id,
    ),
    RowSpec(
        oe,
        ORDER,
        _columns(
            oe, "order_id", "seq", "action", "at", "actor", "from_status", "to_status", "details"
        ),
        (oe.c.order_id, oe.c.seq),
        oe.c.order_id,
    ),
    RowSpec(
        t.order_notes,
        ORDER,
        _columns(t.order_notes, "id", "order_id", "at", "actor", "nation", "note"),
        (t.order_notes.c.id,),
        t.order_notes.c.order_id,
    ),
    RowSpec(
        t.order_attachments,
        ORDER,
        _columns(
            t.order_attachments,
            "id",
            "order_id",
            "sha256",
            "media_type",
            "size",
            "name",
            "step_kind",
            "step_ref",
            "at",
            "actor",
            "nation",
        ),
        (t.order_attachments.c.id,),
        t.order_attachments.c.order_id,
    ),
    # Approvals and returns of a draft before commitment (issue 19), vouched with the order.
    RowSpec(
        t.order_approvals,
        ORDER,
        _columns(
            t.order_approvals,
            "id",
            "order_id",
            "kind",
            "tier",
            "currency",
            "threshold_minor",
            "actor",
            "name",
            "rank",
            "position",
            "comment",
            "at",
            "cleared_at",
        ),
        (t.order_approvals.c.id,),
        t.order_approvals.c.order_id,
    ),
    RowSpec(
        t.disputes,
        ORDER,
        _columns(
            t.disputes,
            "id",
            "order_id",
            "number",
            "step_kind",
            "step_ref",
            "ground",
            "reason",
            "currency",
            "amount_minor",
            "evidence",
            "opened_by",
            "actor",
            "opened",
            "at",
            "status",
            "resolution",
            "agreed_minor",
            "answer_note",
            "credit_note",
            "answered_by",
            "answer_actor",
            "answered",
            "answered_at",
        ),
        (t.disputes.c.id,),
        t.disputes.c.order_id,
    ),
    RowSpec(
        inv,
        ORDER,
        _columns(
            inv,
            "id",
            "number",
            "order_id",
            "issuer",
            "debtor",
            "kind",
            "currency",
            "amount_minor",
            "issued",
            "due",
            "at",
            "actor",
        ),
        (inv.c.id,),
        inv.c.order_id,
    ),
    RowSpec(
        pay,
        ORDER,
        _columns(
            pay, "id", "invoice_id", "currency", "amount_minor", "paid", "reference", "at", "actor"
        ),
        (pay.c.id,),
        inv.c.order_id,
        (inv, pay.c.invoice_id == inv.c.id),
    ),
    RowSpec(
        st,
        ORDER,
        _columns(
            st,
            "id",
            "order_id",
            "kind",
            "currency",
            "value_minor",
            "effective",
            "lines",
            "agreed_by",
            "note",
            "at",
            "actor",
        ),
        (st.c.id,),
        st.c.order_id,
    ),
    RowSpec(
        cor,
        ORDER,
        _columns(
            cor,
            "id",
            "order_id",
            "invoice_id",
            "kind",
            "payment_id",
            "number",
            "currency",
            "amount_minor",
            "effective",
            "reason",
            "at",
            "actor",
            "voids",
        ),
        (cor.c.id,),
        cor.c.order_id,
    ),
    RowSpec(
        u,
        USER,
        _columns(u, "id", "name", "nation", "roles", "password_hash", "active"),
        (u.c.id,),
        u.c.name,
    ),
    # A user's designations as an official (issue 19): who may commit their nation, up to
    # what value, is vouched for with the user.
    RowSpec(
        t.designations,
        USER,
        _columns(
            t.designations,
            "id",
            "nation",
            "user_id",
            "role",
            "currency",
            "limit_minor",
            "valid_from",
            "valid_until",
            "reference",
            "reference_date",
            "at",
            "actor",
            "ended_on",
            "ended_reason",
            "ended_at",
            "ended_by",
        ),
        (t.designations.c.id,),
        u.c.name,
        (u, t.designations.c.user_id == u.c.id),
    ),
    RowSpec(
        ag,
        AGREEMENT,
        _columns(ag, "id", "title", "party_a", "party_b", "forces", "created_at"),
        (ag.c.id,),
        ag.c.id,
    ),
    RowSpec(
        av,
        AGREEMENT,
        _columns(av, "agreement_id", "version", "label", "signed", "in_force", "ended", "body"),
        (av.c.agreement_id, av.c.version),
        av.c.agreement_id,
    ),
    RowSpec(
        ar,
        AGREEMENT,
        _columns(ar, "agreement_id", "seq", "kind", "body", "at", "actor"),
        (ar.c.agreement_id, ar.c.seq),
        ar.c.agreement_id,
    ),
)

BY_NAME = {spec.name: spec for spec in SPECS}
#: The tables of each kind of aggregate.
TABLES_OF: dict[str, tuple[str, ...]] = {
    kind: tuple(s.name for s in SPECS if s.kind == kind) for kind in (ORDER, USER, AGREEMENT)
}

Rows = dict[str, dict[str, dict[str, str]]]


def aggregate_rows(
    conn: Connection, kind: str, owners: Collection[Any] | None, tables: Collection[str]
) -> Rows:
    """{aggregate: {table: {key: digest}}} of ``owners`` (order ids, user names, agreement
    ids; None: every one) in ``tables`` of that kind, as stored now; a table with no rows for
    an aggregate is there, empty (its rows were all removed)."""
    specs = [s for s in SPECS if s.kind == kind and s.name in tables]
    found: Rows = {}
    if owners is not None:
        for owner in owners:
            found[f"{kind}:{owner}"] = {s.name: {} for s in specs}
    ordered = sorted(owners, key=str) if owners is not None else None
    names = [s.name for s in specs]
    for spec in specs:
        name = spec.name
        for row in _rows_of(conn, spec, ordered):
            scope, key, digest = spec.named(row)
            held = found.get(scope)
            if held is None:
                held = found[scope] = {n: {} for n in names}
            held[name][key] = digest
    return found


#: Each table's query of some aggregates' rows, built once (every commit runs them: building
#: the statement again each time cost more than running it).
_OF_OWNERS: dict[str, Select[Any]] = {}


def _of_owners(spec: RowSpec) -> Select[Any]:
    found = _OF_OWNERS.get(spec.name)
    if found is None:
        owners: BindParameter[Any] = bindparam("owners", expanding=True)
        found = _OF_OWNERS[spec.name] = spec.query().where(spec.owner.in_(owners))
    return found


def _rows_of(conn: Connection, spec: RowSpec, owners: Sequence[Any] | None) -> Iterator[Any]:
    if owners is None:
        yield from conn.execute(spec.query())
        return
    query = _of_owners(spec)
    for start in range(0, len(owners), IDS_PER_QUERY):
        chunk = list(owners[start : start + IDS_PER_QUERY])
        yield from conn.execute(query, {"owners": chunk})


def stream_rows(conn: Connection, spec: RowSpec) -> Iterator[tuple[str, str, str]]:
    """(scope, key, digest) of every row of ``spec``'s table, in key order, read in chunks."""
    result = conn.execute(spec.query().execution_options(yield_per=STREAM_CHUNK_ROWS))
    for partition in result.partitions():
        for row in partition:
            yield spec.named(row)


def visible_scopes(conn: Connection, scopes: Collection[str], nation: str) -> set[str]:
    """Those of ``scopes`` that ``nation`` may see: its orders, its people, its agreements."""
    by_kind: dict[str, list[str]] = {}
    for scope in scopes:
        kind, _, owner = scope.partition(":")
        by_kind.setdefault(kind, []).append(owner)
    seen: set[str] = set()
    orders = [int(i) for i in by_kind.get(ORDER, []) if i.isdigit()]
    for start in range(0, len(orders), IDS_PER_QUERY):
        chunk = orders[start : start + IDS_PER_QUERY]
        query = select(o.c.id).where(
            o.c.id.in_(chunk), (o.c.requester == nation) | (o.c.supplier == nation)
        )
        seen.update(f"{ORDER}:{i}" for i in conn.execute(query).scalars())
    users = by_kind.get(USER, [])
    if users:
        query = select(u.c.name).where(u.c.name.in_(users), u.c.nation == nation)
        seen.update(f"{USER}:{n}" for n in conn.execute(query).scalars())
    agreements = by_kind.get(AGREEMENT, [])
    if agreements:
        query = select(ag.c.id).where(
            ag.c.id.in_(agreements), (ag.c.party_a == nation) | (ag.c.party_b == nation)
        )
        seen.update(f"{AGREEMENT}:{i}" for i in conn.execute(query).scalars())
    return seen


def written_rows(
    conn: Connection,
    pending: Sequence[Any],
    written: Collection[str],
    covered: dict[str, set[Any]],
) -> Rows | None:
    """The digests an audit record keeps of a commit's business rows: for each table written,
    the rows of the aggregates the change's records name (their ``order_id``, a ``user:``
    subject; every agreement, a small table), plus every table of the aggregates a bulk writer
    ``covered``. None when the commit wrote no business row."""
    rows: Rows = {}
    orders_written = [n for n in TABLES_OF[ORDER] if n in written]
    if orders_written:
        ids = {r.order_id for r in pending if r.order_id is not None}
        ids -= covered.get(ORDER, set())
        if ids:
            _merge(rows, aggregate_rows(conn, ORDER, ids, orders_written))
    users_written = [n for n in TABLES_OF[USER] if n in written]
    if users_written:
        names = {r.subject[len(USER) + 1 :] for r in pending if r.subject.startswith(USER + ":")}
        _merge(rows, aggregate_rows(conn, USER, names or None, users_written))
    agreements_written = [n for n in TABLES_OF[AGREEMENT] if n in written]
    if agreements_written:
        _merge(rows, aggregate_rows(conn, AGREEMENT, None, TABLES_OF[AGREEMENT]))
    for kind, owners in covered.items():
        if owners:
            _merge(rows, aggregate_rows(conn, kind, owners, TABLES_OF[kind]))
    return rows or None


def _merge(into: Rows, more: Rows) -> None:
    for scope, tables in more.items():
        into.setdefault(scope, {}).update(tables)


def every_owner(conn: Connection) -> dict[str, list[Any]]:
    """Every aggregate stored, per kind: order ids, user names, agreement ids."""
    return {
        ORDER: list(conn.execute(select(o.c.id).order_by(o.c.id)).scalars()),
        USER: list(conn.execute(select(u.c.name).order_by(u.c.name)).scalars()),
        AGREEMENT: list(conn.execute(select(ag.c.id).order_by(ag.c.id)).scalars()),
    }


def stored_row(conn: Connection, table: str, key: str) -> dict[str, Any] | None:
    """The row of ``table`` named ``key`` (as verify names rows), its digested columns."""
    spec = BY_NAME[table]
    parts = key.split("/")
    if len(parts) != len(spec.keys):
        return None
    try:
        values = [
            int(p) if isinstance(c.type, Integer) else p
            for c, p in zip(spec.keys, parts, strict=True)
        ]
    except ValueError:
        return None
    query = select(*spec.columns).where(*(c == v for c, v in zip(spec.keys, values, strict=True)))
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)
