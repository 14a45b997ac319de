"""Source documents on a real database (SQLite file and PostgreSQL), on AUS's node: a file is
kept once by its SHA-256 with its type, size, name, step, who and when; audited; published to
JPN as a signed attachment carrying its bytes; refused with nothing written when it is too
large, disguised, on a step the order does not have, or (from a partner) hashes to another
hash than its document names; the exceptions report lists a receipt without the scan its
nation requires."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    AttachFile,
    DeliverOrder,
    PlaceOrder,
    ReceiveOrder,
    SubmitOrder,
)
from acsa.domain.access import Permission, Principal, Role
from acsa.domain.attachments import sha256
from acsa.domain.documents import parse_wire
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.services import attachments
from acsa.services.access import order_guard
from acsa.services.audit import verify_audit
from acsa.services.courier import init_node
from acsa.services.findings import MISSING_SOURCE_DOCUMENT, exceptions
from acsa.services.handlers import handle
from tests.orders_data import order_doc

T0 = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64)


@pytest.fixture
def node(engine: Engine, tmp_path: Path) -> Engine:
    """AUS's node holding an order received in full (made before it was a node, so that
    JPN's steps could be taken here): what is attached to it is signed and queued for JPN."""
    _received(engine)
    init_node(engine, "AUS", tmp_path / "AUS.key", "test")
    return engine


def _received(engine: Engine) -> int:
    """An AUS order from JPN, delivered and received in full (history 1..5)."""
    with engine.connect() as conn:
        held = conn.execute(select(t.orders.c.id)).scalar()
    if held is not None:
        return int(held)
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "aus-ops", T0)
    assert order.id is not None
    oid = int(order.id)
    handle(UnitOfWork(engine), SubmitOrder(order_id=oid), "aus-ops", T0)
    handle(UnitOfWork(engine), AcceptOrder(order_id=oid), "jpn-ops", T0)
    handle(UnitOfWork(engine), DeliverOrder(order_id=oid), "jpn-log", T0)
    handle(UnitOfWork(engine), ReceiveOrder(order_id=oid), "aus-log", T0.replace(hour=9))
    return oid


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    """Rows of the files, their attachings, the audit log and the documents."""
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.attachment_blobs, t.order_attachments, t.audit_log, t.documents)
        )


def _as(engine: Engine, name: str, nation: str, role: Role = Role.LOGISTICS) -> UnitOfWork:
    principal = Principal(name, nation, frozenset({role}))
    return UnitOfWork(engine, principal=principal, guard=order_guard(principal, Permission.NOTE))


def _reader(engine: Engine, name: str, nation: str) -> UnitOfWork:
    principal = Principal(name, nation, frozenset({Role.VIEWER}))
    guard = order_guard(principal, Permission.VIEW)
    return UnitOfWork(engine, read_only=True, principal=principal, guard=guard)


