"""Malformed documents sent to a real node's inbox (AUS on SQLite, JPN on PostgreSQL): too
large, too deep, not JSON, each field missing, of the wrong type, out of its bounds or of the
wrong form, each kind's body of the wrong shape, dates outside the dates acsa takes and times
ahead of the node's clock. Most are signed with the partner's genuine key (so only the checks
of form stand between them and the order's rules). Each is answered with a coded 4xx naming the
field (DOCUMENT_INVALID, or DOCUMENT_FROM_THE_FUTURE / DOCUMENT_VERSION_UNSUPPORTED), never a
5xx, and the node's database is left exactly as it was; the genuine document the corpus is
made from is then recorded (the control)."""

from __future__ import annotations

import copy
import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.signing import NodeKey
from acsa.domain.documents import SIGNED_FIELDS, Kind, canonical
from tests.exchange.nodes import Node, counts, wait_for
from tests.exchange.test_tampering import _documents, _post
from tests.orders_data import order_doc

INVALID = frozenset({"DOCUMENT_INVALID"})
#: A body over the size bound may be stopped by the HTTP edge before the inbox sees it.
TOO_LARGE = frozenset({"DOCUMENT_INVALID", "BODY_TOO_LARGE"})
FUTURE = frozenset({"DOCUMENT_FROM_THE_FUTURE"})
VERSION = frozenset({"DOCUMENT_VERSION_UNSUPPORTED"})
DIGITS_41 = "1" * 41
DIGITS_30 = "9" * 30


class Case:
    """One malformed document: its kind of fault, name, bytes, the codes and field expected."""

    def __init__(
        self, group: str, name: str, wire: bytes, codes: frozenset[str], field: str | None
    ) -> None:
        self.group, self.name, self.wire, self.codes, self.field = group, name, wire, codes, field


