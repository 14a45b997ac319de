"""The book file: one nation's book with a partner, as a signed JSON file (and a CSV beside it
for people), written and read here; the service (``services.books``) builds our book and
reconciles the partner's.

A book file (``FORMAT`` "acsa-book", ``VERSION`` 1) is one JSON object::

    {"format": "acsa-book", "version": 1, "nation": "JPN", "partner": "NZL",
     "generated_at": "2026-11-23T10:00:00+00:00", "key": "<our key fingerprint>",
     "orders": [{"uid": ..., "number": 12, "agreement": ..., "requester": ..., "supplier": ...,
                 "currency": "JPY", "status": "received",
                 "lines": [{"number": 1, "quantity": "10", "accepted": "10" | null,
                            "delivered": "10", "received": "10", "short": "0"}],
                 "value_received": "1520", "invoiced": "0", "paid": "0",
                 "settled_in_kind": "0", "converted": "0",
                 "documents": [{"seq": 1, "id": ..., "kind": "order", "hash": ...,
                                "prev": ...}]}],
     "signature": "<base64 Ed25519 signature over the canonical form of all but itself>"}

Amounts and quantities are decimal strings. ``number`` is the order's number on the node
whose book it is (for people; a file without it is read too). The CSV beside it is for
people: one row per order.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from acsa.adapters.signing import NodeKey
from acsa.domain import limits
from acsa.domain.documents import canonical
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t
from acsa.domain.reconcile import Book, BookOrder, DocumentRef, Line

FORMAT = "acsa-book"
VERSION = 1
NATION = re.compile(r"^[A-Z]{3}$")

CSV_HEADER = (
    "uid",
    "agreement",
    "requester",
    "supplier",
    "currency",
    "status",
    "lines",
    "quantity",
    "delivered",
    "received",
    "short",
    "value_received",
    "invoiced",
    "paid",
    "settled_in_kind",
    "converted",
    "documents",
    "last_document_hash",
)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_json(order: BookOrder) -> dict[str, Any]:
    """One order of the book as the file holds it."""
    return {
        "uid": order.uid,
        "agreement": order.agreement,
        "requester": order.requester,
        "supplier": order.supplier,
        "currency": order.currency,
        "status": order.status,
        "lines": [
            {
                "number": number,
                "quantity": str(quantity),
                "accepted": _dec(accepted),
                "delivered": str(delivered),
                "received": str(received),
                "short": str(short),
            }
            for number, quantity, accepted, delivered, received, short in order.lines
        ],
        "value_received": str(order.value_received),
        "invoiced": str(order.invoiced),
        "paid": str(order.paid),
        "settled_in_kind": str(order.settled_in_kind),
        "converted": str(order.converted),
        "documents": [
            {"seq": seq, "id": id_, "kind": kind, "hash": hash_, "prev": prev}
            for seq, id_, kind, hash_, prev in order.documents
        ],
        **({} if order.number is None else {"number": order.number}),
    }


def book_document(book: Book, generated_at: datetime, key: str) -> dict[str, Any]:
    """The book file's content, all but its signature."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "nation": book.nation,
        "partner": book.partner,
        "generated_at": generated_at.isoformat(),
        "key": key,
        "orders": [order_json(o) for o in book.orders],
    }


def sign_book(document: dict[str, Any], key: NodeKey) -> bytes:
    """The file's bytes: ``document`` (its key set to ``key``'s) signed by ``key``."""
    body = {k: v for k, v in document.items() if k != "signature"}
    body["key"] = key.fingerprint
    signed = {**body, "signature": key.sign(canonical(body))}
    return json.dumps(signed, indent=1, ensure_ascii=False).encode() + b"\n"


