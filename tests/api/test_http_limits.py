"""The HTTP edge through a real ``acsa serve`` (SQLite and PostgreSQL): bodies are bounded
before anything parses them or asks who is sending them, unknown API paths and methods are
problem documents, and deeply nested JSON is a coded 422, never a 500.

Each oversize request is checked to have stored nothing (orders, audit records, idempotency
keys counted in the database before and after).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.api.body_limit import ENV_MAX_BODY, ENV_MAX_UPLOAD, nested_deeper_than
from acsa.domain.limits import BODY_BYTES_DEFAULT, JSON_DEPTH_MAX
from acsa.services.setup import init_database
from tests.api.conftest import Api
from tests.api.server import Server, add_people
from tests.e2e.cli import run
from tests.orders_data import order_doc

PROBLEM = "application/problem+json"
MIB = 1024 * 1024


def _counts(db_url: str) -> dict[str, int]:
    """Rows of the tables a write would touch."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in (t.orders, t.audit_log, t.idempotency_keys)
            }
    finally:
        engine.dispose()


def _padded(doc: dict[str, Any], size: int) -> bytes:
    """``doc`` as JSON of exactly ``size`` bytes (spaces after it: still the same document)."""
    raw = json.dumps(doc).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["errors"][0]["code"] == code
    return body