def test_a_file_is_kept_once_by_its_hash_audited_and_sent_to_the_partner(node: Engine) -> None:
    oid = _received(node)
    scan = handle(
        _as(node, "aus-log", "AUS"),
        AttachFile(order_id=oid, name="receipt scan.pdf", content=PDF, step="receipt:5"),
        "aus-log",
        T0.replace(hour=10),
    )
    assert (scan.sha256, scan.type, scan.size, scan.name, scan.step, scan.nation) == (
        sha256(PDF),
        "application/pdf",
        len(PDF),
        "receipt scan.pdf",
        "receipt:5",
        "AUS",
    )
    before = _counts(node)
    again = handle(
        _as(node, "aus-fin", "AUS", Role.FINANCE),
        AttachFile(
            order_id=oid, name="../../etc/copy.pdf", media_type="application/pdf", content=PDF
        ),
        "aus-fin",
    )
    assert again.name == "copy.pdf"
    assert again.step is None
    after = _counts(node)
    assert after[0] == before[0]  # the same bytes are kept once
    assert after[1] == before[1] + 1

    listed = attachments.attachments_of(_reader(node, "jpn-viewer", "JPN"), oid)
    assert [(a.sha256, a.step, a.actor) for a in listed] == [
        (sha256(PDF), "receipt:5", "aus-log"),
        (sha256(PDF), None, "aus-fin"),
    ]
    found, content = attachments.file_of(_reader(node, "aus-viewer", "AUS"), sha256(PDF))
    assert content == PDF
    assert found.type == "application/pdf"

    with node.connect() as conn:
        records = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.after).where(
                t.audit_log.c.action == "order.attach"
            )
        ).all()
        wires = conn.execute(
            select(t.documents.c.wire).where(t.documents.c.kind == "attachment")
        ).all()
    assert [(actor, after["sha256"], after["step"]) for actor, after in records] == [
        ("aus-log", sha256(PDF), "receipt:5"),
        ("aus-fin", sha256(PDF), None),
    ]
    doc = parse_wire(wires[0].wire.encode())
    assert (doc.issuer, doc.recipient) == ("AUS", "JPN")
    assert doc.body["sha256"] == sha256(PDF)
    assert doc.body["step"] == "receipt:5"
    assert base64.b64decode(doc.body["content"]) == PDF


def test_a_third_nation_sees_no_file_and_may_not_attach(node: Engine) -> None:
    oid = _received(node)
    handle(UnitOfWork(node), AttachFile(order_id=oid, name="scan.png", content=PNG), "aus-log")
    with pytest.raises(NotFoundError) as hidden:
        attachments.file_of(_reader(node, "fra-viewer", "FRA"), sha256(PNG))
    assert hidden.value.codes == ["ATTACHMENT_NOT_FOUND"]
    with pytest.raises(NotFoundError) as listed:
        attachments.attachments_of(_reader(node, "fra-viewer", "FRA"), oid)
    assert listed.value.codes == ["ORDER_NOT_FOUND"]
    before = _counts(node)
    with pytest.raises(AcsaError) as refused:
        handle(
            _as(node, "fra-log", "FRA"), AttachFile(order_id=oid, name="x.pdf", content=PDF), "f"
        )
    assert refused.value.codes == ["ORDER_NOT_FOUND"]
    assert _counts(node) == before


@pytest.mark.parametrize(
    ("name", "declared", "content", "code"),
    [
        ("scan.pdf", "application/pdf", HTML, "ATTACHMENT_TYPE_MISMATCH"),
        ("scan.pdf", "", EXE, "ATTACHMENT_TYPE_MISMATCH"),
        ("photo.jpg", "image/jpeg", PNG, "ATTACHMENT_TYPE_MISMATCH"),
        ("scan.pdf", "text/html", PDF, "ATTACHMENT_TYPE_MISMATCH"),
        ("page.html", "", PDF, "ATTACHMENT_TYPE_MISMATCH"),
        ("empty.csv", "text/csv", b"", "ATTACHMENT_TYPE_MISMATCH"),
        ("big.pdf", "application/pdf", PDF + bytes(2048), "ATTACHMENT_TOO_LARGE"),
    ],
)
def test_disguised_and_oversized_files_are_refused_and_nothing_is_written(
    node: Engine,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    declared: str,
    content: bytes,
    code: str,
) -> None:
    monkeypatch.setenv(attachments.ENV_MAX_BYTES, "2048")
    oid = _received(node)
    before = _counts(node)
    command = AttachFile(order_id=oid, name=name, media_type=declared, content=content)
    with pytest.raises(AcsaError) as refused:
        handle(UnitOfWork(node), command, "aus-log")
    assert refused.value.codes == [code]
    assert refused.value.violations[0].field == "file"
    assert _counts(node) == before


