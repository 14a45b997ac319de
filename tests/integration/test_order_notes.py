"""Notes on an order on a real database (SQLite file and PostgreSQL), on AUS's node: each note
is the order's audit record and a signed note queued for JPN's node; the order's rows, status,
money and version stay as they were, so a step read before the note still goes through; a
refused note writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AcceptOrder, AddNote, PlaceOrder, RejectOrder, SubmitOrder
from acsa.domain import limits
from acsa.domain.access import ForbiddenError, Permission, Principal, Role
from acsa.domain.documents import parse_wire
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.services.access import order_guard
from acsa.services.audit import audit_log, verify_audit
from acsa.services.courier import init_node
from acsa.services.handlers import handle
from acsa.services.orders import order_view
from tests.integration.dump import content
from tests.orders_data import order_doc

T0 = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
ACTING = (Role.REQUESTER, Role.APPROVER, Role.LOGISTICS, Role.FINANCE)


@pytest.fixture
def node(engine: Engine, tmp_path: Path) -> Engine:
    """The database as AUS's node (so what it publishes is signed and queued for JPN)."""
    init_node(engine, "AUS", tmp_path / "AUS.key", "test")
    return engine


def _guarded(
    engine: Engine,
    name: str,
    nation: str,
    role: Role,
    permission: Permission = Permission.NOTE,
    version: int | None = None,
) -> UnitOfWork:
    """A unit of work for ``name`` of ``nation`` holding ``role``, guarded as the API guards
    one for ``permission`` (with If-Match ``version``)."""
    principal = Principal(name, nation, frozenset({role}))
    guard = order_guard(principal, permission, version)
    return UnitOfWork(engine, principal=principal, guard=guard)


def _placed(engine: Engine) -> int:
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "aus-ops", T0)
    handle(UnitOfWork(engine), SubmitOrder(order_id=order.id), "aus-ops", T0)
    assert order.id is not None
    return int(order.id)


def _documents(engine: Engine, kind: str) -> list[tuple[dict[str, object], str]]:
    """The signed documents of ``kind`` this node issued, with the partner each is queued for."""
    d, o = t.documents.c, t.outbox.c
    query = (
        select(d.wire, o.partner)
        .join(t.outbox, o.document_id == d.id)
        .where(d.kind == kind, d.origin == "local")
        .order_by(d.seq)
    )
    with engine.connect() as conn:
        return [(json.loads(r.wire), r.partner) for r in conn.execute(query)]


def test_notes_are_audited_published_and_shown_and_change_no_order_row(node: Engine) -> None:
    oid = _placed(node)
    before = order_view(UnitOfWork(node, read_only=True), oid)
    rows_before = {k: v for k, v in content(node).items() if k in ("orders", "order_lines")}
    text = "Fuel truck delayed at the gate,\nexpect 2 h late.\tCall ext. 4410"
    at = T0.replace(hour=9)
    returned = handle(
        _guarded(node, "aus-logistics", "AUS", Role.LOGISTICS),
        AddNote(order_id=oid, note=text),
        "aus-logistics",
        at,
    )
    assert returned.id == oid
    handle(UnitOfWork(node), AddNote(order_id=oid, note="second remark"), "Lt K. Sato", at)

    shown = order_view(UnitOfWork(node, read_only=True), oid)
    assert [(n.at, n.actor, n.nation, n.note) for n in shown.notes] == [
        (at, "aus-logistics", "AUS", text),
        (at, "Lt K. Sato", None, "second remark"),
    ]
    assert (shown.status, shown.version, shown.total) == (
        before.status,
        before.version,
        before.total,
    )
    assert shown.history == before.history
    after = {k: v for k, v in content(node).items() if k in ("orders", "order_lines")}
    assert after == rows_before

    records = list(audit_log(UnitOfWork(node, read_only=True), order_id=oid))
    notes = [r for r in records if r.action == "order.note"]
    stamp = at.isoformat()
    assert [(r.actor, r.nation, r.subject, r.before, r.after) for r in notes] == [
        (
            "aus-logistics",
            "AUS",
            f"order:{oid}",
            None,
            {"note": text, "at": stamp, "nation": "AUS"},
        ),
        (
            "Lt K. Sato",
            None,
            f"order:{oid}",
            None,
            {"note": "second remark", "at": stamp, "nation": None},
        ),
    ]

    published = _documents(node, "note")
    assert [
        (doc["body"], doc["actor"], doc["at"], doc["issuer"], doc["recipient"], partner)
        for doc, partner in published
    ] == [
        ({"note": text}, "aus-logistics", at.isoformat(), "AUS", "JPN", "JPN"),
        ({"note": "second remark"}, "Lt K. Sato", at.isoformat(), "AUS", "JPN", "JPN"),
    ]
    for doc, _ in published:  # each parses as a partner's inbox reads it: signed, well formed
        assert parse_wire(json.dumps(doc).encode()).body == doc["body"]
    with node.connect() as conn:
        seqs = [s for (s,) in conn.execute(select(t.documents.c.seq).order_by(t.documents.c.seq))]
    assert seqs == [1, 2, 3, 4]  # order, submit, two notes: one chain

    with node.connect() as conn:
        rows = conn.execute(select(t.order_notes).order_by(t.order_notes.c.id)).all()
    assert [(r.order_id, r.actor, r.nation, r.note) for r in rows] == [
        (oid, "aus-logistics", "AUS", text),
        (oid, "Lt K. Sato", None, "second remark"),
    ]
    verified = verify_audit(UnitOfWork(node, read_only=True))
    assert verified.ok, verified.problems
    # The audit vouches for the note rows: one changed behind acsa's back is found.
    with node.begin() as conn:
        conn.execute(update(t.order_notes).where(t.order_notes.c.id == rows[0].id).values(note="x"))
    forged = verify_audit(UnitOfWork(node, read_only=True))
    assert not forged.ok
    assert [(p.table, p.code) for p in forged.problems] == [
        ("order_notes", Code.AUDIT_ROW_CHANGED.value)
    ]


