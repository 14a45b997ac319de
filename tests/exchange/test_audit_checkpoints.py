"""The head of a node's audit chain goes to its partner (issue 13): two real servers (AUS on
SQLite, JPN on PostgreSQL); JPN's signed checkpoint is sent to AUS, which keeps the latest and
shows it; after JPN's last 3 audit records are cut off, the checkpoint AUS holds finds it in
JPN's own ``acsa audit verify``, and AUS refuses the shorter chain's next checkpoint."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
from sqlalchemy import delete, func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.signing import NodeKey
from acsa.domain.checkpoint import parse_checkpoint
from tests.e2e.cli import run
from tests.exchange.nodes import Node, wait_for
from tests.orders_data import order_doc


def _head(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        seq = conn.execute(select(func.max(t.audit_log.c.seq))).scalar_one()
    engine.dispose()
    return int(seq or 0)


def test_the_partner_keeps_the_head_and_it_finds_a_cut_tail(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    aus, jpn = nodes
    # Rows written by applying the partner's signed documents are covered like any others.
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    there = wait_for(lambda: jpn.order_by_uid(placed["uid"]), what="the order on JPN's node")
    jpn.call("approver", "POST", f"/orders/{there['id']}/accept")
    wait_for(
        lambda: (aus.order_by_uid(placed["uid"]) or {}).get("status") == "accepted",
        what="the acceptance on AUS's node",
    )
    for node in (aus, jpn):
        clean = run("audit", "verify", "--db", node.db_url)
        assert clean.code == 0, node.nation + clean.stdout + clean.stderr

    taken = run("audit", "checkpoint", "--db", jpn.db_url)
    assert taken.code == 0, taken.stdout + taken.stderr
    assert "signed by node:JPN" in taken.stdout
    assert "sent to AUS's node" in taken.stdout, taken.stdout
    head = _head(jpn.db_url)

    shown = run("audit", "partner-heads", "--db", aus.db_url, "--json")
    assert shown.code == 0, shown.stderr
    [kept] = shown.json
    assert (kept["nation"], kept["checkpoint"]["seq"]) == ("JPN", head)
    assert kept["checkpoint"]["signer"] == "node:JPN"
    over_api = aus.call("auditor", "GET", "/audit/partner-heads")
    assert over_api == shown.json

    held = tmp_path / "jpn-head.json"
    assert (
        run(
            "audit", "partner-heads", "--nation", "JPN", "--out", str(held), "--db", aus.db_url
        ).code
        == 0
    )
    assert parse_checkpoint(held.read_bytes()).seq == head

    engine = make_engine(jpn.db_url)
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq > head - 3))
    engine.dispose()
    result = run("audit", "verify", "--db", jpn.db_url, "--checkpoint", str(held))
    assert result.code == 2
    assert "checkpoint: " in result.stdout
    assert "its last 3 were cut off" in result.stdout

    # JPN's next checkpoint counts fewer records than AUS holds: AUS refuses it, keeps its own.
    again = run("audit", "checkpoint", "--db", jpn.db_url)
    assert again.code == 0
    assert "not sent to AUS's node: HTTP 422" in again.stdout, again.stdout
    [still] = run("audit", "partner-heads", "--db", aus.db_url, "--json").json
    assert still["checkpoint"]["seq"] == head


def test_a_checkpoint_not_signed_by_the_partners_key_is_refused(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    aus, jpn = nodes
    out = tmp_path / "head.json"
    assert run("audit", "checkpoint", "--db", jpn.db_url, "--out", str(out)).code == 0
    body = json.loads(out.read_text())
    forged = {**body, "count": body["count"] + 5, "seq": body["seq"] + 5}
    url = aus.server.base + "/api/v1/audit/checkpoints"
    answer = httpx.post(url, json=forged, timeout=10)
    assert answer.status_code == 422
    assert answer.json()["code"] == "CHECKPOINT_INVALID"

    # Signed, but by a key that is not the one registered for JPN.
    other = NodeKey.generate()
    checkpoint = parse_checkpoint(out.read_bytes())
    mine = replace(checkpoint, key=other.public_text, signature="")
    mine = mine.signed(other.sign(mine.signed_bytes()))
    answer = httpx.post(url, content=mine.text().encode(), timeout=10)
    assert answer.status_code == 422
    assert answer.json()["code"] == "CHECKPOINT_INVALID"
    # Not a checkpoint at all.
    answer = httpx.post(url, content=b"[1, 2", timeout=10)
    assert answer.status_code == 422
    assert answer.json()["code"] == "CHECKPOINT_INVALID"
