"""A corpus of bad inputs through a real server on SQLite and PostgreSQL (issue 13): numbers,
dates, texts and lists sent to place, check, accept, deliver, receive, invoice, pay, replace
and exchange (and dates to the queries' as_of). Each is a coded 4xx naming the field, never a
5xx, and no row of any table changes; the orders it aimed at stay as they were."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests import bad_inputs as corpus
from tests.api.conftest import Api
from tests.bad_inputs import Bad
from tests.orders_data import order_doc
from tests.table_counts import row_counts

STEPS = [
    ("submit", "AUS-requester"),
    ("accept", "JPN-approver"),
    ("deliver", "JPN-logistics"),
    ("receive", "AUS-logistics"),
]


#: Outside the US texts supplies are not settled by equal value exchange, services are: the
#: order the exchange cases aim at is billeting in Darwin.
SERVICES = [
    {
        "category": "billeting",
        "description": "Transit accommodation, Darwin",
        "quantity": "400",
        "unit": "night",
        "unit_price": "4500",
        "currency": "JPY",
    }
]


def _order(api: Api, upto: int, settlement: str = "cash", **changes: Any) -> int:
    """A fresh JPN-AUS order taken through the first ``upto`` steps: its id."""
    placed = api.client.post(
        "/orders",
        json=order_doc(settlement=settlement, **changes),
        headers=api.as_("AUS-requester"),
    )
    assert placed.status_code == 201, placed.text
    oid = int(placed.json()["id"])
    for action, who in STEPS[:upto]:
        moved = api.client.post(f"/orders/{oid}/{action}", headers=api.as_(who))
        assert moved.status_code == 200, moved.text
    return oid


def _matches(bad: Bad, answer: httpx.Response) -> str | None:
    """Why ``answer`` is not the coded refusal ``bad`` calls for, or None when it is."""
    if answer.status_code >= 500:
        return f"answered {answer.status_code}: {answer.text[:300]}"
    try:
        errors = answer.json().get("errors", [])
    except ValueError:
        return f"answered {answer.status_code} without JSON: {answer.text[:200]}"
    if bad.step == "check" and answer.status_code == 200:
        pass  # check answers what it would refuse
    elif not 400 <= answer.status_code < 500:
        return f"answered {answer.status_code}: {answer.text[:300]}"
    for error in errors:
        if error["code"] in bad.codes and bad.field in error["field"]:
            if error["field"] not in error["message"] and bad.kind != "lists":
                # The message names the field (by its path or its last name).
                last = bad.field.rsplit(".", 1)[-1].split("[")[0].removesuffix("s")
                if last not in error["message"]:
                    return f"the message does not name the field: {error}"
            return None
    return f"answered {answer.status_code} with {errors} (wanted {sorted(bad.codes)} {bad.field})"


def _sender(api: Api) -> Callable[[Bad], httpx.Response]:
    """Where each step sends its body, set up on orders in the right states."""
    today = datetime.now(UTC).date().isoformat()
    submitted = _order(api, 1)
    accepted = _order(api, 2)
    delivered = _order(api, 3)
    received = _order(api, 4)
    paid = _order(api, 4)
    invoice = api.client.post(f"/orders/{paid}/invoices", headers=api.as_("JPN-finance"))
    assert invoice.status_code == 201, invoice.text
    in_kind = _order(api, 4, "replacement_in_kind")
    exchanged = _order(api, 4, "equal_value_exchange", lines=SERVICES)
    targets: dict[str, tuple[str, str]] = {
        "place": ("/orders", "AUS-requester"),
        "check": ("/orders/check", "AUS-requester"),
        "accept": (f"/orders/{submitted}/accept", "JPN-approver"),
        "deliver": (f"/orders/{accepted}/deliver", "JPN-logistics"),
        "receive": (f"/orders/{delivered}/receive", "AUS-logistics"),
        "invoice": (f"/orders/{received}/invoices", "JPN-finance"),
        "pay": (f"/invoices/{invoice.json()['number']}/payments", "AUS-finance"),
        "replace": (f"/orders/{in_kind}/replacements", "AUS-logistics"),
        "exchange": (f"/orders/{exchanged}/exchanges", "AUS-finance"),
    }
    orders = [submitted, accepted, delivered, received, paid, in_kind, exchanged]
    assert today

    def send(bad: Bad) -> httpx.Response:
        if bad.step == "query":
            return api.client.get(bad.body, headers=api.as_("JPN-all"))
        path, who = targets[bad.step]
        headers = api.as_(who)
        if isinstance(bad.body, bytes):
            headers = {**headers, "Content-Type": "application/json"}
            return api.client.post(path, content=bad.body, headers=headers)
        return api.client.post(path, json=bad.body, headers=headers)

    send.orders = orders  # type: ignore[attr-defined]
    send.today = today  # type: ignore[attr-defined]
    return send


def _corpus(today: str) -> list[Bad]:
    return [
        *corpus.order_cases("place"),
        *corpus.order_cases("check"),
        *corpus.line_map_cases("accept", zero_ok=True),
        *corpus.line_map_cases("deliver", zero_ok=False),
        *corpus.receive_cases(),
        *corpus.invoice_cases(),
        *corpus.payment_cases(today),
        *corpus.replacement_cases(),
        *corpus.exchange_cases(),
        *corpus.query_cases(),
    ]


def _snapshot(api: Api, orders: list[int]) -> list[Any]:
    shown = []
    for oid in orders:
        got = api.client.get(f"/orders/{oid}", headers=api.as_("JPN-all"))
        assert got.status_code == 200, got.text
        account = api.client.get(f"/orders/{oid}/account", headers=api.as_("JPN-all"))
        shown.append((got.json(), account.json() if account.status_code == 200 else None))
    return shown


def test_the_corpus_of_bad_inputs_is_refused_coded_and_changes_nothing(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    send = _sender(api)
    orders: list[int] = send.orders  # type: ignore[attr-defined]
    cases = _corpus(send.today)  # type: ignore[attr-defined]
    before_rows = row_counts(api.db_url)
    before_orders = _snapshot(api, orders)
    failures: list[str] = []
    for bad in cases:
        answer = send(bad)
        why = _matches(bad, answer)
        if why is not None:
            failures.append(f"{bad.label}: {why}")
        if bad.step != "query" and answer.status_code < 500:
            rows = row_counts(api.db_url)
            if rows != before_rows:
                changed = {k: (before_rows[k], v) for k, v in rows.items() if before_rows[k] != v}
                failures.append(f"{bad.label}: rows changed {changed}")
                before_rows = rows
    assert _snapshot(api, orders) == before_orders
    with capsys.disabled():
        counted = corpus.counts(cases)
        print(f"\nbad inputs sent through the API: {dict(counted)}, {len(cases)} in all")
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures[:60])


def test_the_corpus_covers_every_kind_and_step() -> None:
    cases = _corpus("2026-12-01")
    assert {c.kind for c in cases} == {"numbers", "dates", "text", "lists"}
    steps = {c.step for c in cases}
    assert steps == {
        "place",
        "check",
        "accept",
        "deliver",
        "receive",
        "invoice",
        "pay",
        "replace",
        "exchange",
        "query",
    }
    for kind, least in {"numbers": 200, "dates": 100, "text": 100, "lists": 20}.items():
        assert corpus.counts(cases)[kind] >= least, kind


def test_a_quantity_of_ten_to_the_eighteenth_cannot_reach_receive(api: Api) -> None:
    """Issue 13: 10^18 passed submit, accept and deliver, then every receive answered 500."""
    body = order_doc()
    body["lines"][0]["quantity"] = str(10**18)
    placed = api.client.post("/orders", json=body, headers=api.as_("AUS-requester"))
    assert placed.status_code == 422
    assert placed.json()["errors"][0]["code"] == "INVALID_QUANTITY"
    checked = api.client.post("/orders/check", json=body, headers=api.as_("AUS-requester"))
    assert checked.status_code == 200
    assert ("INVALID_QUANTITY", "lines[0].quantity") in [
        (e["code"], e["field"]) for e in checked.json()["errors"]
    ]


def test_the_bounds_are_in_the_openapi_document(api: Api) -> None:
    document = httpx.get(api.url("/openapi.json"), timeout=30).json()
    schema = document["components"]["schemas"]
    line = schema["OrderLineIn"]["properties"]
    [as_text, _] = line["quantity"]["anyOf"]
    assert as_text["pattern"] == "^-?[0-9]+(\\.[0-9]+)?$"
    assert as_text["maxLength"] == 32
    assert "1,000,000,000" in line["quantity"]["description"]
    assert line["description"]["maxLength"] == 2000
    order = schema["OrderIn"]["properties"]
    assert order["lines"]["maxItems"] == 200
    assert "pattern" in order["location"]
    assert "2100-12-31" in order["order_date"]["description"]
    # A payment's body is the command's (RecordPayment), described where the route reads it.
    operation = document["paths"]["/api/v1/invoices/{invoice}/payments"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = schema[body["$ref"].rsplit("/", 1)[-1]]
    assert operation["requestBody"]["required"] is True
    assert body["required"] == ["amount", "date"]
    payment = body["properties"]
    assert "1,000,000,000,000,000" in payment["amount"]["description"]


def test_a_well_formed_order_at_the_bounds_is_taken(api: Api) -> None:
    body = order_doc(order_date="2026-10-01", needed_by="2100-12-31", location="x" * 200)
    body["lines"] = [
        {**body["lines"][0], "quantity": "999999", "unit_price": "1000000000"},
        *body["lines"][1:],
    ]
    placed = api.client.post("/orders", json=body, headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text
    assert Decimal(placed.json()["total"]) <= Decimal(10**15)
