"""The corpus of bad inputs (tests/bad_inputs.py) through the real ``acsa`` command on SQLite
and PostgreSQL (issue 13): ``orders new --file``, ``orders accept --line``, ``settle replace
--file``, ``payments record --amount --date`` and ``import orders`` with a bad CSV. Each is
exit 2 with a coded error naming the field (``--json``), never a traceback, and nothing is
written."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    SubmitOrder,
)
from acsa.domain import limits
from acsa.services.handlers import handle
from tests import bad_inputs as corpus
from tests.bad_inputs import Bad
from tests.e2e.cli import Result
from tests.e2e.cli import forked_run as run
from tests.e2e.test_import_cli import bad_copy
from tests.orders_data import order_doc
from tests.table_counts import row_counts

#: How many bad inputs each test sent, by kind (printed at the end of the run).
SENT: Counter[str] = Counter()


def _refused(result: Result, codes: frozenset[str], field: str) -> str | None:
    """Why ``result`` is not exit 2 with a coded error on ``field``, or None."""
    if "Traceback" in result.stderr or "Traceback" in result.stdout:
        return f"a traceback: {result.stderr[-400:]}"
    if result.code != 2:
        return f"exit {result.code}: {result.stdout[-300:]} {result.stderr[-300:]}"
    try:
        errors = json.loads(result.stdout)["errors"]
    except (ValueError, KeyError):
        return f"no JSON errors: {result.stdout[-300:]} {result.stderr[-300:]}"
    if any(e["code"] in codes and field in e["field"] for e in errors):
        return None
    return f"errors {errors} (wanted {sorted(codes)} on {field})"


#: The CLI starts a process per input (seconds each on a busy machine): a share of the corpus,
#: the inputs issue 13 names first.
def _place_corpus() -> list[Bad]:
    """The issue's bad quantities, a price and a line's value over their bounds, bad order
    dates, control characters and over-long texts, too many lines."""
    q, p, d, f = corpus.Q, corpus.P, corpus.D, corpus.F

    def line(**changes: Any) -> dict[str, Any]:
        doc = order_doc()
        doc["lines"][0].update(changes)
        return doc

    cases = [
        Bad("numbers", "place", line(quantity=v), q, "lines[0].quantity")
        for v in ("1e28", "9" * 41, "١٢٣", "１２", "1_000", " 5 ", str(10**18))
    ]
    cases.append(Bad("numbers", "place", line(unit_price="1" + "0" * 20), p, "lines[0].unit_price"))
    cases.append(
        Bad(
            "numbers",
            "place",
            line(quantity="1000000000", unit_price="1000000000"),
            corpus.A,
            "lines[0]",
        )
    )
    cases += [
        Bad("dates", "place", order_doc(order_date=v), d, "order_date")
        for v in ("9999-12-31", "0", "20261005")
    ]
    cases += [
        Bad("text", "place", order_doc(location=v), f, "location")
        for v in ("RAAF\x00Darwin", "RAAF\x1b[31mDarwin", "x" * 201)
    ]
    cases.append(Bad("text", "place", line(description="x" * 2001), f, "lines[0].description"))
    many = [order_doc()["lines"][0]] * (limits.ORDER_LINES_MAX + 1)
    cases.append(Bad("lists", "place", order_doc(lines=many), f, "lines"))
    return cases


def test_orders_new_with_a_bad_file_is_exit_2_and_writes_nothing(db_url: str, tmp_path: Path):
    cases = _place_corpus()
    before = row_counts(db_url)
    failures = []
    for n, bad in enumerate(cases):
        path = tmp_path / f"order-{n}.json"
        path.write_text(json.dumps(bad.body))
        result = run("orders", "new", "--file", str(path), "--db", db_url, "--json")
        why = _refused(result, bad.codes, bad.field)
        if why:
            failures.append(f"{bad.label}: {why}")
    assert row_counts(db_url) == before
    SENT.update(corpus.counts(cases))
    assert not failures, "\n".join(failures)


def test_orders_check_reports_what_place_refuses(db_url: str, tmp_path: Path):
    """``orders check`` said no error for several of these (issue 13)."""
    body = order_doc()
    body["lines"][0]["quantity"] = str(10**18)
    body["lines"][1]["unit_price"] = "100000000000000000000"
    path = tmp_path / "order.json"
    path.write_text(json.dumps(body))
    result = run("orders", "check", "--file", str(path), "--db", db_url, "--json")
    assert "Traceback" not in result.stderr
    found = {(e["code"], e["field"]) for e in json.loads(result.stdout)["errors"]}
    assert {
        ("INVALID_QUANTITY", "lines[0].quantity"),
        ("INVALID_PRICE", "lines[1].unit_price"),
    } <= found
    SENT.update(numbers=2)


def _received(db_url: str, settlement_method: str) -> int:
    """An order placed, taken to receipt in full through the services: its id."""
    engine = make_engine(db_url)
    try:
        placed = PlaceOrder.from_wire(order_doc(settlement=settlement_method))
        order, _ = handle(UnitOfWork(engine), placed, "AUS-requester")
        assert order.id is not None
        handle(UnitOfWork(engine), SubmitOrder(order_id=order.id), "AUS-requester")
        handle(UnitOfWork(engine), AcceptOrder(order_id=order.id), "JPN-approver")
        handle(UnitOfWork(engine), DeliverOrder(order_id=order.id), "JPN-logistics")
        handle(UnitOfWork(engine), ReceiveOrder(order_id=order.id), "AUS-logistics")
        return order.id
    finally:
        engine.dispose()


def test_settlement_steps_with_bad_input_are_exit_2_and_write_nothing(db_url: str, tmp_path: Path):
    in_kind = _received(db_url, "replacement_in_kind")
    cash = _received(db_url, "cash")
    engine = make_engine(db_url)
    try:
        invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=cash), "JPN-finance")
    finally:
        engine.dispose()
    before = row_counts(db_url)
    failures = []
    every = corpus.replacement_cases()
    replaced = [
        *[c for c in every if c.kind == "numbers"][:3],
        *[c for c in every if c.kind == "dates"][:1],
        *[c for c in every if c.kind == "text"][:1],
        *[c for c in every if c.kind == "lists"][:1],
    ]
    for n, bad in enumerate(replaced):
        path = tmp_path / f"lines-{n}.json"
        path.write_text(json.dumps(bad.body))
        result = run(
            "settle", "replace", str(in_kind), "--file", str(path), "--db", db_url, "--json"
        )
        why = _refused(result, bad.codes, bad.field)
        if why:
            failures.append(f"{bad.label}: {why}")
    issued = invoice.issued.isoformat()
    payments: list[tuple[str, str, frozenset[str], str]] = [
        *((v, issued, corpus.A, "amount") for v in ("1e309", "١٢٣", str(10**18))),
        *(("1", v, corpus.D, "date") for v in ("9999-12-31", "0")),
    ]
    for amount, day, codes, field in payments:
        result = run(
            "payments",
            "record",
            invoice.number,
            "--amount",
            amount,
            "--date",
            day,
            "--db",
            db_url,
            "--json",
        )
        why = _refused(result, codes, field)
        if why:
            failures.append(f"pay {amount!r} on {day!r}: {why}")
    lines: list[list[str]] = [["1=1e28"], ["١=5"], ["01=5"], ["1=5", "1=6"]]
    for given in lines:
        options = [part for value in given for part in ("--line", value)]
        result = run("orders", "accept", str(in_kind), *options, "--db", db_url, "--json")
        why = _refused(result, corpus.Q | corpus.F, "--line")
        if why:
            failures.append(f"accept {given}: {why}")
    assert row_counts(db_url) == before
    SENT.update(corpus.counts(replaced))
    SENT.update(numbers=3 + 1, dates=2, lists=3)
    assert not failures, "\n".join(failures)


#: Bad cells of a history file (cells are read trimmed of spaces, so " 5 " is 5 there).
HISTORY: list[tuple[str, dict[str, str], str, str]] = [
    ("numbers", {"quantity": "1e28"}, "INVALID_QUANTITY", "row 2: quantity"),
    ("numbers", {"quantity": "١٢٣"}, "INVALID_QUANTITY", "row 2: quantity"),
    ("numbers", {"quantity": str(10**18)}, "INVALID_QUANTITY", "row 2: quantity"),
    ("numbers", {"unit_price": "1e20"}, "INVALID_PRICE", "row 2: unit_price"),
    ("numbers", {"paid_amount": "1e309"}, "INVALID_AMOUNT", "row 2: paid_amount"),
    ("dates", {"order_date": "9999-12-31"}, "INVALID_DATE", "row 2: order_date"),
    ("dates", {"order_date": "0"}, "INVALID_DATE", "row 2: order_date"),
    ("text", {"location": "RAAF\x1bBase"}, "INVALID_FIELD", "row 2: location"),
    ("text", {"description": "x" * 2001}, "INVALID_FIELD", "row 2: description"),
]


def test_a_history_file_with_bad_cells_is_exit_2_and_imports_nothing(db_url: str, tmp_path: Path):
    before = row_counts(db_url)
    failures = []
    for kind, changes, code, field in HISTORY:
        path = bad_copy(tmp_path, 2, **changes)
        result = run("import", "orders", "--file", path, "--db", db_url, "--json")
        why = _refused(result, frozenset({code}), field)
        if why:
            failures.append(f"{kind} {str(changes)[:60]}: {why}")
    assert row_counts(db_url) == before
    SENT.update(kind for kind, *_ in HISTORY)
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    if SENT:
        print(f"\nbad inputs sent through the CLI: {dict(SENT)}, {sum(SENT.values())} in all")


def test_the_bounds_the_cli_corpus_relies_on() -> None:
    assert limits.text_bound("order_ref") == 64
    assert limits.text_bound("row 2: location") == 200
