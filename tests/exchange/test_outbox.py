"""The outbox against a partner that says no, fails, or does not answer: AUS's real node sends
to JPN's real node through a proxy on 127.0.0.1 that injects faults for documents carrying a
marker (a 4xx refusal, a 500, a connection dropped without an answer) or plays a partner that is
down. A refusal is final at once; a failure is set aside after ACSA_EXCHANGE_MAX_ATTEMPTS (3
here) unless the partner does not answer at all; either holds only the later documents of its
own order while other orders flow; ``acsa exchange resend`` and the API's resend deliver it once
the partner is back, in order, audited."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.services.courier import Answer, _outcome
from tests.e2e.cli import Result, run
from tests.exchange.nodes import Node, acsa, wait_for
from tests.orders_data import order_doc

ATTEMPTS = 3


class Proxy:
    """Forwards to ``target``, except documents holding a marker of ``rules`` (answered 422,
    500, or dropped without an answer) and everything while ``down``. Counts every attempt
    per document id, and lists the ids it forwarded, in order."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.rules: dict[bytes, str] = {}
        self.down = False
        self.attempts: Counter[str] = Counter()
        self.forwarded: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if proxy.down:
                    self.close_connection = True
                    return
                got = httpx.get(proxy.target + self.path, timeout=10)
                self._answer(got.status_code, got.content)

            def do_POST(self) -> None:
                wire = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                doc_id = str(json.loads(wire).get("id"))
                proxy.attempts[doc_id] += 1
                mode = next((m for k, m in proxy.rules.items() if k in wire), None)
                if proxy.down or mode == "drop":
                    self.close_connection = True  # no answer at all
                    return
                if mode == "422":
                    problem = {"code": "DOCUMENT_NOT_PARTY", "detail": "injected refusal"}
                    self._answer(422, json.dumps(problem).encode())
                    return
                if mode == "500":
                    problem = {"code": "INTERNAL", "detail": "injected failure"}
                    self._answer(500, json.dumps(problem).encode())
                    return
                got = httpx.post(
                    proxy.target + self.path,
                    content=wire,
                    headers={"Content-Type": "application/json"},
                    timeout=30,
                )
                if got.status_code < 300:
                    proxy.forwarded.append(doc_id)
                self._answer(got.status_code, got.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def few_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the nodes start: they read it."""
    monkeypatch.setenv("ACSA_EXCHANGE_MAX_ATTEMPTS", str(ATTEMPTS))


@pytest.fixture
def proxied(few_attempts: None, nodes: tuple[Node, Node]) -> Iterator[tuple[Node, Node, Proxy]]:
    """AUS sends to JPN through the proxy (JPN's address on AUS's node is the proxy's)."""
    aus, jpn = nodes
    with Proxy(jpn.server.base) as proxy:
        acsa(
            "partners",
            "add",
            "JPN",
            "--url",
            proxy.base,
            "--key",
            jpn.public_key,
            "--db",
            aus.db_url,
        )
        yield aus, jpn, proxy


def _place(aus: Node, remarks: str) -> tuple[str, list[str]]:
    """An order placed and submitted on AUS: its uid and its two documents' ids."""
    placed = aus.call("requester", "POST", "/orders", json=order_doc(remarks=remarks))
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    engine = make_engine(aus.db_url)
    with engine.connect() as conn:
        ids = (
            conn.execute(
                select(t.documents.c.id)
                .where(t.documents.c.order_uid == placed["uid"])
                .order_by(t.documents.c.seq)
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return placed["uid"], list(ids)


def _submitted_on(jpn: Node, uid: str) -> bool:
    return (jpn.order_by_uid(uid) or {}).get("status") == "submitted"


def _status(aus: Node) -> dict[str, Any]:
    status: dict[str, Any] = aus.call("all", "GET", "/exchange/status")
    return status


def _row(aus: Node) -> dict[str, Any]:
    [row] = _status(aus)["partners"]
    return dict(row)


def _cli(*args: str) -> Result:
    return run(*args, env={"COLUMNS": "400", "NO_COLOR": "1"})


def _audited(node: Node, action: str) -> list[Any]:
    engine = make_engine(node.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.subject, t.audit_log.c.before, t.audit_log.c.after).where(
                t.audit_log.c.action == action
            )
        ).all()
    engine.dispose()
    return list(rows)


def test_what_a_partner_answers_decides_refused_or_retried() -> None:
    refusals = [
        (400, "INVALID_INPUT"),
        (404, None),
        (409, "DOCUMENT_CHAIN_BROKEN"),
        (413, "BODY_TOO_LARGE"),
        (422, "DOCUMENT_NOT_PARTY"),
        (403, None),
    ]
    for status, code in refusals:
        body = {"code": code, "detail": "no"} if code else {}
        assert _outcome(Answer(status, body), "h")[0] == "refused", status
    retried = [
        (None, None),
        (500, "INTERNAL"),
        (502, None),
        (503, "SERVICE_UNAVAILABLE"),
        (408, None),
        (429, None),
        (422, "DOCUMENT_FROM_THE_FUTURE"),
    ]
    for status, code in retried:
        body = {"code": code, "detail": "later"} if code else {}
        assert _outcome(Answer(status, body, "boom"), "h")[0] == "retry", status
    assert _outcome(Answer(201, {}), "h")[0] == "delivered"
    replayed = {"code": "DOCUMENT_REPLAYED", "detail": "recorded with hash h"}
    assert _outcome(Answer(409, replayed), "h")[0] == "delivered"


def test_a_refused_document_is_not_retried_holds_its_order_only_and_is_sent_again(
    proxied: tuple[Node, Node, Proxy],
) -> None:
    aus, jpn, proxy = proxied
    proxy.rules[b"poison-422"] = "422"
    refused_uid, (refused, held) = _place(aus, "poison-422")
    other_uid, _ = _place(aus, "an order that flows")
    wait_for(lambda: _submitted_on(jpn, other_uid), what="the other order on JPN")
    wait_for(lambda: _row(aus)["refused"] == 1, what="the refusal")

    row = _row(aus)
    assert (row["pending"], row["held"], row["refused"], row["delivered"]) == (1, 1, 1, 2)
    [entry] = _status(aus)["refused"]
    assert (entry["document"], entry["code"], entry["attempts"]) == (
        refused,
        "DOCUMENT_NOT_PARTY",
        1,
    )
    assert entry["error"] == "injected refusal"
    assert entry["set_aside"] is False
    # Not retried, and the order's next document never left AUS.
    deliverer_passes = datetime.now(UTC) + timedelta(seconds=5)
    wait_for(lambda: datetime.now(UTC) > deliverer_passes, what="a few deliverer passes")
    assert proxy.attempts[refused] == 1
    assert proxy.attempts[held] == 0
    assert jpn.order_by_uid(refused_uid) is None

    # The partner takes it now: resent by the CLI (a prefix of its id), it arrives with the
    # document held behind it, in order.
    proxy.rules.clear()
    again = acsa("exchange", "resend", refused[:8], "--db", aus.db_url)
    assert (again["document"], again["status"], again["attempts"]) == (refused, "pending", 0)
    wait_for(lambda: _submitted_on(jpn, refused_uid), what="the resent order on JPN")
    row = _row(aus)
    assert (row["pending"], row["held"], row["refused"], row["delivered"]) == (0, 0, 0, 4)
    assert proxy.forwarded.index(refused) < proxy.forwarded.index(held)
    [(subject, before, after)] = _audited(aus, "document.resend")
    assert subject == f"document:{refused}"
    assert (before["status"], before["code"], after["status"]) == (
        "refused",
        "DOCUMENT_NOT_PARTY",
        "pending",
    )

    # A delivered document is not sent again; an unknown one is not found.
    delivered = _cli("exchange", "resend", refused, "--db", aus.db_url, "--json")
    assert delivered.code == 2
    assert "INVALID_TRANSITION" in delivered.stdout + delivered.stderr
    unknown = _cli("exchange", "resend", "0123456789ab", "--db", aus.db_url, "--json")
    assert unknown.code == 2
    assert "DOCUMENT_NOT_FOUND" in unknown.stdout + unknown.stderr
    assert len(_audited(aus, "document.resend")) == 1


def test_a_document_that_keeps_failing_is_set_aside_unless_the_partner_is_down(
    proxied: tuple[Node, Node, Proxy],
) -> None:
    aus, jpn, proxy = proxied
    # A 500 on every attempt: set aside after 3, and the other order flows.
    proxy.rules[b"poison-500"] = "500"
    failing_uid, (failing, held) = _place(aus, "poison-500")
    other_uid, _ = _place(aus, "an order that flows")
    wait_for(lambda: _submitted_on(jpn, other_uid), what="the other order on JPN", timeout_s=90)
    assert proxy.attempts[failing] == ATTEMPTS
    assert proxy.attempts[held] == 0
    [entry] = _status(aus)["refused"]
    assert (entry["document"], entry["code"], entry["set_aside"]) == (
        failing,
        "DOCUMENT_SET_ASIDE",
        True,
    )
    assert entry["attempts"] == ATTEMPTS
    assert "500" in entry["error"]
    assert "injected failure" in entry["error"]
    assert (_row(aus)["held"], _row(aus)["refused"]) == (1, 1)
    shown = _cli("exchange", "status", "--db", aus.db_url)
    assert shown.code == 0, shown.stderr
    assert "DOCUMENT_SET_ASIDE" in shown.stdout
    assert failing in shown.stdout

    # A connection dropped without an answer while the partner's node answers its health
    # check: the document is to blame, and is set aside too.
    proxy.rules[b"poison-drop"] = "drop"
    dropped_uid, (dropped, _) = _place(aus, "poison-drop")
    flowing_uid, _ = _place(aus, "another order that flows")
    wait_for(lambda: _submitted_on(jpn, flowing_uid), what="the next order on JPN", timeout_s=90)
    assert proxy.attempts[dropped] == ATTEMPTS
    set_aside = {e["document"]: e for e in _status(aus)["refused"]}
    assert set_aside[dropped]["set_aside"] is True
    assert "no answer" in set_aside[dropped]["error"]

    # The partner down (nothing answers, not even its health check): nothing is set aside,
    # however many attempts; everything waits for the partner and arrives once it is back.
    proxy.down = True
    waiting_uid, (waiting, _) = _place(aus, "sent while the partner is down")
    wait_for(lambda: proxy.attempts[waiting] >= ATTEMPTS + 3, what="attempts", timeout_s=90)
    row = _row(aus)
    assert row["refused"] == 2
    assert row["attempts"] >= ATTEMPTS + 2
    assert "does not answer at all" in row["last_error"]
    proxy.down = False
    wait_for(lambda: _submitted_on(jpn, waiting_uid), what="the order once JPN is back")

    # Sent again through the API by an admin of AUS (not by its finance officer), once the
    # partner takes them: each arrives, with the document held behind it.
    proxy.rules.clear()
    with aus.client("finance") as client:
        forbidden = client.post(f"/exchange/documents/{failing}/resend")
    assert forbidden.status_code == 403, forbidden.text
    for document in (failing, dropped):
        again = aus.call("admin", "POST", f"/exchange/documents/{document}/resend")
        assert (again["status"], again["set_aside"]) == ("pending", False)
    wait_for(lambda: _submitted_on(jpn, failing_uid), what="the resent order on JPN")
    wait_for(lambda: _submitted_on(jpn, dropped_uid), what="the other resent order on JPN")
    assert proxy.forwarded.index(failing) < proxy.forwarded.index(held)
    row = _row(aus)
    assert (row["pending"], row["held"], row["refused"], row["delivered"]) == (0, 0, 0, 10)
    assert len(_audited(aus, "document.resend")) == 2
