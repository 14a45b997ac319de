"""The Exchange page through a real ``acsa serve`` (SQLite and PostgreSQL): a document set aside
is shown with its reason and attempts, the document held behind it is counted, and an admin of
the node's nation (only) sends it again with the page's button; audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import NodeKey
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.services.courier import add_partner, init_node
from acsa.services.handlers import handle
from tests.api.server import Server, add_people
from tests.e2e.test_web_pages import csrf_of, sign_in
from tests.orders_data import order_doc

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
REASON = "set aside after 20 attempts; the partner's node took none of them (the last: 500)"


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """JPN's node, whose order to AUS (placed and submitted) went nowhere: its first document
    set aside after 20 attempts, the second held behind it. (base URL, db URL, document id)"""
    engine = make_engine(db_url)
    try:
        init_node(engine, "JPN", tmp_path / "jpn.key", "test")
        add_partner(engine, "AUS", "http://127.0.0.1:9", NodeKey.generate().public_text, "test")
        uow = UnitOfWork(engine)
        doc = order_doc(requester="JPN", supplier="AUS")
        order, _ = handle(uow, PlaceOrder.from_wire(doc), "Lt Sato", AT - timedelta(days=1))
        assert order.id is not None
        handle(uow, SubmitOrder(order_id=order.id), "Lt Sato", AT)
        with engine.begin() as conn:
            first = conn.execute(select(t.outbox.c.id, t.outbox.c.document_id)).first()
            assert first is not None
            conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == first.id)
                .values(status="refused", code="DOCUMENT_SET_ASIDE", attempts=20, last_error=REASON)
            )
    finally:
        engine.dispose()
    add_people(db_url, ("JPN", "AUS"), passwords=True)
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield server.base, db_url, str(first.document_id)


def _outbox(db_url: str, document_id: str) -> tuple[str, str | None]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            select(t.outbox.c.status, t.outbox.c.code).where(t.outbox.c.document_id == document_id)
        ).one()
    engine.dispose()
    return row.status, row.code


def _resend(client: httpx.Client, document_id: str, csrf: str | None) -> httpx.Response:
    data = {} if csrf is None else {"csrf": csrf}
    return client.post(f"/courier/documents/{document_id}/resend", data=data)


def test_an_admin_sends_a_set_aside_document_again_from_the_page(
    site: tuple[str, str, str],
) -> None:
    base, db_url, document_id = site
    action = f'action="/courier/documents/{document_id}/resend"'
    viewer, admin = sign_in(base, "JPN-viewer"), sign_in(base, "JPN-admin")
    try:
        seen = viewer.get("/courier")
        assert seen.status_code == 200, seen.text
        assert document_id in seen.text
        assert "DOCUMENT_SET_ASIDE" in seen.text
        assert "Set aside" in seen.text
        assert "set aside after 20 attempts" in seen.text
        assert action not in seen.text  # not the viewer's to do
        refused = _resend(viewer, document_id, csrf_of(seen.text))
        assert refused.status_code == 403, refused.text
        assert _outbox(db_url, document_id) == ("refused", "DOCUMENT_SET_ASIDE")

        page = admin.get("/courier")
        assert action in page.text
        for token in (None, "forged"):
            forged = _resend(admin, document_id, token)
            assert forged.status_code in (400, 403), forged.text
        assert _outbox(db_url, document_id) == ("refused", "DOCUMENT_SET_ASIDE")

        sent = _resend(admin, document_id, csrf_of(page.text))
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/courier?resent={document_id}#confirmation"
        shown = admin.get(sent.headers["location"])
        assert "is queued to be sent again" in shown.text
        status, code = _outbox(db_url, document_id)
        assert status == "pending"  # AUS does not answer: it waits, and is not set aside
        assert code != "DOCUMENT_SET_ASIDE"
        # Once more at the address of the last release (still answered): nothing to resend.
        old = f"/exchange/documents/{document_id}/resend"
        again = admin.post(old, data={"csrf": csrf_of(shown.text)})
        assert again.status_code in (400, 409), again.text
        assert "INVALID_TRANSITION" in again.text
    finally:
        viewer.close()
        admin.close()

    engine = make_engine(db_url)
    with engine.connect() as conn:
        audited = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.subject).where(
                t.audit_log.c.action == "document.resend"
            )
        ).all()
    engine.dispose()
    assert [(a.actor, a.subject) for a in audited] == [("JPN-admin", f"document:{document_id}")]
