"""A node rotates its key in the middle of an exchange: documents signed by the old key still in
its outbox, the key_rollover signed by the old key, then documents signed by the new one, all
taken by the partner in order; after the grace period the old key's new documents are refused
(DOCUMENT_KEY_RETIRED); a revoked key's documents dated after the revocation are refused
(DOCUMENT_KEY_REVOKED) while its earlier ones are still taken."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.signing import NodeKey, parse_public, verify
from acsa.clock import utc_now
from acsa.domain.documents import GENESIS, Document, Kind, parse
from tests.e2e.cli import run
from tests.exchange.nodes import Node, acsa, wait_for
from tests.orders_data import order_doc


def _place(node: Node, count: int, label: str) -> list[str]:
    uids = []
    for number in range(count):
        placed = node.call(
            "requester", "POST", "/orders", json=order_doc(remarks=f"{label}{number}")
        )
        node.call("requester", "POST", f"/orders/{placed['id']}/submit")
        uids.append(placed["uid"])
    return uids


def _outbox_empty(node: Node) -> bool:
    row = node.call("all", "GET", "/courier/status")["partners"][0]
    return bool(row["pending"] == 0)


def _received(node: Node, issuer: str) -> list[Document]:
    """The documents ``issuer`` sent that ``node`` recorded, in the order it recorded them."""
    engine = make_engine(node.db_url)
    d = t.documents.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(d.wire).where(d.issuer == issuer).order_by(d.recorded_at, d.seq)
        ).all()
    engine.dispose()
    return [parse(json.loads(r.wire)) for r in rows]


def _listed(*args: str) -> list[dict[str, Any]]:
    """Run the CLI with --json; its JSON list (the command must succeed)."""
    done = run(*args, "--json")
    assert done.code == 0, done.stdout + done.stderr
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def _partner_keys(node: Node, nation: str) -> dict[str, dict[str, Any]]:
    [partner] = [
        p for p in _listed("partners", "list", "--db", node.db_url) if p["nation"] == nation
    ]
    return {k["fingerprint"]: k for k in partner["keys"]}


def _rotate(node: Node, *extra: str) -> dict[str, Any]:
    return acsa("node", "rotate-key", "--db", node.db_url, *extra)


def _signed_by(key: NodeKey, issuer: Node, recipient: Node, uid: str, **at: Any) -> bytes:
    """A note signed by ``key`` (as if ``issuer``'s node had signed it) on order ``uid``."""
    unsigned = Document(
        id=str(uuid.uuid4()),
        kind=Kind.NOTE,
        order=uid,
        seq=99,
        prev=GENESIS,
        issuer=issuer.nation,
        recipient=recipient.nation,
        key=key.fingerprint,
        at=at.get("at", utc_now()),
        actor=f"{issuer.nation}-requester",
        body={"note": "signed with the old key"},
    )
    return dataclasses.replace(unsigned, signature=key.sign(unsigned.signed_bytes())).wire()


def _book(node: Node, partner: Node) -> bytes:
    """``node``'s signed book of its orders with ``partner``."""
    with node.client("auditor") as client:
        exported = client.get("/books/export", params={"partner": partner.nation})
    assert exported.status_code == 200, exported.text
    return exported.content


def _post(node: Node, wire: bytes) -> httpx.Response:
    return httpx.post(
        node.server.base + "/api/v1/courier/documents",
        content=wire,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def _rotate_with_documents_in_flight(
    aus: Node, jpn: Node, *extra: str
) -> tuple[dict[str, Any], list[str]]:
    """JPN down; AUS queues orders signed by its old key, rotates, queues more; JPN back: every
    document arrives, in order, once. The rotation's answer and the orders' uids."""
    uids = _place(aus, 1, "before")
    wait_for(lambda: _outbox_empty(aus), what="the first order on JPN")
    jpn.server.stop()
    uids += _place(aus, 2, "old key ")
    rotated = _rotate(aus, *extra)
    assert rotated["previous"] == aus.fingerprint
    assert rotated["partners"] == [jpn.nation]
    uids += _place(aus, 2, "new key ")
    jpn.server.start()
    wait_for(lambda: _outbox_empty(aus), what="the outbox to empty after the restart")
    row = aus.call("all", "GET", "/courier/status")["partners"][0]
    assert row["refused"] == 0, aus.call("all", "GET", "/courier/status")
    for uid in uids:
        assert (jpn.order_by_uid(uid) or {}).get("status") == "submitted", uid
    received = _received(jpn, aus.nation)
    # 2 documents per order; the rollover after the old key's, before the new key's.
    assert [(d.kind, d.key) for d in received] == (
        [(Kind.ORDER, aus.fingerprint), (Kind.SUBMIT, aus.fingerprint)] * 3
        + [(Kind.KEY_ROLLOVER, aus.fingerprint)]
        + [(Kind.ORDER, rotated["fingerprint"]), (Kind.SUBMIT, rotated["fingerprint"])] * 2
    )
    assert [d.order for d in received if d.kind is not Kind.KEY_ROLLOVER] == [
        u for u in uids for _ in (1, 2)
    ]
    return rotated, uids


def test_a_rotation_with_documents_in_flight_then_the_old_key_retires(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    old_key = NodeKey.load(aus.key_file)
    signed_before = _book(aus, jpn)
    rotated, uids = _rotate_with_documents_in_flight(aus, jpn, "--grace-days", "0")
    new = rotated["fingerprint"]
    assert rotated["key_file"] != str(aus.key_file)

    # JPN holds both of AUS's keys; the old one's grace period is over.
    keys = _partner_keys(jpn, aus.nation)
    assert keys[new]["state"] == "current"
    assert keys[aus.fingerprint]["state"] == "retired"
    assert keys[aus.fingerprint]["until"][:19] == rotated["grace_until"][:19]
    # AUS shows its own keys the same way.
    shown = {k["fingerprint"]: k["state"] for k in acsa("node", "show", "--db", aus.db_url)["keys"]}
    assert shown == {aus.fingerprint: "retired", new: "current"}

    # Every document AUS's old key signed still verifies with the key that signed it.
    for document in _received(jpn, aus.nation):
        public = parse_public(keys[document.key]["public_key"])
        assert verify(public, document.signed_bytes(), document.signature)

    # A book file the old key signed before the rotation still verifies; a new one agrees.
    old_report = jpn.call("auditor", "POST", "/books/reconcile", content=signed_before)
    assert [d for d in old_report["differences"] if d["kind"] == "signature"] == []
    assert old_report["differences"], "the old file lacks the orders placed since"
    report = jpn.call("auditor", "POST", "/books/reconcile", content=_book(aus, jpn))
    assert report["differences"] == [], report

    # A document the old key signs now, after the grace period: refused with its code.
    refused = _post(jpn, _signed_by(old_key, aus, jpn, uids[0]))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "DOCUMENT_KEY_RETIRED", problem
    assert old_key.fingerprint in problem["detail"]
    assert aus.nation in problem["detail"]
    assert rotated["grace_until"][:19] in problem["detail"]

    # The exchange goes on with the new key, both ways.
    there = jpn.order_by_uid(uids[-1])
    assert there is not None
    jpn.call("approver", "POST", f"/orders/{there['id']}/accept")
    wait_for(
        lambda: (aus.order_by_uid(uids[-1]) or {}).get("status") == "accepted",
        what="JPN's acceptance on AUS",
    )
    mine = aus.order_by_uid(uids[-1])
    assert mine is not None
    aus.call("logistics", "POST", f"/orders/{mine['id']}/note", json={"note": "thanks"})
    wait_for(lambda: _outbox_empty(aus), what="AUS's note on JPN")
    assert aus.call("all", "GET", "/courier/status")["partners"][0]["refused"] == 0


def test_a_revoked_key_refuses_later_documents_and_keeps_earlier_ones(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    old_key = NodeKey.load(aus.key_file)
    uids = _place(aus, 1, "before")
    wait_for(lambda: _outbox_empty(aus), what="the first order on JPN")
    jpn.server.stop()
    uids += _place(aus, 2, "old key ")
    rotated = _rotate(aus)  # a grace period of 7 days
    # JPN learns by telephone that AUS's old key leaked: revoked from now on, while the
    # documents it signed before (still in AUS's outbox) are on their way.
    since = utc_now()
    revoked = _listed(
        "partners",
        "revoke-key",
        aus.nation,
        aus.fingerprint,
        "--since",
        since.isoformat(),
        "--db",
        jpn.db_url,
    )
    assert {k["fingerprint"]: k["state"] for k in revoked}[aus.fingerprint] == "revoked"
    jpn.server.start()
    wait_for(lambda: _outbox_empty(aus), what="the outbox to empty after the restart")
    assert aus.call("all", "GET", "/courier/status")["partners"][0]["refused"] == 0
    for uid in uids:
        assert (jpn.order_by_uid(uid) or {}).get("status") == "submitted", uid
    keys = _partner_keys(jpn, aus.nation)
    assert keys[aus.fingerprint]["state"] == "revoked"
    assert keys[rotated["fingerprint"]]["state"] == "current"

    # Dated after the revocation (though within the grace period): refused.
    refused = _post(jpn, _signed_by(old_key, aus, jpn, uids[0]))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "DOCUMENT_KEY_REVOKED", refused.json()
    assert aus.fingerprint in refused.json()["detail"]
    # Dated before it: the key is not what stops it (here, the made-up chain position is).
    earlier = _post(jpn, _signed_by(old_key, aus, jpn, uids[0], at=since - timedelta(seconds=5)))
    assert earlier.json()["code"] not in ("DOCUMENT_KEY_REVOKED", "DOCUMENT_KEY_RETIRED")


def test_a_node_announces_the_revocation_of_its_old_key(nodes: tuple[Node, Node]) -> None:
    aus, jpn = nodes
    old_key = NodeKey.load(aus.key_file)
    rotated = _rotate(aus)
    since = utc_now()
    acsa("node", "revoke-key", aus.fingerprint, "--since", since.isoformat(), "--db", aus.db_url)
    uids = _place(aus, 1, "after")
    wait_for(lambda: _outbox_empty(aus), what="the rollover and the revocation on JPN")
    assert aus.call("all", "GET", "/courier/status")["partners"][0]["refused"] == 0
    kinds = [(d.kind, d.key) for d in _received(jpn, aus.nation)]
    assert kinds[:2] == [
        (Kind.KEY_ROLLOVER, aus.fingerprint),
        (Kind.KEY_REVOCATION, rotated["fingerprint"]),
    ]
    keys = _partner_keys(jpn, aus.nation)
    assert keys[aus.fingerprint]["state"] == "revoked"
    refused = _post(jpn, _signed_by(old_key, aus, jpn, uids[0]))
    assert refused.json()["code"] == "DOCUMENT_KEY_REVOKED", refused.json()
    # Through the API too: the node's keys and its partners' keys with their states.
    node = aus.call("all", "GET", "/node")
    assert {k["fingerprint"]: k["state"] for k in node["keys"]} == {
        aus.fingerprint: "revoked",
        rotated["fingerprint"]: "current",
    }


def test_an_admin_of_the_node_rotates_its_key_through_the_api(nodes: tuple[Node, Node]) -> None:
    aus, jpn = nodes
    with aus.client("logistics") as client:
        forbidden = client.post("/node/rotate-key", json={"grace_days": 1})
    assert forbidden.status_code == 403, forbidden.text
    with aus.client("admin") as client:
        wrong = client.post("/node/rotate-key", json={"grace_days": 9999})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["code"] == "INVALID_FIELD"
    rotated = aus.call("admin", "POST", "/node/rotate-key", json={"grace_days": 1})
    assert rotated["previous"] == aus.fingerprint
    assert aus.call("all", "GET", "/node")["fingerprint"] == rotated["fingerprint"]
    uids = _place(aus, 1, "after")
    wait_for(lambda: _outbox_empty(aus), what="the rollover and the order on JPN")
    assert (jpn.order_by_uid(uids[0]) or {}).get("status") == "submitted"
    [partner] = jpn.call("all", "GET", "/partners")
    states = {k["fingerprint"]: k["state"] for k in partner["keys"]}
    assert states == {aus.fingerprint: "grace", rotated["fingerprint"]: "current"}
    assert partner["fingerprint"] == rotated["fingerprint"]
    # JPN's admin revokes AUS's old key through the API.
    since = utc_now().isoformat()
    with jpn.client("viewer") as client:
        refused = client.post(
            f"/partners/{aus.nation}/keys/{aus.fingerprint}/revoke", json={"since": since}
        )
    assert refused.status_code == 403, refused.text
    keys = jpn.call(
        "admin",
        "POST",
        f"/partners/{aus.nation}/keys/{aus.fingerprint}/revoke",
        json={"since": since},
    )
    assert {k["fingerprint"]: k["state"] for k in keys}[aus.fingerprint] == "revoked"