def _sign(data: dict[str, Any], key: NodeKey) -> bytes:
    """The document signed as its issuer would sign it (over every field present but the
    signature), in canonical form."""
    signed = {k: v for k, v in data.items() if k != "signature"}
    return canonical({**signed, "signature": key.sign(canonical(signed))})


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set the value at ``path`` (``body.lines[0].quantity``); the special value DROP removes
    the key."""

    def mutate(doc: dict[str, Any]) -> None:
        parts = path.replace("]", "").replace("[", ".").split(".")
        target: Any = doc
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        if value is DROP:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


DROP = object()


def _top_level(base: dict[str, Any], key: NodeKey, now: datetime) -> list[Case]:
    """Faults of the envelope, shared by every kind."""
    cases: list[Case] = []

    def add(name: str, mutate: Mutation, field: str, codes: frozenset[str] = INVALID) -> None:
        doc = copy.deepcopy(base)
        mutate(doc)
        cases.append(Case("envelope", name, _sign(doc, key), codes, field))

    for name in SIGNED_FIELDS:
        add(f"{name} missing", _set(name, DROP), name)
    missing = copy.deepcopy(base)
    del missing["signature"]
    cases.append(Case("envelope", "signature missing", canonical(missing), INVALID, "signature"))
    add("an unknown field", _set("extra", 1), "extra")
    add("an unknown nested field", _set("meta", {"a": {"b": [1, 2]}}), "meta")
    wrong: list[tuple[str, Any]] = [
        ("id", 5),
        ("id", None),
        ("id", "a" * 5000),
        ("id", "not-a-uuid"),
        ("id", str(uuid.uuid4()).upper()),
        ("id", ["x"]),
        ("order", "u" * 5000),
        ("order", "order-1"),
        ("order", 1),
        ("order", {"uid": "x"}),
        ("kind", "refund"),
        ("kind", 3),
        ("kind", ["order"]),
        ("kind", ""),
        ("seq", "1"),
        ("seq", 0),
        ("seq", -1),
        ("seq", True),
        ("seq", 1.5),
        ("seq", 2**40),
        ("seq", 10**30),
        ("seq", None),
        ("prev", "0" * 63),
        ("prev", "A" * 64),
        ("prev", 0),
        ("prev", "0" * 5000),
        ("issuer", "aus"),
        ("issuer", "AUSX"),
        ("issuer", 36),
        ("issuer", ""),
        ("recipient", "J"),
        ("recipient", None),
        ("key", "ed25519:abc"),
        ("key", "f" * 5000),
        ("key", 1),
        ("at", "yesterday"),
        ("at", "2026-10-01T10:00:00"),
        ("at", "9999-12-31T00:00:00+00:00"),
        ("at", "1900-01-01T00:00:00+00:00"),
        ("at", 1700000000),
        ("at", "2026-10-01T10:00:00+00:00" + " " * 5000),
        ("at", None),
        ("actor", "a" * 5000),
        ("actor", ""),
        ("actor", "   "),
        ("actor", None),
        ("actor", 7),
        ("actor", "nzl\x00ops"),
        ("actor", "two\nlines"),
        ("body", []),
        ("body", "order"),
        ("body", None),
        ("body", 1),
        ("format", "acsa-book"),
        ("format", None),
    ]
    for field, value in wrong:
        add(f"{field} = {repr(value)[:30]}", _set(field, value), field)
    add("format NaN", _set("format", float("nan")), "format")
    add("version 2", _set("version", 2), "version", VERSION)
    add("version '1'", _set("version", "1"), "version", VERSION)
    add("version true", _set("version", True), "version", VERSION)
    for name, value in (
        ("signature not base64", "!" * 88),
        ("signature 5000 characters", "A" * 5000),
        ("signature a number", 12),
    ):
        doc = copy.deepcopy(base)
        doc["signature"] = value
        cases.append(Case("envelope", name, canonical(doc), INVALID, "signature"))
    for name, ahead in (
        ("1 hour ahead", timedelta(hours=1)),
        ("10 minutes ahead", timedelta(minutes=10)),
        ("a year ahead", timedelta(days=365)),
    ):
        add(f"at {name}", _set("at", (now + ahead).isoformat()), "at", FUTURE)
    add("at 2100-12-31", _set("at", "2100-12-31T00:00:00+00:00"), "at", FUTURE)
    add("at in 2101", _set("at", "2101-01-01T00:00:00+00:00"), "at")
    return cases


def _raw(base: dict[str, Any], key: NodeKey) -> list[Case]:
    """Bytes that are no document: not JSON, not an object, too deep, too large."""
    cases = [
        Case("not a document", name, wire, INVALID, "document")
        for name, wire in (
            ("empty", b""),
            ("half an object", b'{"format":'),
            ("not JSON", b"not json"),
            ("a list", b"[]"),
            ("null", b"null"),
            ("a number", b"1"),
            ("a string", b'"acsa-document"'),
            ("bytes that are not UTF-8", b"\xff\xfe\x00{"),
        )
    ]
    deep = [
        ("100,000 nested lists", b"[" * 100_000 + b"]" * 100_000),
        ("100,000 nested objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        ("100,000 unclosed lists", b"[" * 100_000),
        ("33 nested lists", b"[" * 33 + b"]" * 33),
        (
            "a signed document whose location nests 40 lists",
            _sign({**base, "body": {**base["body"], "location": _nested(40)}}, key),
        ),
    ]
    # The HTTP edge counts the depth before the inbox does, and names the request's body.
    cases += [Case("too deep", name, wire, INVALID, "document|body") for name, wire in deep]
    large = {**base, "body": {**base["body"], "remarks": "x" * (2 * 1024 * 1024)}}
    cases.append(Case("too large", "a signed 2 MiB document", _sign(large, key), TOO_LARGE, None))
    padded = canonical(base) + b" " * (1024 * 1024)
    cases.append(Case("too large", "a document padded past 1 MiB", padded, TOO_LARGE, None))
    return cases


#: The optional fields of an order's body (domain/documents.py _ATTESTED).
ATTESTED = frozenset(
    {"cash_reason", "determination", "determination_date", "hostilities", "confirm"}
)


def _order_body(base: dict[str, Any], key: NodeKey) -> list[Case]:
    """An order document's body of the wrong shape, signed by the requester's node."""
    cases: list[Case] = []

    def add(name: str, mutate: Mutation, field: str) -> None:
        doc = copy.deepcopy(base)
        mutate(doc)
        cases.append(Case("order body", name, _sign(doc, key), INVALID, field))

    # What an order attests is carried only when given: leaving it out is no fault.
    for name in sorted(set(base["body"]) - ATTESTED):
        add(f"body.{name} missing", _set(f"body.{name}", DROP), f"body.{name}")
    add("body.cash_reason empty", _set("body.cash_reason", " "), "body.cash_reason")
    add("body.hostilities false", _set("body.hostilities", False), "body.hostilities")
    add("body.confirm unknown", _set("body.confirm", ["ALL_GOOD"]), "body.confirm")
    add("body.confirm twice", _set("body.confirm", ["ACTIVITY_UNVERIFIED"] * 2), "body.confirm")
    add(
        "body.determination_date",
        _set("body.determination_date", "2026-13-01"),
        "body.determination_date",
    )
    for name in sorted(base["body"]["lines"][0]):
        add(
            f"lines[0].{name} missing",
            _set(f"body.lines[0].{name}", DROP),
            f"body.lines[0].{name}",
        )
    add("an unknown body field", _set("body.priority", "high"), "body.priority")
    add("an unknown line field", _set("body.lines[0].discount", "5"), "body.lines[0].discount")
    values: list[tuple[str, Any]] = [
        ("agreement", 5),
        ("agreement", ""),
        ("agreement", "A" * 5000),
        ("requester", "aus"),
        ("requester", 1),
        ("supplier", None),
        ("activity", None),
        ("activity", ["exercise"]),
        ("settlement", "s" * 5000),
        ("order_date", "9999-12-31"),
        ("order_date", "2026-02-30"),
        ("order_date", 20261001),
        ("order_date", "1 Oct 2026"),
        ("order_date", "1900-01-01"),
        ("needed_by", "0001-01-01"),
        ("needed_by", "2026-10-05T00:00:00"),
        ("location", "L" * 5000),
        ("location", "Darwin\x00"),
        ("location", 5),
        ("location", {"a": {"b": {"c": {"d": "deep"}}}}),
        ("location", None),
        ("operation", 5),
        ("operation", "o" * 5000),
        ("remarks", "r" * 5000),
        ("remarks", "bell\x07"),
        ("fund_citation", ["x"]),
        ("lines", "all"),
        ("lines", []),
        ("lines", {}),
        ("lines", None),
        ("lines[0]", "fuel"),
        ("lines[0].quantity", "1e28"),
        ("lines[0].quantity", DIGITS_41),
        ("lines[0].quantity", "10000000000000000000"),
        ("lines[0].quantity", "١٢٣"),
        ("lines[0].quantity", "１２"),
        ("lines[0].quantity", "1_000"),
        ("lines[0].quantity", " 5 "),
        ("lines[0].quantity", 5.0),
        ("lines[0].quantity", 5),
        ("lines[0].quantity", "-1"),
        ("lines[0].quantity", "0"),
        ("lines[0].quantity", "1.0000001"),
        ("lines[0].quantity", "NaN"),
        ("lines[0].quantity", "Infinity"),
        ("lines[0].quantity", None),
        ("lines[0].quantity", ["5"]),
        ("lines[0].unit_price", DIGITS_30),
        ("lines[0].unit_price", "1e20"),
        ("lines[0].unit_price", "-5"),
        ("lines[0].unit_price", "1.00000000000000000000000000000000000000001"),
        ("lines[0].unit_price", True),
        ("lines[0].currency", "jpy"),
        ("lines[0].currency", "JPYY"),
        ("lines[0].currency", 392),
        ("lines[0].description", "d" * 5000),
        ("lines[0].description", _nested(20)),
        ("lines[0].nsn", 9130),
        ("lines[0].nsn", "n" * 5000),
        ("lines[0].category", ""),
        ("lines[0].unit", "u" * 5000),
    ]
    for path, value in values:
        add(f"{path} = {repr(value)[:30]}", _set(f"body.{path}", value), f"body.{path}")
    add("lines = [[]]", _set("body.lines", [[]]), "body.lines[0]")
    many = copy.deepcopy(base)
    many["body"]["lines"] = [many["body"]["lines"][0]] * 201
    cases.append(Case("order body", "201 lines", _sign(many, key), INVALID, "body.lines"))
    return cases


def _step_bodies(base: dict[str, Any], key: NodeKey) -> list[Case]:
    """An acceptance's body of the wrong shape, and every kind with a body not its own."""
    cases: list[Case] = []

    def add(name: str, mutate: Mutation, field: str) -> None:
        doc = copy.deepcopy(base)
        mutate(doc)
        cases.append(Case("step body", name, _sign(doc, key), INVALID, field))

    add("lines missing", _set("body.lines", DROP), "body.lines")
    add("an unknown field", _set("body.note", "x"), "body.note")
    for value in ([], {}, "all", None, ["12000"]):
        add(f"lines = {value!r}", _set("body.lines", value), "body.lines")
    for lines in ({"x": "1"}, {"0": "1"}, {"-1": "1"}, {"9999999": "1"}, {"01": "1"}):
        add(f"lines = {lines}", _set("body.lines", lines), "body.lines")
    for value in ("-1", "1e3", DIGITS_41, "1.1234567", "١", 5, 5.5, None, {"q": "1"}, [1]):
        add(f"lines.1 = {value!r}", _set("body.lines.1", value), "body.lines.1")
    invoice = {
        "number": "JPN-2026-0001",
        "kind": "cash",
        "amount": "100",
        "currency": "JPY",
        "issued": "2026-10-10",
        "due": "2026-11-09",
    }
    payment = {
        "invoice": "JPN-2026-0001",
        "amount": "100",
        "currency": "JPY",
        "paid": "2026-10-11",
        "reference": "TT-1",
    }
    returned = {
        "date": "2026-10-12",
        "note": "",
        "lines": [
            {"line": 1, "category": "fuel", "nsn": None, "quantity": "10", "description": ""}
        ],
    }
    given = {
        "date": "2026-10-12",
        "agreed_by": "both",
        "valuation_note": "",
        "lines": [
            {
                "category": "transportation",
                "description": "airlift",
                "quantity": "1",
                "unit": "EA",
                "value": "100",
            }
        ],
    }
    conversion = {
        "as_of": "2028-12-31",
        "amount": "100",
        "currency": "JPY",
        "invoice": "JPN-2028-0001",
        "deadline": "2027-01-09",
    }
    settled: list[tuple[Kind, dict[str, Any], str, Any]] = [
        (Kind.INVOICE, invoice, "issued", "9999-12-31"),
        (Kind.INVOICE, invoice, "due", "2026-13-01"),
        (Kind.INVOICE, invoice, "amount", DIGITS_30),
        (Kind.INVOICE, invoice, "amount", "1e309"),
        (Kind.INVOICE, invoice, "kind", "credit"),
        (Kind.INVOICE, invoice, "number", "N" * 5000),
        (Kind.PAYMENT, payment, "paid", "9999-12-31"),
        (Kind.PAYMENT, payment, "amount", "1e309"),
        (Kind.PAYMENT, payment, "amount", DIGITS_41),
        (Kind.PAYMENT, payment, "amount", "0"),
        (Kind.PAYMENT, payment, "reference", "r" * 5000),
        (Kind.REPLACEMENT, returned, "lines[0].quantity", DIGITS_41),
        (Kind.REPLACEMENT, returned, "lines[0].line", 10**20),
        (Kind.REPLACEMENT, returned, "date", "0000-01-01"),
        (Kind.EXCHANGE, given, "lines[0].value", "1e20"),
        (Kind.EXCHANGE, given, "agreed_by", {"a": ["b"]}),
        (Kind.CONVERSION, conversion, "as_of", "9999-12-31"),
        (Kind.CONVERSION, conversion, "amount", "-100"),
    ]
    for kind, body, path, value in settled:
        doc = copy.deepcopy(base)
        doc["kind"], doc["body"] = kind.value, copy.deepcopy(body)
        _set(f"body.{path}", value)(doc)
        name = f"a {kind.value} with {path} = {repr(value)[:30]}"
        cases.append(Case("settlement body", name, _sign(doc, key), INVALID, f"body.{path}"))
    for kind in Kind:
        if kind in (Kind.ACCEPT, Kind.DELIVER):  # a delivery's body has the same shape
            continue
        doc = copy.deepcopy(base)
        doc["kind"] = kind.value
        # An order's body, a receipt's lines, each other kind's fields: whichever comes first.
        cases.append(
            Case(
                "step body",
                f"a {kind.value} with an acceptance's body",
                _sign(doc, key),
                INVALID,
                "body.",
            )
        )
    return cases