def _raw_exchange(port: int, head: bytes, body: bytes, timeout_s: float = 10.0) -> bytes:
    """Send ``head`` and part of a body on a bare socket, never finishing it, and read what
    the server answers meanwhile (until its response's headers and some of its body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(head + body)
        received = b""
        deadline = time.monotonic() + timeout_s
        while b"\r\n\r\n" not in received and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def _chunked(data: bytes, size: int = 64 * 1024) -> bytes:
    return b"".join(
        f"{len(data[i : i + size]):x}\r\n".encode() + data[i : i + size] + b"\r\n"
        for i in range(0, len(data), size)
    )


# --- bodies ----------------------------------------------------------------------------------


def test_an_oversize_body_is_413_before_authentication_and_stores_nothing(api: Api) -> None:
    doc = order_doc()
    too_big = _padded({**doc, "remarks": "x" * (2 * MIB)}, 2 * MIB + 2048)
    before = _counts(api.db_url)
    for headers in ({}, api.as_("AUS-requester"), {"Authorization": "Bearer not-a-token"}):
        sent = api.client.post(
            "/orders",
            content=too_big,
            headers={**headers, "Content-Type": "application/json", "Idempotency-Key": "big-1"},
        )
        body = _problem(sent, 413, "BODY_TOO_LARGE")
        assert str(BODY_BYTES_DEFAULT) in body["detail"]
    # Every other operation too, whatever it is and whoever asks.
    for path in ("/orders/check", "/agreements", "/users", "/tokens", "/exchange/documents"):
        _problem(api.client.post(path, content=too_big), 413, "BODY_TOO_LARGE")
    assert _counts(api.db_url) == before
    # The same order within the bound is taken.
    placed = api.client.post("/orders", json=doc, headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text


def test_a_chunked_oversize_body_is_refused_as_it_arrives(api: Api) -> None:
    def pieces() -> Iterator[bytes]:
        for _ in range(32):
            yield b" " * (64 * 1024)

    before = _counts(api.db_url)
    for headers in ({}, api.as_("AUS-requester")):
        sent = api.client.post(
            "/orders", content=pieces(), headers={**headers, "Content-Type": "application/json"}
        )
        assert "content-length" not in {k.lower() for k in sent.request.headers}
        _problem(sent, 413, "BODY_TOO_LARGE")
    assert _counts(api.db_url) == before


def test_the_refusal_comes_before_the_body_is_read(api: Api) -> None:
    """On a bare socket, a body that never ends: a declared 50 MB is refused on its headers,
    a chunked one as soon as it passes the bound; neither waits for the rest."""
    declared = (
        b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n"
    )
    answer = _raw_exchange(api.server.port, declared, b"{" + b" " * 1000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    chunked = (
        b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = _raw_exchange(api.server.port, chunked, _chunked(b" " * (BODY_BYTES_DEFAULT + 1)))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Within the bound and unfinished, the server waits for the rest (no answer yet).
    with pytest.raises(TimeoutError):
        _raw_exchange(api.server.port, chunked, _chunked(b" " * 1000), timeout_s=1.5)


def test_a_body_at_the_bound_is_taken(api: Api) -> None:
    checked = api.client.post(
        "/orders/check",
        content=_padded(order_doc(), BODY_BYTES_DEFAULT),
        headers={**api.as_("AUS-requester"), "Content-Type": "application/json"},
    )
    assert checked.status_code == 200, checked.text[:500]
    assert checked.json() == {"errors": []}
    one_more = api.client.post(
        "/orders/check",
        content=_padded(order_doc(), BODY_BYTES_DEFAULT + 1),
        headers={**api.as_("AUS-requester"), "Content-Type": "application/json"},
    )
    _problem(one_more, 413, "BODY_TOO_LARGE")


def test_a_form_too_large_is_an_error_page(api: Api) -> None:
    sent = httpx.post(
        api.url("/login"), data={"name": "x", "password": "y" * (2 * MIB)}, timeout=30
    )
    assert sent.status_code == 413
    assert sent.headers["content-type"].startswith("text/html")
    assert "BODY_TOO_LARGE" in sent.text
    assert sent.headers["x-frame-options"] == "DENY"


def test_the_book_to_reconcile_has_the_upload_bound(api: Api) -> None:
    """A 2 MiB book file is within the upload bound: it reaches the route (a 401 without a
    token), where any other body that size is 413."""
    book = b" " * (2 * MIB)
    _problem(api.client.post("/books/reconcile", content=book), 401, "UNAUTHENTICATED")
    _problem(api.client.post("/orders/check", content=book), 413, "BODY_TOO_LARGE")


# --- paths and methods ----------------------------------------------------------------------


def test_unknown_paths_and_methods_are_problem_documents(api: Api) -> None:
    c = api.client
    viewer = api.as_("JPN-viewer")
    for path in ("/nothing", "/orders/1/nothing", "/orders/", "/v2"):
        for headers in ({}, viewer):
            body = _problem(c.get(path, headers=headers), 404, "PATH_NOT_FOUND")
            assert body["errors"][0]["field"] == "path"
    _problem(c.request("BREW", "/orders"), 405, "METHOD_NOT_ALLOWED")
    for method, path, allowed in (
        ("DELETE", "/orders", {"GET", "POST"}),
        ("PATCH", "/orders/1", {"GET", "PUT"}),  # PUT edits a draft
        ("GET", "/orders/1/submit", {"POST"}),
        ("PATCH", "/ping", {"GET"}),
        ("GET", "/exchange/documents", {"POST"}),
    ):
        for headers in ({}, viewer):
            sent = c.request(method, path, headers=headers)
            _problem(sent, 405, "METHOD_NOT_ALLOWED")
            assert set(sent.headers["allow"].split(", ")) == allowed, sent.headers
    # A query parameter the operation does not document is refused, naming it.
    for path, params in (("/orders", {"limt": "5"}), ("/whoami", {"a": "b"}), ("/audit", {"": ""})):
        sent = c.get(path, params=params, headers=viewer)
        body = _problem(sent, 400, "INVALID_INPUT")
        assert body["errors"][0]["field"] == next(iter(params)), body
    assert c.get("/orders", params={"limit": "5"}, headers=viewer).status_code == 200
    # Pages outside the API keep their error page.
    page = httpx.get(api.url("/nothing-here"), timeout=30)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


# --- depth ------------------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return (b'{"a":' * depth) + b"1" + (b"}" * depth)


def test_deeply_nested_json_is_a_coded_422(api: Api) -> None:
    c = api.client
    before = _counts(api.db_url)
    requester = api.as_("AUS-requester")
    for depth in (JSON_DEPTH_MAX + 1, 5_000, 150_000):
        for headers in ({}, requester):
            for path in ("/orders", "/orders/check", "/orders/1/accept", "/agreements"):
                sent = c.post(
                    path,
                    content=_nested(depth),
                    headers={**headers, "Content-Type": "application/json"},
                )
                _problem(sent, 422, "BODY_TOO_DEEP")
        # In an array, in a value of a real order, without a content type: the same.
        lines = [{**order_doc()["lines"][0], "nsn": json.loads("[" * 40 + "]" * 40)}]
        sent = c.post("/orders", content=json.dumps({**order_doc(), "lines": lines}))
        _problem(sent, 422, "BODY_TOO_DEEP")
        inbox = c.post("/exchange/documents", content=b"[" * depth + b"]" * depth)
        _problem(inbox, 422, "DOCUMENT_INVALID")
        checkpoint = c.post("/audit/checkpoints", content=b"[" * depth + b"]" * depth)
        _problem(checkpoint, 422, "CHECKPOINT_INVALID")
    # At the bound, the depth is no reason: the rules answer (the document is no order).
    sent = c.post("/orders/check", content=_nested(JSON_DEPTH_MAX), headers=requester)
    assert sent.status_code in (400, 422), sent.text
    assert sent.json()["code"] != "BODY_TOO_DEEP"
    # Brackets inside strings are text, not nesting.
    doc = {**order_doc(), "remarks": "[" * 500 + "{" * 500}
    placed = c.post("/orders", json=doc, headers=requester)
    assert placed.status_code in (201, 422), placed.text
    assert placed.json().get("code") != "BODY_TOO_DEEP"
    assert _counts(api.db_url)["orders"] == before["orders"] + (placed.status_code == 201)


def test_depth_is_counted_on_the_bytes() -> None:
    assert not nested_deeper_than(b"[" * 32 + b"]" * 32)
    assert nested_deeper_than(b"[" * 33 + b"]" * 33)
    assert nested_deeper_than(b'{"a": [' * 17 + b"1" + b"]}" * 17)
    assert not nested_deeper_than(b'{"a": [' * 16 + b"1" + b"]}" * 16)
    assert not nested_deeper_than(b'["' + b"[" * 100 + b'"]')
    assert not nested_deeper_than(b'["\\"' + b"[" * 100 + b'"]')
    assert nested_deeper_than(b'["\\\\"' + b"," + b"[" * 100 + b"]" * 101)
    wide = b"[" + b",".join([b"[[1]]"] * 100_000) + b"]"
    assert not nested_deeper_than(wide)
    started = time.monotonic()
    assert nested_deeper_than(b"[" * BODY_BYTES_DEFAULT)  # unclosed: no pair, but deep
    assert time.monotonic() - started < 1.0


# --- configuration ----------------------------------------------------------------------------


@pytest.fixture
def small_server(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Server, str]]:
    monkeypatch.setenv(ENV_MAX_BODY, "4096")
    monkeypatch.setenv(ENV_MAX_UPLOAD, "8192")
    token = add_people(db_url, ("AUS",), passwords=False)["AUS-requester"].token
    with Server(db_url, log=tmp_path / "small.log") as server:
        yield server, token


def test_the_bounds_are_configurable(small_server: tuple[Server, str]) -> None:
    server, token = small_server
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = server.base + "/api/v1/orders/check"
    taken = httpx.post(url, content=_padded(order_doc(), 4096), headers=headers, timeout=30)
    assert taken.status_code == 200, taken.text
    refused = httpx.post(url, content=_padded(order_doc(), 4097), headers=headers, timeout=30)
    assert "4096 bytes" in _problem(refused, 413, "BODY_TOO_LARGE")["detail"]
    book = server.base + "/api/v1/books/reconcile"
    _problem(httpx.post(book, content=b" " * 8192, timeout=30), 401, "UNAUTHENTICATED")
    _problem(httpx.post(book, content=b" " * 8193, timeout=30), 413, "BODY_TOO_LARGE")


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1e6", "99999999999999999999"])
def test_a_bound_that_is_no_number_of_bytes_stops_the_server(value: str, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    init_database(engine)
    engine.dispose()
    result = run("serve", "--db", sqlite_url, "--port", "1", env={ENV_MAX_BODY: value})
    assert result.code == 2, result
    assert "INVALID_INPUT" in result.stderr + result.stdout
    assert ENV_MAX_BODY in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