def test_a_step_the_order_lacks_and_a_forged_hash_are_refused(node: Engine) -> None:
    oid = _received(node)
    before = _counts(node)
    for step in ("receipt:4", "delivery:5", "invoice:AUS-2026-000001", "payment:1"):
        with pytest.raises(AcsaError) as refused:
            handle(
                UnitOfWork(node),
                AttachFile(order_id=oid, name="x.pdf", content=PDF, step=step),
                "aus-log",
            )
        assert refused.value.codes == ["ATTACHMENT_STEP_NOT_FOUND"], step
    with pytest.raises(AcsaError) as malformed:
        AttachFile(order_id=oid, name="x.pdf", content=PDF, step="receipt")
    assert malformed.value.codes == ["INVALID_FIELD"]
    body = {
        "sha256": sha256(PNG),
        "type": "application/pdf",
        "size": len(PDF),
        "name": "x.pdf",
        "step": None,
        "content": base64.b64encode(PDF).decode(),
    }
    forged = AttachFile.from_document(body, order_id=oid)
    with pytest.raises(AcsaError) as mismatch:
        handle(UnitOfWork(node), forged, "jpn-log")
    assert mismatch.value.codes == ["ATTACHMENT_HASH_MISMATCH"]
    assert _counts(node) == before


def test_the_exceptions_report_lists_a_receipt_without_its_required_scan(node: Engine) -> None:
    oid = _received(node)
    day = date(2026, 12, 1)

    def missing(nation: str | None = None) -> list[tuple[int, str | None, Decimal]]:
        found = exceptions(UnitOfWork(node, read_only=True), day, nation)
        return [(e.order, e.document, e.value) for e in found if e.kind == MISSING_SOURCE_DOCUMENT]

    assert missing() == []  # by default no step needs a document
    set_by = attachments.set_required_steps(UnitOfWork(node), "AUS", ["receipt"], "aus-admin")
    assert set_by == ["receipt"]
    assert attachments.required_steps(UnitOfWork(node, read_only=True), "AUS") == ["receipt"]
    [(order, step, value)] = missing()
    assert (order, step) == (oid, "receipt:5")
    assert value > 0
    assert missing("AUS") == [(order, step, value)]
    assert missing("JPN") == []  # JPN requires nothing
    [finding] = [
        e
        for e in exceptions(UnitOfWork(node, read_only=True), day, None)
        if e.kind == MISSING_SOURCE_DOCUMENT
    ]
    assert "receipt:5" in finding.message
    assert "AUS" in finding.message

    handle(UnitOfWork(node), AttachFile(order_id=oid, name="r.pdf", content=PDF), "aus-log")
    assert len(missing()) == 1  # a file of the order as a whole backs no step
    handle(
        UnitOfWork(node),
        AttachFile(order_id=oid, name="r.pdf", content=PDF, step="receipt:5"),
        "aus-log",
    )
    assert missing() == []
    with pytest.raises(AcsaError) as refused:
        attachments.set_required_steps(UnitOfWork(node), "AUS", ["receipts"], "aus-admin")
    assert refused.value.codes == ["INVALID_FIELD"]


def test_the_audit_vouches_for_each_attaching_and_changed_bytes_are_not_served(
    node: Engine,
) -> None:
    oid = _received(node)
    handle(UnitOfWork(node), AttachFile(order_id=oid, name="r.pdf", content=PDF), "aus-log")
    assert verify_audit(UnitOfWork(node, read_only=True)).ok
    with node.begin() as conn:
        conn.execute(update(t.order_attachments).values(name="other.pdf"))
    forged = verify_audit(UnitOfWork(node, read_only=True))
    assert [(p.table, p.code) for p in forged.problems] == [
        ("order_attachments", Code.AUDIT_ROW_CHANGED.value)
    ]
    with node.begin() as conn:
        conn.execute(update(t.attachment_blobs).values(content=PDF + b"%changed\n"))
    with pytest.raises(AcsaError) as refused:
        attachments.file_of(_reader(node, "aus-viewer", "AUS"), sha256(PDF))
    assert refused.value.codes == ["ATTACHMENT_HASH_MISMATCH"]