def corpus(base: dict[str, Any], key: NodeKey, now: datetime) -> list[Case]:
    cases = _raw(base, key) + _top_level(base, key, now)
    if base["kind"] == Kind.ORDER.value:
        cases += _order_body(base, key)
    else:
        cases += _step_bodies(base, key)
    return cases


@pytest.fixture
def submitted(nodes: tuple[Node, Node]) -> tuple[Node, Node, str, list[Any]]:
    """An order AUS placed and submitted; both nodes hold its two documents."""
    aus, jpn = nodes
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    uid = placed["uid"]
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    wait_for(lambda: (jpn.order_by_uid(uid) or {}).get("status") == "submitted")
    docs = _documents(aus, uid)
    assert len(docs) == 2
    return aus, jpn, uid, docs


def _send(node: Node, cases: list[Case]) -> tuple[list[str], Counter[str]]:
    """Send every case; what went wrong (a 5xx, another code or field, a row recorded)."""
    engine = make_engine(node.db_url)
    wrong: list[str] = []
    sent: Counter[str] = Counter()
    try:
        for case in cases:
            before = counts(engine)
            try:
                response = _post(node, case.wire)
            except httpx.HTTPError as error:  # the server must answer every one
                wrong.append(f"{case.group}/{case.name}: no answer ({error})")
                continue
            sent[case.group] += 1
            where = f"{case.group}/{case.name}: {response.status_code} {response.text[:300]}"
            if not 400 <= response.status_code < 500:
                wrong.append(where)
                continue
            problem = response.json()
            field = (problem.get("errors") or [{}])[0].get("field")
            if problem.get("code") not in case.codes:
                wrong.append(f"{where} (code, expected {sorted(case.codes)})")
            elif case.field is not None and not (
                field in case.field.split("|")
                or (case.field.endswith(".") and field.startswith(case.field))
            ):
                wrong.append(f"{where} (field {field!r}, expected {case.field!r})")
            if counts(engine) != before:
                wrong.append(f"{case.group}/{case.name}: something was recorded")
    finally:
        engine.dispose()
    return wrong, sent