def test_a_note_leaves_a_step_read_before_it_valid(engine: Engine) -> None:
    """On an installation both nations use (no node): JPN's approver read the order, AUS
    noted it, and the acceptance made with the version read (If-Match) is not a conflict."""
    oid = _placed(engine)
    read = order_view(UnitOfWork(engine, read_only=True), oid).version
    note = AddNote(order_id=oid, note="JPN: stock confirmed")
    handle(_guarded(engine, "aus-ops", "AUS", Role.REQUESTER), note, "aus-ops")
    approver = _guarded(engine, "jpn-approver", "JPN", Role.APPROVER, Permission.ACCEPT, read)
    accepted = handle(approver, AcceptOrder(order_id=oid), "jpn-approver")
    assert accepted.version == read + 1
    stale = _guarded(engine, "jpn-approver", "JPN", Role.APPROVER, Permission.REJECT, read)
    with pytest.raises(AcsaError) as conflict:  # the acceptance, unlike the note, moved it
        handle(stale, RejectOrder(order_id=oid), "jpn-approver")
    assert conflict.value.codes == [Code.CONCURRENT_UPDATE.value]
    # A note needs no version: one taken after the acceptance is taken as well.
    handle(UnitOfWork(engine), AddNote(order_id=oid, note="after acceptance"), "aus-ops")
    shown = order_view(UnitOfWork(engine, read_only=True), oid)
    assert (shown.status, shown.version) == ("accepted", read + 1)
    assert [n.note for n in shown.notes] == ["JPN: stock confirmed", "after acceptance"]


@pytest.mark.parametrize("role", ACTING)
def test_whoever_acts_on_orders_notes_them_for_either_party(engine: Engine, role: Role) -> None:
    oid = _placed(engine)
    for nation in ("AUS", "JPN"):
        who = f"{nation.lower()}-{role.value}"
        handle(_guarded(engine, who, nation, role), AddNote(order_id=oid, note=who), who)
    assert [n.nation for n in order_view(UnitOfWork(engine, read_only=True), oid).notes] == [
        "AUS",
        "JPN",
    ]


def test_refused_notes_write_nothing(node: Engine) -> None:
    oid = _placed(node)
    before = content(node)
    for role in (Role.VIEWER, Role.AUDITOR, Role.ADMIN):
        with pytest.raises(ForbiddenError) as forbidden:
            handle(_guarded(node, "jpn-x", "JPN", role), AddNote(order_id=oid, note="x"), "x")
        assert forbidden.value.codes == [Code.FORBIDDEN.value]
    with pytest.raises(NotFoundError) as hidden:  # a third nation: as if it did not exist
        handle(
            _guarded(node, "fra-ops", "FRA", Role.LOGISTICS), AddNote(order_id=oid, note="x"), "x"
        )
    assert hidden.value.codes == [Code.ORDER_NOT_FOUND.value]
    with pytest.raises(NotFoundError):
        handle(UnitOfWork(node), AddNote(order_id=oid + 1000, note="x"), "x")
    for body in ({"note": "x" * (limits.NOTE_CHARS_MAX + 1)}, {"note": "a\x1bb"}, {"note": " "}):
        with pytest.raises(AcsaError):
            handle(UnitOfWork(node), AddNote.from_wire(body, order_id=oid), "x")
    assert content(node) == before
