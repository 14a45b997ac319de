"""Repositories: load and store agreements and orders through SQLAlchemy Core."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    null,
    or_,
    select,
    update,
)

from acsa.adapters.db import tables as t
from acsa.domain.agreement import Agreement, AgreementVersion
from acsa.domain.agreement_records import Record, with_records
from acsa.domain.ceilings import COUNTED_STATUSES, Acquired, acquired
from acsa.domain.errors import AcsaError, Code
from acsa.domain.fiscal import FiscalYear
from acsa.domain.money import from_minor, to_minor
from acsa.domain.order import Action, Attestations, Event, Order, OrderLine, OrderStatus
from acsa.domain.order_search import (
    STATUS_RANK,
    OrderPage,
    OrderQuery,
    order_words,
    search_text,
)
from acsa.services.ports import Note

_LATEST_VERSION = select(
    select(func.max(t.agreement_versions.c.version))
    .where(t.agreement_versions.c.agreement_id == bindparam("id"))
    .scalar_subquery(),
    select(func.max(t.agreement_versions.c.created_at))
    .where(t.agreement_versions.c.agreement_id == bindparam("id"))
    .scalar_subquery(),
    select(func.max(t.agreement_records.c.seq))
    .where(t.agreement_records.c.agreement_id == bindparam("id"))
    .scalar_subquery(),
)

#: Agreements already parsed, per engine, keyed by (id, latest version, when a version was
#: last written, last record). People's changes are append-only (an amendment adds a version,
#: a learnt day or a notice of termination adds a record); only ``acsa init`` rewrites a
#: shipped version the registry corrected, stamping it anew: the key names one content.
_PARSED: WeakKeyDictionary[Engine, dict[tuple[str, int, str, int], Agreement]] = WeakKeyDictionary()


class AgreementRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, agreement_id: str) -> Agreement | None:
        latest, written, last_record = self.conn.execute(
            _LATEST_VERSION, {"id": agreement_id}
        ).one()
        if latest is None:
            return None
        parsed = _PARSED.setdefault(self.conn.engine, {})
        key = (agreement_id, int(latest), str(written), int(last_record or 0))
        if key not in parsed:
            found = self._load(t.agreements.c.id == agreement_id)
            if not found:
                return None
            parsed[key] = found[0]
        return parsed[key]

    def find(self, party: str | None = None) -> list[Agreement]:
        where = None
        if party:
            where = or_(t.agreements.c.party_a == party, t.agreements.c.party_b == party)
        return self._load(where)

    def _load(self, where: Any) -> list[Agreement]:
        query = select(t.agreements).order_by(t.agreements.c.id)
        if where is not None:
            query = query.where(where)
        heads = self.conn.execute(query).all()
        if not heads:
            return []
        ids = [h.id for h in heads]
        # The agreement's documents' models, imported when agreements are read: listing orders
        # (what most commands do) needs none of Pydantic.
        from acsa.schemas.orders import AgreementVersionDoc, record_from_body, version_from_doc

        version_rows = self.conn.execute(
            select(t.agreement_versions)
            .where(t.agreement_versions.c.agreement_id.in_(ids))
            .order_by(t.agreement_versions.c.agreement_id, t.agreement_versions.c.version)
        ).all()
        versions: dict[str, list[AgreementVersion]] = defaultdict(list)
        for row in version_rows:
            doc = AgreementVersionDoc.model_validate(row.body)
            versions[row.agreement_id].append(version_from_doc(doc, row.version))
        record_rows = self.conn.execute(
            select(t.agreement_records)
            .where(t.agreement_records.c.agreement_id.in_(ids))
            .order_by(t.agreement_records.c.agreement_id, t.agreement_records.c.seq)
        ).all()
        records: dict[str, list[Record]] = defaultdict(list)
        for row in record_rows:
            records[row.agreement_id].append(record_from_body(row.kind, row.body))
        return [
            with_records(
                Agreement(
                    id=h.id,
                    title=h.title,
                    parties=(h.party_a, h.party_b),
                    versions=tuple(versions[h.id]),
                    forces=dict(h.forces),
                ),
                records[h.id],
            )
            for h in heads
        ]

    def version_bodies(self, agreement_id: str) -> dict[int, Any]:
        """The stored body of each version of ``agreement_id``, as written (no records
        applied), by number."""
        query = select(t.agreement_versions.c.version, t.agreement_versions.c.body).where(
            t.agreement_versions.c.agreement_id == agreement_id
        )
        return {int(number): body for number, body in self.conn.execute(query)}

    def replace_version(self, agreement_id: str, version: AgreementVersion, now: datetime) -> None:
        """Rewrite a shipped version the registry corrected (``acsa init`` only)."""
        from acsa.schemas.orders import version_to_doc

        v = t.agreement_versions
        self.conn.execute(
            update(v)
            .where(v.c.agreement_id == agreement_id, v.c.version == version.version)
            .values(
                label=version.label,
                signed=version.signed.isoformat(),
                in_force=version.in_force.isoformat() if version.in_force else None,
                ended=version.ended.isoformat() if version.ended else None,
                body=version_to_doc(version).model_dump(mode="json"),
                created_at=now,
            )
        )

    def add_record(self, agreement_id: str, record: Record, now: datetime, actor: str) -> int:
        """Append a fact learnt about the agreement (domain/agreement_records.py); its seq."""
        last = self.conn.execute(
            select(func.max(t.agreement_records.c.seq)).where(
                t.agreement_records.c.agreement_id == agreement_id
            )
        ).scalar()
        seq = int(last or 0) + 1
        from acsa.schemas.orders import record_body

        kind, body = record_body(record)
        self.conn.execute(
            insert(t.agreement_records).values(
                agreement_id=agreement_id, seq=seq, kind=kind, body=body, at=now, actor=actor
            )
        )
        return seq

    def add(self, agreement: Agreement, now: datetime) -> None:
        self.conn.execute(
            insert(t.agreements).values(
                id=agreement.id,
                title=agreement.title,
                party_a=agreement.parties[0],
                party_b=agreement.parties[1],
                forces=dict(agreement.forces),
                created_at=now,
            )
        )
        for version in agreement.versions:
            self.add_version(agreement.id, version, now)

    def add_version(self, agreement_id: str, version: AgreementVersion, now: datetime) -> None:
        from acsa.schemas.orders import version_to_doc

        self.conn.execute(
            insert(t.agreement_versions).values(
                agreement_id=agreement_id,
                version=version.version,
                label=version.label,
                signed=version.signed.isoformat(),
                in_force=version.in_force.isoformat() if version.in_force else None,
                ended=version.ended.isoformat() if version.ended else None,
                body=version_to_doc(version).model_dump(mode="json"),
                created_at=now,
            )
        )


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# Statements built once: building a Core statement costs more than SQLite running it.
#: An order's row and its lines in one round trip: one result row per line (the order's
#: columns repeated, the line's prefixed ``l_``); an order with no line yet gives one row
#: whose line columns are null.
_LINE_PREFIX = "l_"
_ORDER_WITH_LINES = (
    select(t.orders, *(c.label(_LINE_PREFIX + c.name) for c in t.order_lines.c))
    .select_from(t.orders.outerjoin(t.order_lines, t.order_lines.c.order_id == t.orders.c.id))
    .where(t.orders.c.id == bindparam("id"))
    .order_by(t.order_lines.c.number)
)
#: The same, the order's row locked until the transaction ends, so a writer deciding on it
#: holds it (its lines are the order's: every writer of a line holds the order first).
_ORDER_WITH_LINES_HELD = _ORDER_WITH_LINES.with_for_update(of=t.orders)
_EVENTS_OF_ORDER = (
    select(t.order_events)
    .where(t.order_events.c.order_id == bindparam("id"))
    .order_by(t.order_events.c.seq)
)
_UPDATE_ORDER = (
    update(t.orders)
    .where(and_(t.orders.c.id == bindparam("o_id"), t.orders.c.version == bindparam("o_version")))
    .values(
        status=bindparam("o_status"),
        version=bindparam("o_next_version"),
        updated_at=bindparam("o_now"),
    )
)
_UPDATE_LINE = (
    update(t.order_lines)
    .where(
        and_(
            t.order_lines.c.order_id == bindparam("l_order"),
            t.order_lines.c.number == bindparam("l_number"),
        )
    )
    .values(
        quantity_accepted=bindparam("l_accepted"),
        quantity_delivered=bindparam("l_delivered"),
        quantity_received=bindparam("l_received"),
        quantity_short=bindparam("l_short"),
    )
)
_INSERT_ORDER = insert(t.orders)
_INSERT_LINES = insert(t.order_lines)
_INSERT_EVENTS = insert(t.order_events)


def _progress(order_id: int, line: OrderLine) -> dict[str, Any]:
    """The parts of a line that change after it is placed, as the UPDATE binds them."""
    return {
        "l_order": order_id,
        "l_number": line.number,
        "l_accepted": _str(line.quantity_accepted),
        "l_delivered": str(line.quantity_delivered),
        "l_received": str(line.quantity_received),
        "l_short": str(line.quantity_short),
    }


class OrderRepository:
    """Orders with their lines and events. ``Order.version`` counts the stored events: each
    change appends events and moves the version on by as many, so a stale copy is refused.

    With ``hold`` (a writing unit of work) every order :meth:`get` loads is held for the rest
    of the transaction: on PostgreSQL its row is locked (``SELECT ... FOR UPDATE``), so two
    writers deciding on one order take turns and the second decides on what the first wrote;
    SQLite's writers hold the whole database from their first statement (``BEGIN
    IMMEDIATE``), which serialises them the same way."""

    def __init__(self, conn: Connection, hold: bool = False) -> None:
        self.conn = conn
        held = hold and conn.dialect.name != "sqlite"
        self._with_lines = _ORDER_WITH_LINES_HELD if held else _ORDER_WITH_LINES
        # Lines as loaded, to write back only those that changed.
        self._loaded: dict[tuple[int, int], dict[str, Any]] = {}

    def add(self, order: Order, now: datetime) -> int:
        if order.uid is None:
            order.uid = str(uuid.uuid4())
        version = len(order.new_events)
        result = self.conn.execute(
            _INSERT_ORDER,
            {
                **self._head(order),
                "arrangement_id": self._arrangement_id(order),
                "created_at": now,
                "updated_at": now,
                "version": version,
            },
        )
        key = result.inserted_primary_key
        assert key is not None
        order.id = int(key[0])
        self.conn.execute(_INSERT_LINES, [self._line(order.id, ln) for ln in order.lines])
        self._append_events(order)
        order.version = version
        return order.id

    def update(self, order: Order, now: datetime) -> None:
        """Store the order's new state; refuses if someone else changed it meanwhile."""
        assert order.id is not None
        next_version = order.version + len(order.new_events)
        result = self.conn.execute(
            _UPDATE_ORDER,
            {
                "o_id": order.id,
                "o_version": order.version,
                "o_status": order.status.value,
                "o_next_version": next_version,
                "o_now": now,
            },
        )
        if result.rowcount != 1:
            raise AcsaError.single(
                Code.CONCURRENT_UPDATE,
                "version",
                "order {order} was changed by someone else; load it again and retry",
                order=order.id,
            )

        changed = [
            row
            for row in (_progress(order.id, line) for line in order.lines)
            if self._loaded.get((order.id, row["l_number"])) != row
        ]
        if changed:
            self.conn.execute(_UPDATE_LINE, changed)
            for row in changed:
                self._loaded[(order.id, row["l_number"])] = row
        self._append_events(order)
        order.version = next_version

    def replace_draft(self, order: Order, now: datetime) -> None:
        """Store a draft whose terms were edited: its own fields, its lines (the old ones
        deleted, the new ones inserted) and its new events, or CONCURRENT_UPDATE."""
        assert order.id is not None
        next_version = order.version + len(order.new_events)
        result = self.conn.execute(
            update(t.orders)
            .where(and_(t.orders.c.id == order.id, t.orders.c.version == order.version))
            .values(
                **self._head(order),
                arrangement_id=self._arrangement_id(order),
                version=next_version,
                updated_at=now,
            )
        )
        if result.rowcount != 1:
            raise AcsaError.single(
                Code.CONCURRENT_UPDATE,
                "version",
                "order {order} was changed by someone else; load it again and retry",
                order=order.id,
            )
        self.conn.execute(delete(t.order_lines).where(t.order_lines.c.order_id == order.id))
        self.conn.execute(_INSERT_LINES, [self._line(order.id, ln) for ln in order.lines])
        self._loaded = {k: v for k, v in self._loaded.items() if k[0] != order.id}
        self._append_events(order)
        order.version = next_version

    def _arrangement_id(self, order: Order) -> int | None:
        """The arrangement of this registry the order's reference names (None: none named,
        or one this node does not hold)."""
        if order.arrangement is None:
            return None
        a = t.arrangements
        found = self.conn.execute(
            select(a.c.id).where(
                a.c.agreement_id == order.agreement_id, a.c.reference == order.arrangement
            )
        ).scalar()
        return None if found is None else int(found)

    def _append_events(self, order: Order) -> None:
        if not order.new_events:
            return
        self.conn.execute(
            _INSERT_EVENTS,
            [
                {
                    "order_id": order.id,
                    "seq": e.seq,
                    "action": e.action.value,
                    "at": e.at,
                    "actor": e.actor,
                    "from_status": e.from_status.value if e.from_status else None,
                    "to_status": e.to_status.value,
                    "details": dict(e.details),
                }
                for e in order.new_events
            ],
        )
        order.history.extend(order.new_events)
        order.new_events.clear()

    def id_of(self, uid: str) -> int | None:
        """The local id of the order named ``uid`` on every node, if this node holds it."""
        found = self.conn.execute(
            select(t.orders.c.id).where(t.orders.c.uid == uid)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def add_note(self, note: Note) -> None:
        self.conn.execute(
            insert(t.order_notes).values(
                order_id=note.order_id,
                at=note.at,
                actor=note.actor,
                nation=note.nation,
                note=note.text,
            )
        )

    def notes(self, order_id: int) -> list[Note]:
        """The remarks on ``order_id``, oldest first."""
        n = t.order_notes.c
        query = select(n.at, n.actor, n.nation, n.note).where(n.order_id == order_id)
        rows = self.conn.execute(query.order_by(n.id))
        return [Note(order_id, r.at, r.actor, r.nation, r.note) for r in rows]

    def get(self, order_id: int, with_history: bool = True) -> Order | None:
        rows = self.conn.execute(self._with_lines, {"id": order_id}).all()
        if not rows:
            return None
        head = rows[0]
        lines = [line_from_row(r, _LINE_PREFIX) for r in rows if r._mapping["l_number"] is not None]
        for line in lines:
            self._loaded[(order_id, line.number)] = _progress(order_id, line)
        events: list[Event] = []
        if with_history:
            events = [
                _event_from_row(e) for e in self.conn.execute(_EVENTS_OF_ORDER, {"id": order_id})
            ]
        return _order_from_row(head, lines, events)

    def find(
        self,
        status: str | None = None,
        agreement: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        with_history: bool = True,
        party: str | None = None,
        partner: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[Order]:
        """Orders by id; ``party`` keeps those a nation is party to, ``partner`` those with
        that other nation (with ``party``: between the two), ``since``/``until`` bound the
        order date (inclusive)."""
        query = OrderQuery(
            status=status,
            agreement=agreement,
            party=party,
            partner=partner,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return self.matching(query, with_history)

    def matching(self, query: OrderQuery, with_history: bool = True) -> list[Order]:
        """The orders ``query`` names (see :class:`OrderQuery`), sorted and paged as it asks."""
        o = t.orders
        ids = select(o.c.id).where(*_conditions(query)).order_by(*_sort_keys(query))
        if query.limit is not None:
            ids = ids.limit(query.limit).offset(query.offset)
        elif query.offset:
            ids = ids.offset(query.offset)
        wanted = list(self.conn.execute(ids).scalars())
        loaded = {order.id: order for order in self._load(wanted, with_history)}
        return [loaded[i] for i in wanted]

    def search(self, query: OrderQuery, with_history: bool = False) -> OrderPage:
        """One page of the orders ``query`` names and how many it names in all; the orders
        without their history unless asked."""
        total = self.conn.execute(
            select(func.count()).select_from(t.orders).where(*_conditions(query))
        ).scalar_one()
        return OrderPage(self.matching(query, with_history) if total else [], int(total))

    def last_events(self, ids: Sequence[int], actions: Collection[Action]) -> dict[int, Event]:
        """Of each order of ``ids``, its last event that is one of ``actions`` (if any)."""
        if not ids or not actions:
            return {}
        e = t.order_events
        query = (
            select(e)
            .where(e.c.order_id.in_(list(ids)), e.c.action.in_([a.value for a in actions]))
            .order_by(e.c.order_id, e.c.seq)
        )
        return {row.order_id: _event_from_row(row) for row in self.conn.execute(query)}

    def by_ids(self, ids: Sequence[int]) -> list[Order]:
        """The orders ``ids`` that exist, by id, without their history."""
        return self._load(sorted(set(ids)), with_history=False)

    def accepted_values(
        self, agreement_id: str, party: str, year: FiscalYear, exclude: int | None = None
    ) -> tuple[Acquired, ...]:
        """The accepted value of each counted order ``party`` requested under ``agreement_id``
        with an order date in ``year`` (but ``exclude``), in its own currency."""
        o = t.orders
        return counted_values(
            self.conn,
            exclude,
            o.c.agreement_id == agreement_id,
            o.c.requester == party,
            o.c.order_date >= year.start,
            o.c.order_date <= year.end,
        )

    def count_by_status(self) -> dict[str, int]:
        rows = self.conn.execute(
            select(t.orders.c.status, func.count()).group_by(t.orders.c.status)
        ).all()
        return {str(status): int(n) for status, n in rows}

    def _load(self, ids: Sequence[int], with_history: bool) -> list[Order]:
        if not ids:
            return []
        heads = self.conn.execute(
            select(t.orders).where(t.orders.c.id.in_(ids)).order_by(t.orders.c.id)
        ).all()
        lines: dict[int, list[OrderLine]] = defaultdict(list)
        for row in self.conn.execute(
            select(t.order_lines)
            .where(t.order_lines.c.order_id.in_(ids))
            .order_by(t.order_lines.c.order_id, t.order_lines.c.number)
        ):
            lines[row.order_id].append(line_from_row(row))
        events: dict[int, list[Event]] = defaultdict(list)
        if with_history:
            for row in self.conn.execute(
                select(t.order_events)
                .where(t.order_events.c.order_id.in_(ids))
                .order_by(t.order_events.c.order_id, t.order_events.c.seq)
            ):
                events[row.order_id].append(_event_from_row(row))
        return [_order_from_row(h, lines[h.id], events[h.id]) for h in heads]

    @staticmethod
    def _head(order: Order) -> dict[str, Any]:
        return {
            "agreement_id": order.agreement_id,
            "requester": order.requester,
            "supplier": order.supplier,
            "activity": order.activity,
            "settlement": order.settlement,
            "order_date": order.order_date,
            "needed_by": order.needed_by,
            "location": order.location,
            "status": order.status.value,
            "currency": order.currency,
            "operation": order.operation,
            "requester_unit": order.requester_unit,
            "supplier_unit": order.supplier_unit,
            "fund_citation": order.fund_citation,
            "partner_reference": order.partner_reference,
            "remarks": order.remarks,
            "uid": order.uid,
            "attestations": order.attestations.to_json() or null(),
            "arrangement": order.arrangement,
            "search_text": search_text(order_words(order)),
            "total_minor": order.total.minor,
        }

    @staticmethod
    def _line(order_id: int, line: OrderLine) -> dict[str, Any]:
        return {
            "order_id": order_id,
            "number": line.number,
            "category": line.category,
            "description": line.description,
            "nsn": line.nsn,
            "unit": line.unit,
            "quantity": str(line.quantity),
            "unit_price_minor": to_minor(line.unit_price, line.currency),
            "currency": line.currency,
            "quantity_accepted": _str(line.quantity_accepted),
            "quantity_delivered": str(line.quantity_delivered),
            "quantity_received": str(line.quantity_received),
            "quantity_short": str(line.quantity_short),
        }


def _conditions(query: OrderQuery) -> list[ColumnElement[bool]]:
    """The WHERE of ``query``: its filters, and its search (the order's number, or part of
    one of its words: both sides case-folded by Python, so alike on every database)."""
    o = t.orders
    found: list[ColumnElement[bool]] = []
    if query.status:
        found.append(o.c.status == query.status)
    if query.agreement:
        found.append(o.c.agreement_id == query.agreement)
    for nation in (query.party, query.partner):
        if nation:
            found.append(or_(o.c.requester == nation, o.c.supplier == nation))
    if query.since:
        found.append(o.c.order_date >= query.since)
    if query.until:
        found.append(o.c.order_date <= query.until)
    if query.q:
        number = query.number
        named = o.c.id == number if number is not None else false()
        if query.only_number:
            found.append(named)
        else:
            found.append(or_(named, o.c.search_text.contains(query.words, autoescape=True)))
    return found


def _sort_keys(query: OrderQuery) -> list[ColumnElement[Any]]:
    """ORDER BY of ``query``: its column, then the order number, all in its direction."""
    o = t.orders
    keys: dict[str, list[ColumnElement[Any]]] = {
        "id": [o.c.id],
        "date": [o.c.order_date, o.c.id],
        "status": [case(STATUS_RANK, value=o.c.status, else_=len(STATUS_RANK)), o.c.id],
        "total": [o.c.currency, o.c.total_minor, o.c.id],
    }
    descending = query.direction == "desc"
    return [k.desc() if descending else k.asc() for k in keys[query.sort]]


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def line_from_row(row: Row[Any], prefix: str = "") -> OrderLine:
    """The line in ``row``: an ``order_lines`` row, or a joined row whose line columns are
    named with ``prefix``."""
    m = row._mapping
    currency = m[prefix + "currency"]
    return OrderLine(
        number=m[prefix + "number"],
        category=m[prefix + "category"],
        description=m[prefix + "description"],
        quantity=Decimal(m[prefix + "quantity"]),
        unit=m[prefix + "unit"],
        unit_price=from_minor(m[prefix + "unit_price_minor"], currency),
        currency=currency,
        nsn=m[prefix + "nsn"],
        quantity_accepted=_dec(m[prefix + "quantity_accepted"]),
        quantity_delivered=Decimal(m[prefix + "quantity_delivered"]),
        quantity_received=Decimal(m[prefix + "quantity_received"]),
        quantity_short=Decimal(m[prefix + "quantity_short"]),
    )


def _event_from_row(row: Row[Any]) -> Event:
    return Event(
        action=Action(row.action),
        at=row.at,
        actor=row.actor,
        from_status=OrderStatus(row.from_status) if row.from_status else None,
        to_status=OrderStatus(row.to_status),
        details=dict(row.details),
        seq=row.seq,
    )


def _order_from_row(row: Row[Any], lines: list[OrderLine], events: Iterable[Event]) -> Order:
    return Order(
        id=row.id,
        agreement_id=row.agreement_id,
        requester=row.requester,
        supplier=row.supplier,
        activity=row.activity,
        settlement=row.settlement,
        order_date=row.order_date,
        needed_by=row.needed_by,
        location=row.location,
        lines=lines,
        status=OrderStatus(row.status),
        version=row.version,
        operation=row.operation,
        requester_unit=row.requester_unit,
        supplier_unit=row.supplier_unit,
        fund_citation=row.fund_citation,
        partner_reference=row.partner_reference,
        remarks=row.remarks,
        uid=row.uid,
        attestations=Attestations.from_json(row.attestations),
        arrangement=row.arrangement,
        history=list(events),
    )


_SETTING = select(t.settings.c.value).where(t.settings.c.key == bindparam("key"))
_SETTINGS = select(t.settings.c.key, t.settings.c.value).where(
    t.settings.c.key.in_(bindparam("keys", expanding=True))
)


class SettingsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> str | None:
        return self.conn.execute(_SETTING, {"key": key}).scalar_one_or_none()

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """The settings of ``keys`` that are set, in one statement."""
        rows = self.conn.execute(_SETTINGS, {"keys": list(keys)})
        return {r.key: r.value for r in rows}

    def set(self, key: str, value: str) -> None:
        if self.get(key) is None:
            self.conn.execute(insert(t.settings).values(key=key, value=value))
        else:
            self.conn.execute(update(t.settings).where(t.settings.c.key == key).values(value=value))


def counted_values(
    conn: Connection, exclude: int | None, *where: ColumnElement[bool]
) -> tuple[Acquired, ...]:
    """The accepted value of each counted order (accepted and after) that ``where`` selects
    (but ``exclude``), per order and currency, in its own currency: what a ceiling (of an
    agreement or of an implementing arrangement) has used."""
    o, ol = t.orders, t.order_lines
    query = (
        select(
            o.c.id,
            o.c.order_date,
            ol.c.category,
            ol.c.quantity,
            ol.c.quantity_accepted,
            ol.c.unit_price_minor,
            ol.c.currency,
        )
        .join(ol, ol.c.order_id == o.c.id)
        .where(*where, o.c.status.in_(sorted(s.value for s in COUNTED_STATUSES)))
        .order_by(o.c.id, ol.c.number)
    )
    if exclude is not None:
        query = query.where(o.c.id != exclude)
    grouped: dict[tuple[int, str], tuple[date, list[tuple[str, Decimal, Decimal]]]] = {}
    for row in conn.execute(query):
        quantity = Decimal(row.quantity_accepted or row.quantity)
        price = from_minor(row.unit_price_minor, row.currency)
        _, lines = grouped.setdefault((row.id, row.currency), (row.order_date, []))
        lines.append((row.category, quantity, price))
    return tuple(acquired(day, currency, lines) for (_, currency), (day, lines) in grouped.items())
