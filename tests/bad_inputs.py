"""A corpus of bad inputs (issue 13): numbers, dates, texts and lists that acsa must refuse with
a coded error naming the field, on every path (the API, the CLI's --file, the web form, the
history import). Shared by tests/api/test_bad_inputs.py and tests/e2e/test_bad_inputs_cli.py.
"""

from __future__ import annotations

from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from acsa.domain import limits
from tests.orders_data import order_doc

#: Not plain ASCII decimals, or outside every bound: taken as a quantity, a price or an amount.
NUMBERS: list[Any] = [
    "1e28",
    "9" * 41,
    "1e309",
    "١٢٣",
    "１２",
    "1_000",
    " 5 ",
    "1.00000000000000000000000000000000000000001",
    "NaN",
    "Infinity",
    "0x10",
    "1,000",
    "",
    "+5",
    "-5",
    "5\x00",
    "1000000000000000000",
    "100000000000000000000",
    1e28,
    10**41,
    True,
]
#: Dates outside DATE_MIN..DATE_MAX, or not ISO YYYY-MM-DD.
DATES: list[Any] = [
    "9999-12-31",
    "0001-01-01",
    "1970-01-01",
    "1989-12-31",
    "2101-01-01",
    "0",
    0,
    "2026-02-30",
    "2026-1-5",
    "20261005",
    "2026-10-05T00:00:00",
    " 2026-10-05",
    "",
    20261005,
]
#: Control characters (NUL first: SQLite stored it, PostgreSQL refused it otherwise).
CONTROLS = ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\x9f", "\x0b"]
#: Keys of a line map that are not plain line numbers, and a line given twice.
LINE_KEYS: list[dict[str, Any]] = [
    {"1 ": "5"},
    {"01": "5"},
    {"1.0": "5"},
    {"١": "5"},
    {"0": "5"},
    {"-1": "5"},
    {"": "5"},
    {"1": "5", "1 ": "6"},
]
#: The same line twice in one JSON object, as sent on the wire.
DUPLICATE_LINES = b'{"lines": {"1": "5", "1": "6"}}'


def controlled(text: str) -> list[str]:
    """``text`` with each control character in the middle."""
    return [f"{text[:3]}{c}{text[3:]}" for c in CONTROLS]


def too_long(field: str) -> str:
    return "x" * (limits.text_bound(field) + 1)


@dataclass(frozen=True)
class Bad:
    """One bad input: its kind (numbers, dates, text, lists), the step it is sent to, the body
    (a JSON value, or raw bytes), the codes it may be refused with and the field it names."""

    kind: str
    step: str
    body: Any
    codes: frozenset[str]
    field: str

    @property
    def label(self) -> str:
        shown = repr(self.body)
        return f"{self.kind}/{self.step}/{self.field}: {shown[:80]}"