def book_csv(book: Book) -> str:
    """One row per order, for people (a spreadsheet opens it)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for o in book.orders:
        writer.writerow(
            (
                o.uid,
                o.agreement,
                o.requester,
                o.supplier,
                o.currency,
                o.status,
                len(o.lines),
                sum((line[1] for line in o.lines), Decimal(0)),
                sum((line[3] for line in o.lines), Decimal(0)),
                sum((line[4] for line in o.lines), Decimal(0)),
                sum((line[5] for line in o.lines), Decimal(0)),
                o.value_received,
                o.invoiced,
                o.paid,
                o.settled_in_kind,
                o.converted,
                len(o.documents),
                o.documents[-1][3] if o.documents else "",
            )
        )
    return text.getvalue()


def invalid(at: str, template: str, /, **params: object) -> AcsaError:
    """BOOK_INVALID on field ``at``; ``template`` (marked ``t(...)``) filled in with ``params``."""
    return AcsaError([Violation(Code.BOOK_INVALID, at, template, params=params)])


def _string(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise invalid(
            f"{where}{name}", t("{field} must be a non-empty string"), field=f"{where}{name}"
        )
    return value


def _nation(data: dict[str, Any], name: str) -> str:
    value = _string(data, name, "")
    if not NATION.match(value):
        raise invalid(
            name, t("{field} {value} is not a nation code like NZL"), field=name, value=repr(value)
        )
    return value


def _optional_decimal(data: dict[str, Any], name: str, where: str) -> Decimal | None:
    return None if data.get(name) is None else _decimal(data, name, where)


def _decimal(data: dict[str, Any], name: str, where: str) -> Decimal:
    value = data.get(name)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if number.is_finite():
            return number
    raise invalid(
        f"{where}{name}",
        t("{field} must be a decimal string, not {value}"),
        field=f"{where}{name}",
        value=repr(value),
    )


def _int(data: dict[str, Any], name: str, where: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid(
            f"{where}{name}", t("{field} must be a whole number from 1"), field=f"{where}{name}"
        )
    return value


def _list(data: dict[str, Any], name: str, where: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise invalid(f"{where}{name}", t("{field} must be a list"), field=f"{where}{name}")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(where, t("{field} must be a JSON object"), field=where)
    return value


def _order(data: Any, where: str) -> BookOrder:
    item = _object(data, where.rstrip("."))
    lines: list[Line] = []
    for j, raw in enumerate(_list(item, "lines", where)):
        at = f"{where}lines[{j}]."
        line = _object(raw, at.rstrip("."))
        lines.append(
            (
                _int(line, "number", at),
                _decimal(line, "quantity", at),
                _optional_decimal(line, "accepted", at),
                _decimal(line, "delivered", at),
                _decimal(line, "received", at),
                _decimal(line, "short", at),
            )
        )
    documents: list[DocumentRef] = []
    for j, raw in enumerate(_list(item, "documents", where)):
        at = f"{where}documents[{j}]."
        doc = _object(raw, at.rstrip("."))
        documents.append(
            (
                _int(doc, "seq", at),
                _string(doc, "id", at),
                _string(doc, "kind", at),
                _string(doc, "hash", at),
                _string(doc, "prev", at),
            )
        )
    return BookOrder(
        uid=_string(item, "uid", where),
        agreement=_string(item, "agreement", where),
        requester=_string(item, "requester", where),
        supplier=_string(item, "supplier", where),
        currency=_string(item, "currency", where),
        status=_string(item, "status", where),
        lines=tuple(lines),
        value_received=_decimal(item, "value_received", where),
        invoiced=_decimal(item, "invoiced", where),
        paid=_decimal(item, "paid", where),
        settled_in_kind=_decimal(item, "settled_in_kind", where),
        converted=_decimal(item, "converted", where),
        documents=tuple(documents),
        number=None if item.get("number") is None else _int(item, "number", where),
    )


def parse_book(data: bytes) -> tuple[Book, dict[str, Any]]:
    """The book a file holds and the file's JSON object; BOOK_INVALID naming the field."""
    if limits.json_text_depth(data) > limits.JSON_DEPTH_MAX:
        raise invalid(
            "file",
            t("the file nests deeper than {depth} levels of lists and maps"),
            depth=limits.JSON_DEPTH_MAX,
        )
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise invalid("file", t("not a JSON book file: {reason}"), reason=str(error)) from None
    document = _object(raw, "file")
    if document.get("format") != FORMAT:
        raise invalid(
            "format",
            t("format must be {expected}, not {value}"),
            expected=repr(FORMAT),
            value=repr(document.get("format")),
        )
    if document.get("version") != VERSION:
        raise invalid(
            "version",
            t("book version {value} is not understood here; this node reads version {version}"),
            value=repr(document.get("version")),
            version=VERSION,
        )
    nation = _nation(document, "nation")
    partner = _nation(document, "partner")
    generated = _string(document, "generated_at", "")
    try:
        datetime.fromisoformat(generated)
    except ValueError:
        raise invalid(
            "generated_at", t("generated_at {value} is not ISO 8601"), value=repr(generated)
        ) from None
    _string(document, "key", "")
    _string(document, "signature", "")
    orders: list[BookOrder] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(document, "orders", "")):
        order = _order(item, f"orders[{i}].")
        if order.uid in seen:
            raise invalid(
                f"orders[{i}].uid", t("order {order} is in the file twice"), order=order.uid
            )

        seen.add(order.uid)
        orders.append(order)
    return Book(nation, partner, orders), document


def read_book(data: bytes) -> tuple[Book, str]:
    """The book a file holds and the fingerprint of the key it says signed it; a malformed
    file is BOOK_INVALID naming the field. (The signature is checked by reconcile_file.)"""
    book, document = parse_book(data)
    return book, str(document["key"])
