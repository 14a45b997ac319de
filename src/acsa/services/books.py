"""The two books: export this node's book with a partner, signed, and reconcile the partner's.

A book file (``FORMAT`` "acsa-book", ``VERSION`` 1) is one JSON object::

    {"format": "acsa-book", "version": 1, "nation": "JPN", "partner": "NZL",
     "generated_at": "2026-11-23T10:00:00+00:00", "key": "<our key fingerprint>",
     "orders": [{"uid": ..., "agreement": ..., "requester": ..., "supplier": ...,
                 "currency": "JPY", "status": "received",
                 "lines": [{"number": 1, "quantity": "10", "accepted": "10" | null,
                            "delivered": "10", "received": "10", "short": "0"}],
                 "value_received": "1520", "invoiced": "0", "paid": "0",
                 "settled_in_kind": "0", "converted": "0",
                 "documents": [{"seq": 1, "id": ..., "kind": "order", "hash": ...,
                                "prev": ...}]}],
     "signature": "<base64 Ed25519 signature over the canonical form of all but itself>"}

Amounts and quantities are decimal strings. The CSV beside it is for people: one row per order.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work as db
from acsa.adapters.node_identity import node_key
from acsa.adapters.signing import NodeKey, parse_public, verify
from acsa.clock import utc_now
from acsa.domain import limits
from acsa.domain.account import OrderAccount
from acsa.domain.documents import canonical
from acsa.domain.errors import AcsaError, Code
from acsa.domain.reconcile import (
    Book,
    BookOrder,
    Difference,
    DocumentRef,
    Line,
    Report,
    reconcile,
)
from acsa.services.ledger import terms_reader
from acsa.services.ports import UnitOfWork

FORMAT = "acsa-book"
VERSION = 1
NATION = re.compile(r"^[A-Z]{3}$")
#: Settlements' ``in_`` lists are sent in chunks this long (SQLite's parameter limit).
CHUNK = 500

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


# --- our book from the database ---------------------------------------------------------------


def _node_nation(uow: UnitOfWork) -> str:
    node = uow.node
    if node is None:
        raise AcsaError.single(
            Code.NODE_NOT_INITIALISED,
            "node",
            "this installation is not a national node: run `acsa node init` first",
        )
    return node.nation


def node_nation(engine: Engine) -> str:
    """The nation this installation is a node of (NODE_NOT_INITIALISED if none)."""
    with db.UnitOfWork(engine, read_only=True) as uow:
        return _node_nation(uow)


def _check_partner(nation: str, partner: str) -> None:
    if not NATION.match(partner or ""):
        raise AcsaError.single(
            Code.INVALID_INPUT, "partner", f"partner {partner!r}: give a nation code like NZL"
        )
    if partner == nation:
        raise AcsaError.single(
            Code.INVALID_INPUT, "partner", f"{partner} is this node's own nation, not a partner"
        )


def our_book(uow: UnitOfWork, partner: str, nation: str | None = None) -> Book:
    """``nation``'s (default: this node's) book of every order it has with ``partner``: lines,
    money (as an order's account counts it) and the order's documents."""
    with uow:
        nation = nation or _node_nation(uow)
        _check_partner(nation, partner)
        orders = uow.orders.find(party=nation, partner=partner, with_history=False)
        ids = [o.id for o in orders if o.id is not None]
        terms = terms_reader(uow)
        accounts: dict[int, OrderAccount] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            accounts.update((a.head.order, a) for a in uow.order_accounts.load_ids(chunk, terms))
        documents: dict[str, list[DocumentRef]] = defaultdict(list)
        for row in uow.documents.with_partner(nation, partner):
            documents[row.order_uid].append(
                (int(row.seq), str(row.id), str(row.kind), str(row.hash), str(row.prev))
            )
        found: list[BookOrder] = []
        for order in orders:
            assert order.id is not None
            assert order.uid is not None
            account = accounts[order.id]
            found.append(
                BookOrder(
                    uid=order.uid,
                    agreement=order.agreement_id,
                    requester=order.requester,
                    supplier=order.supplier,
                    currency=order.currency,
                    status=order.status.value,
                    lines=tuple(
                        (
                            line.number,
                            line.quantity,
                            line.quantity_accepted,
                            line.quantity_delivered,
                            line.quantity_received,
                            line.quantity_short,
                        )
                        for line in order.lines
                    ),
                    value_received=order.value_received.amount,
                    invoiced=account.invoiced,
                    paid=account.paid,
                    settled_in_kind=account.settled_in_kind,
                    converted=account.converted,
                    documents=tuple(documents.get(order.uid, ())),
                )
            )
        return Book(nation, partner, found)


# --- the file ---------------------------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_json(order: BookOrder) -> dict[str, Any]:
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


def export_book(engine: Engine, partner: str) -> tuple[bytes, str]:
    """This node's book with ``partner``: the signed JSON file and the CSV for people."""
    with db.UnitOfWork(engine, read_only=True) as uow:
        nation = _node_nation(uow)
        _check_partner(nation, partner)
        if uow.partners.get(partner) is None:
            raise AcsaError.single(
                Code.PARTNER_NOT_FOUND,
                "partner",
                f"{partner} is not a registered partner of this node",
            )
        book = our_book(uow, partner, nation)
        node = uow.node
        assert node is not None
        key = node_key(node)
    document = book_document(book, utc_now(), key.fingerprint)
    return sign_book(document, key), book_csv(book)


def _invalid(field: str, message: str) -> AcsaError:
    return AcsaError.single(Code.BOOK_INVALID, field, message)


def _string(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(f"{where}{name}", f"{where}{name} must be a non-empty string")
    return value


def _nation(data: dict[str, Any], name: str) -> str:
    value = _string(data, name, "")
    if not NATION.match(value):
        raise _invalid(name, f"{name} {value!r} is not a nation code like NZL")
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
    raise _invalid(f"{where}{name}", f"{where}{name} must be a decimal string, not {value!r}")


def _int(data: dict[str, Any], name: str, where: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _invalid(f"{where}{name}", f"{where}{name} must be a whole number from 1")
    return value


def _list(data: dict[str, Any], name: str, where: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise _invalid(f"{where}{name}", f"{where}{name} must be a list")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(where, f"{where} must be a JSON object")
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
    )


def _parse(data: bytes) -> tuple[Book, dict[str, Any]]:
    if limits.json_text_depth(data) > limits.JSON_DEPTH_MAX:
        raise _invalid(
            "file", f"the file nests deeper than {limits.JSON_DEPTH_MAX} levels of lists and maps"
        )
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise _invalid("file", f"not a JSON book file: {error}") from None
    document = _object(raw, "file")
    if document.get("format") != FORMAT:
        raise _invalid("format", f"format must be {FORMAT!r}, not {document.get('format')!r}")
    if document.get("version") != VERSION:
        raise _invalid(
            "version",
            f"book version {document.get('version')!r} is not understood here; "
            f"this node reads version {VERSION}",
        )
    nation = _nation(document, "nation")
    partner = _nation(document, "partner")
    generated = _string(document, "generated_at", "")
    try:
        datetime.fromisoformat(generated)
    except ValueError:
        raise _invalid("generated_at", f"generated_at {generated!r} is not ISO 8601") from None
    _string(document, "key", "")
    _string(document, "signature", "")
    orders: list[BookOrder] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(document, "orders", "")):
        order = _order(item, f"orders[{i}].")
        if order.uid in seen:
            raise _invalid(f"orders[{i}].uid", f"order {order.uid} is in the file twice")
        seen.add(order.uid)
        orders.append(order)
    return Book(nation, partner, orders), document


def read_book(data: bytes) -> tuple[Book, str]:
    """The book a file holds and the fingerprint of the key it says signed it; a malformed
    file is BOOK_INVALID naming the field. (The signature is checked by reconcile_file.)"""
    book, document = _parse(data)
    return book, str(document["key"])


def _signature(document: dict[str, Any], uow: UnitOfWork, nation: str) -> Difference | None:
    """A file-level difference unless the file is signed by ``nation``'s registered key."""
    claimed = str(document["key"])
    partner = uow.partners.get(nation)
    if partner is None:
        return Difference(
            None,
            "signature",
            "nation",
            None,
            claimed,
            f"{nation} is not a registered partner of this node: the file's signature "
            "cannot be checked",
        )
    body = {k: v for k, v in document.items() if k != "signature"}
    public = parse_public(partner.public_key, "public_key")
    if verify(public, canonical(body), str(document["signature"])):
        return None
    return Difference(
        None,
        "signature",
        "signature",
        partner.fingerprint,
        claimed,
        f"the file's signature does not verify with {nation}'s registered key "
        f"(fingerprint {partner.fingerprint}; the file names {claimed})",
    )


def reconcile_file(engine: Engine, data: bytes) -> Report:
    """The partner's book file against our book: every difference, order by order (and, first,
    the file's signature when it does not verify with the partner's registered key)."""
    theirs, document = _parse(data)
    with db.UnitOfWork(engine, read_only=True) as uow:
        nation = _node_nation(uow)
        if theirs.partner != nation:
            raise _invalid(
                "partner",
                f"the file is {theirs.nation}'s book with {theirs.partner}, "
                f"not with this node's nation {nation}",
            )
        if theirs.nation == nation:
            raise _invalid("nation", f"the file is {nation}'s own book, not a partner's")
        signature = _signature(document, uow, theirs.nation)
        ours = our_book(uow, theirs.nation, nation)
    report = reconcile(ours, theirs)
    if signature is None:
        return report
    return Report(report.matched, [signature, *report.differences], nation, theirs.nation)


# --- the report as JSON -----------------------------------------------------------------------


class DifferenceOut(BaseModel):
    order: str | None
    kind: str
    field: str
    ours: str | None
    theirs: str | None
    message: str


class ReconciliationOut(BaseModel):
    nation: str
    partner: str
    matched: int
    differences: list[DifferenceOut]
    summary: str


def report_out(report: Report) -> ReconciliationOut:
    return ReconciliationOut(
        nation=report.nation,
        partner=report.partner,
        matched=report.matched,
        differences=[difference_out(d) for d in report.differences],
        summary=report.summary,
    )


def difference_out(d: Difference) -> DifferenceOut:
    return DifferenceOut(
        order=d.order, kind=d.kind, field=d.field, ours=d.ours, theirs=d.theirs, message=d.message
    )


def differences_rows(differences: Sequence[Difference]) -> list[list[str]]:
    """The differences as text rows: kind, order, field, ours, theirs, message."""
    return [
        [
            d.kind.replace("_", " "),
            d.order or "(file)",
            d.field,
            d.ours or "-",
            d.theirs or "-",
            d.message,
        ]
        for d in differences
    ]