def _order(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    doc = order_doc()
    target: Any = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


def _c(*codes: str) -> frozenset[str]:
    return frozenset(codes)


Q, P, A = _c("INVALID_QUANTITY"), _c("INVALID_PRICE"), _c("INVALID_AMOUNT")
D, F = _c("INVALID_DATE"), _c("INVALID_FIELD")
M = _c("REPLACEMENT_MISMATCH")


def order_cases(step: str) -> list[Bad]:
    """Bad order documents, for place and check (and the CLI's ``orders new --file``)."""
    cases: list[Bad] = []
    for value in NUMBERS:
        cases.append(
            Bad("numbers", step, _order(("lines", 0, "quantity"), value), Q, "lines[0].quantity")
        )
        cases.append(
            Bad(
                "numbers", step, _order(("lines", 0, "unit_price"), value), P, "lines[0].unit_price"
            )
        )
    # Each within its bound, the line worth 10^18 (AMOUNT_MAX is 10^15).
    huge = _order(("lines", 0, "quantity"), "1000000000")
    huge["lines"][0]["unit_price"] = "1000000000"
    cases.append(Bad("numbers", step, huge, A, "lines[0]"))
    for value in DATES:
        cases.append(Bad("dates", step, _order(("order_date",), value), D, "order_date"))
        cases.append(Bad("dates", step, _order(("needed_by",), value), D, "needed_by"))
    texts: list[tuple[tuple[str | int, ...], str]] = [
        (("location",), "location"),
        (("operation",), "operation"),
        (("remarks",), "remarks"),
        (("requester_unit",), "requester_unit"),
        (("lines", 0, "description"), "lines[0].description"),
        (("lines", 0, "category"), "lines[0].category"),
        (("lines", 0, "unit"), "lines[0].unit"),
    ]
    for path, field in texts:
        for text in controlled("Darwin base"):
            cases.append(Bad("text", step, _order(path, text), F, field))
        cases.append(Bad("text", step, _order(path, too_long(field)), F, field))
    line = order_doc()["lines"][0]
    cases.append(
        Bad("lists", step, _order(("lines",), [line] * (limits.ORDER_LINES_MAX + 1)), F, "lines")
    )
    cases.append(Bad("lists", step, _order(("lines",), []), F, "lines"))
    cases.append(Bad("lists", step, _order(("lines",), {"0": line}), F, "lines"))
    return cases


def line_map_cases(step: str, zero_ok: bool) -> list[Bad]:
    """Bad ``{"lines": {...}}`` bodies for accept, deliver and receive."""
    cases = [
        Bad("numbers", step, {"lines": {"1": v}}, Q, "lines")
        for v in [*NUMBERS, "1000000001", "0.0000001", *([] if zero_ok else ["0"])]
    ]
    cases += [Bad("lists", step, {"lines": keys}, F, "lines") for keys in LINE_KEYS]
    cases.append(Bad("lists", step, DUPLICATE_LINES, F, "lines"))
    many = {str(n): "1" for n in range(1, limits.ORDER_LINES_MAX + 2)}
    cases.append(Bad("lists", step, {"lines": many}, F, "lines"))
    cases.append(Bad("lists", step, {"lines": ["1", "5"]}, F, "lines"))
    return cases


def receive_cases() -> list[Bad]:
    cases = line_map_cases("receive", zero_ok=True)
    cases += [Bad("text", "receive", {"note": t}, F, "note") for t in controlled("all fine")[:5]]
    cases.append(Bad("text", "receive", {"note": too_long("note")}, F, "note"))
    return cases


def invoice_cases() -> list[Bad]:
    return [Bad("dates", "invoice", {"date": v}, D, "date") for v in DATES]


def payment_cases(valid_day: str) -> list[Bad]:
    base = {"amount": "1", "date": valid_day, "reference": "TT-1"}
    cases = [Bad("numbers", "pay", {**base, "amount": v}, A, "amount") for v in NUMBERS]
    cases.append(Bad("numbers", "pay", {**base, "amount": "1000000000000000.5"}, A, "amount"))
    cases += [Bad("dates", "pay", {**base, "date": v}, D, "date") for v in DATES]
    cases += [
        Bad("text", "pay", {**base, "reference": t}, F, "reference")
        for t in [*controlled("TT-1234"), too_long("reference")]
    ]
    return cases


def replacement_body(**line: Any) -> dict[str, Any]:
    item = {"line": 1, "category": "fuel", "quantity": "1", "nsn": "9130-01-031-5816"}
    return {"lines": [{**item, **line}], "note": "returned at Darwin"}


def replacement_cases() -> list[Bad]:
    cases = [
        Bad("numbers", "replace", replacement_body(quantity=v), Q, "lines[0].quantity")
        for v in NUMBERS
        if v != "-5"
    ]
    # A negative return is the replacement's own rule (as zero is).
    cases.append(Bad("numbers", "replace", replacement_body(quantity="-5"), Q | M, "lines[0]"))
    cases += [Bad("dates", "replace", {**replacement_body(), "date": v}, D, "date") for v in DATES]
    cases += [
        Bad("text", "replace", {**replacement_body(), "note": t}, F, "note")
        for t in [*controlled("returned")[:5], too_long("note")]
    ]
    cases += [
        Bad("text", "replace", replacement_body(description=t), F, "lines[0].description")
        for t in [*controlled("JP-8 fuel")[:3], too_long("description")]
    ]
    item = replacement_body()["lines"][0]
    cases.append(
        Bad(
            "lists",
            "replace",
            {"lines": [item] * (limits.SETTLEMENT_LINES_MAX + 1)},
            F,
            "lines",
        )
    )
    cases.append(Bad("lists", "replace", {"lines": []}, F, "lines"))
    return cases


def exchange_body(**line: Any) -> dict[str, Any]:
    item = {"category": "transportation", "description": "Airlift, C-130", "value": "1000"}
    return {
        "lines": [{**item, **line}],
        "agreed_by": "JPN-finance and AUS-finance",
        "valuation_note": "airlift hours at the published rate",
    }


def exchange_cases() -> list[Bad]:
    cases = [
        Bad("numbers", "exchange", exchange_body(value=v), A, "lines[0].value") for v in NUMBERS
    ]
    cases += [
        Bad("numbers", "exchange", exchange_body(quantity=v), Q, "lines[0].quantity")
        for v in NUMBERS[:8]
    ]
    cases += [Bad("dates", "exchange", {**exchange_body(), "date": v}, D, "date") for v in DATES]
    for name in ("agreed_by", "valuation_note"):
        cases += [
            Bad("text", "exchange", {**exchange_body(), name: t}, F, name)
            for t in [*controlled("JPN and AUS")[:4], too_long(name)]
        ]
    item = exchange_body()["lines"][0]
    cases.append(
        Bad(
            "lists",
            "exchange",
            {**exchange_body(), "lines": [item] * (limits.SETTLEMENT_LINES_MAX + 1)},
            F,
            "lines",
        )
    )
    return cases


def query_cases() -> list[Bad]:
    """Dates in query parameters (``as_of=0`` is not 1970-01-01)."""
    found: list[Bad] = []
    for value in DATES:
        if value == "" or value is None:
            continue
        for path, name in (
            ("/orders?since=", "since"),
            ("/ledger/balances?as_of=", "as_of"),
            ("/agreements?as_of=", "as_of"),
        ):
            found.append(Bad("dates", "query", f"{path}{value}", D, name))
    return found


def counts(cases: list[Bad]) -> Counter[str]:
    return Counter(c.kind for c in cases)


def copy(body: Any) -> Any:
    return deepcopy(body)