def test_malformed_documents_are_refused_naming_the_field_and_record_nothing(
    submitted: tuple[Node, Node, str, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    aus, jpn, uid, docs = submitted
    aus_key, jpn_key = NodeKey.load(aus.key_file), NodeKey.load(jpn.key_file)
    now = datetime.now(UTC)
    # To JPN (PostgreSQL): a new order from AUS, as AUS's node would sign it.
    order = json.loads(docs[0].wire())
    order.update(id=str(uuid.uuid4()), order=str(uuid.uuid4()), at=now.isoformat())
    # To AUS (SQLite): JPN's acceptance of the submitted order, as JPN's node would sign it.
    accept = {
        **json.loads(docs[1].wire()),
        "id": str(uuid.uuid4()),
        "kind": "accept",
        "seq": 3,
        "prev": docs[1].hash,
        "issuer": "JPN",
        "recipient": "AUS",
        "key": jpn.fingerprint,
        "at": now.isoformat(),
        "actor": "JPN-approver",
        "body": {"lines": {"1": "12000", "2": "400", "3": "2000.5"}},
    }
    report: dict[str, Counter[str]] = {}
    for node, base, key in ((jpn, order, aus_key), (aus, accept, jpn_key)):
        cases = corpus(base, key, now)
        wrong, sent = _send(node, cases)
        assert not wrong, "\n".join(wrong)
        report[node.nation] = sent
        # The control: the genuine document the corpus was made from is recorded.
        response = _post(node, _sign(base, key))
        assert response.status_code == 201, response.text
        log = node.server.log.read_text() if node.server.log else ""
        assert "Traceback" not in log
    assert (jpn.order_by_uid(order["order"]) or {}).get("status") == "draft"
    assert (aus.order_by_uid(uid) or {}).get("status") == "accepted"
    with capsys.disabled():
        for nation, sent in report.items():
            total = sum(sent.values())
            print(f"\nmalformed documents sent to {nation}: {total} {dict(sent)}")


def test_the_depth_is_counted_on_the_bytes_outside_strings() -> None:
    from acsa.domain.limits import JSON_DEPTH_MAX, json_text_depth

    assert json_text_depth(b"{}") == 1
    assert json_text_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_text_depth(b'{"a": "[[[[{{{{"}') == 1  # brackets in strings do not count
    assert json_text_depth(b'{"a": "\\"[[[[", "b": [[1]]}') == 3  # nor after an escaped quote
    assert json_text_depth(b"[" * 10_000_000) == JSON_DEPTH_MAX + 1  # stops counting
    nested = b"[" * JSON_DEPTH_MAX + b"]" * JSON_DEPTH_MAX
    assert json_text_depth(nested) == JSON_DEPTH_MAX
    assert json_text_depth(b"[" + nested + b"]") == JSON_DEPTH_MAX + 1
