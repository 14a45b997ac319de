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

Version 2 (what ``acsa books export`` writes) is the same JSON object, laid out to be read a
little at a time: the header fields first, then the orders **in ascending ``uid`` order**, one
per line in canonical JSON (sorted keys, no spaces), then ``orders_sha256`` and the signature::

    {"format":"acsa-book","version":2,"nation":"JPN","partner":"NZL","generated_at":...,
    "key":...,"orders":[
    {"agreement":...,"uid":"0b1c...",...},
    {"agreement":...,"uid":"7f3e...",...}
    ],
    "orders_sha256":"<SHA-256 of each order's text as the file holds it, each followed by a
                     newline>","signature":"<over the canonical form of all but orders and
                     itself>"}

A version 2 file is reconciled as it is read (:class:`BookStream`): one order in memory at a
time, merge-joined with our book in the same order, so a book of any size is reconciled in
bounded memory. Its orders must come in ascending ``uid`` order (else BOOK_INVALID naming the
order) and its header before its orders. A version 1 file (a node before version 2 wrote it) is
read whole, in memory, and sorted.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from acsa.adapters.signing import NodeKey
from acsa.domain import limits
from acsa.domain.documents import canonical
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t
from acsa.domain.reconcile import Book, BookOrder, DocumentRef, Line

FORMAT = "acsa-book"
#: The version ``acsa books export`` writes; VERSIONS are those read.
VERSION = 2
VERSIONS = (1, 2)
#: The header fields of a book file, which a version 2 file gives before its orders.
HEADER = ("format", "version", "nation", "partner", "generated_at", "key")
#: How much of a file is read at a time, and the longest one order's text may be.
READ_CHARS = 1 << 20
ORDER_CHARS_MAX = 16 << 20
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
    """The book file's content, all but its signature: its orders in ascending uid order."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "nation": book.nation,
        "partner": book.partner,
        "generated_at": generated_at.isoformat(),
        "key": key,
        "orders": [order_json(o) for o in sorted(book.orders, key=_uid)],
    }


def _uid(order: BookOrder) -> str:
    return order.uid


def sign_book(document: dict[str, Any], key: NodeKey) -> bytes:
    """The file's bytes: ``document`` (its key set to ``key``'s) signed by ``key``, laid out
    as its version says (version 2: its orders as they are listed, see :func:`write_book`)."""
    if document.get("version") == 2:
        out = io.BytesIO()
        write_book(out, document, document.get("orders") or [], key)
        return out.getvalue()
    body = {k: v for k, v in document.items() if k != "signature"}
    body["key"] = key.fingerprint
    signed = {**body, "signature": key.sign(canonical(body))}
    return json.dumps(signed, indent=1, ensure_ascii=False).encode() + b"\n"


def write_book(
    out: IO[bytes],
    header: dict[str, Any],
    orders: Iterable[BookOrder | dict[str, Any]],
    key: NodeKey,
) -> int:
    """Write a version 2 book file to ``out``, one order at a time as ``orders`` come (an
    export gives them in ascending uid order), signed by ``key``; how many orders it holds.
    ``header``'s ``orders``, ``orders_sha256`` and ``signature`` are not read."""
    head = {k: v for k, v in header.items() if k not in ("orders", "orders_sha256", "signature")}
    head["key"] = key.fingerprint
    opening = json.dumps(head, separators=(",", ":"), ensure_ascii=False)[:-1]
    out.write(opening.encode() + (b',"orders":[\n' if head else b'"orders":[\n'))
    sha = hashlib.sha256()
    count = 0
    for order in orders:
        text = canonical(order if isinstance(order, dict) else order_json(order))
        if count:
            out.write(b",\n")
        out.write(text)
        sha.update(text)
        sha.update(b"\n")
        count += 1
    digest = sha.hexdigest()
    signature = key.sign(canonical({**head, "orders_sha256": digest}))
    tail = json.dumps({"orders_sha256": digest, "signature": signature})
    out.write(b"\n],\n" + tail[1:].encode() + b"\n")
    return count


def book_csv(book: Book) -> str:
    """One row per order, for people (a spreadsheet opens it)."""
    text = io.StringIO()
    write_csv(text, book.orders)
    return text.getvalue()


def write_csv(out: IO[str], orders: Iterable[BookOrder]) -> None:
    """The CSV for people written to ``out``, one row per order as ``orders`` come."""
    row = csv_writer(out)
    for order in orders:
        row(order)


def csv_writer(out: IO[str]) -> Callable[[BookOrder], None]:
    """The CSV's header written to ``out``, and what writes one order as a row of it."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)

    def row(o: BookOrder) -> None:
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

    return row


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


class _UnusualError(Exception):
    """An order not written the way a book file writes one: read it by :func:`_checked_order`."""


#: Decimal strings already read (a book repeats "0", "1", ... on every order); bounded.
_DECIMALS: dict[str, Decimal] = {}
_DECIMALS_MAX = 1 << 16


def _quick_decimal(value: Any) -> Decimal:
    found = _DECIMALS.get(value)
    if found is not None:
        return found
    if type(value) is not str:
        raise _UnusualError
    number = Decimal(value)
    if not number.is_finite():
        raise _UnusualError
    if len(_DECIMALS) < _DECIMALS_MAX:
        _DECIMALS[value] = number
    return number


def _quick_lines(raw: Any) -> tuple[Line, ...]:
    dec = _quick_decimal
    if type(raw) is not list:
        raise _UnusualError
    lines: list[Line] = []
    for line in raw:
        number = line["number"]
        if type(line) is not dict or type(number) is not int or number < 1:
            raise _UnusualError
        accepted = line.get("accepted")
        lines.append(
            (
                number,
                dec(line["quantity"]),
                None if accepted is None else dec(accepted),
                dec(line["delivered"]),
                dec(line["received"]),
                dec(line["short"]),
            )
        )
    return tuple(lines)


def _quick_documents(raw: Any) -> tuple[DocumentRef, ...]:
    if type(raw) is not list:
        raise _UnusualError
    documents: list[DocumentRef] = []
    for doc in raw:
        seq, id_, kind, hash_, prev = doc["seq"], doc["id"], doc["kind"], doc["hash"], doc["prev"]
        if type(doc) is not dict or type(seq) is not int or seq < 1:
            raise _UnusualError
        if not (type(id_) is type(kind) is type(hash_) is type(prev) is str):
            raise _UnusualError
        if not (id_ and kind and hash_ and prev):
            raise _UnusualError
        documents.append((seq, id_, kind, hash_, prev))
    return tuple(documents)


def _quick_order(item: Any) -> BookOrder | None:
    """The order ``item`` holds if it is written the common way, else None; it accepts only
    what :func:`_checked_order` accepts, with the same result, a few times faster."""
    dec = _quick_decimal
    try:
        if type(item) is not dict:
            return None
        uid, agreement, requester = item["uid"], item["agreement"], item["requester"]
        supplier, currency, status = item["supplier"], item["currency"], item["status"]
        number = item.get("number")
        texts = (uid, agreement, requester, supplier, currency, status)
        if not all(texts) or not (
            type(uid) is type(agreement) is type(requester) is str
            and type(supplier) is type(currency) is type(status) is str
        ):
            return None
        if number is not None and (type(number) is not int or number < 1):
            return None
        return BookOrder(
            uid=uid,
            agreement=agreement,
            requester=requester,
            supplier=supplier,
            currency=currency,
            status=status,
            lines=_quick_lines(item["lines"]),
            value_received=dec(item["value_received"]),
            invoiced=dec(item["invoiced"]),
            paid=dec(item["paid"]),
            settled_in_kind=dec(item["settled_in_kind"]),
            converted=dec(item["converted"]),
            documents=_quick_documents(item["documents"]),
            number=number,
        )
    except (KeyError, TypeError, ArithmeticError, _UnusualError):
        return None


def _order(data: Any, where: str) -> BookOrder:
    """The order ``data`` holds; BOOK_INVALID naming the field (``where``...) if malformed."""
    quick = _quick_order(data)
    return quick if quick is not None else _checked_order(data, where)


def _checked_order(data: Any, where: str) -> BookOrder:
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
    """The book a file holds (version 2: in its uid order; version 1: in the file's order) and
    the file's JSON object (version 2: all but its orders); BOOK_INVALID naming the field."""
    document = _document(data)
    if document.get("version") == 2:
        stream = BookStream(io.BytesIO(data))
        orders = list(stream.orders)
        stream.finish()
        return Book(stream.nation, stream.partner, orders), stream.document
    return _whole_book(document), document


def _document(data: bytes) -> dict[str, Any]:
    """The file's JSON object; BOOK_INVALID on ``file`` if it is none."""
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
    return _object(raw, "file")


def _whole_book(document: dict[str, Any]) -> Book:
    """The book a version 1 file's ``document`` holds, in the file's order."""
    _check_header(document)
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
    return Book(document["nation"], document["partner"], orders)


def _check_header(document: dict[str, Any]) -> None:
    """BOOK_INVALID naming the field unless ``document``'s header is a book's we read."""
    if document.get("format") != FORMAT:
        raise invalid(
            "format",
            t("format must be {expected}, not {value}"),
            expected=repr(FORMAT),
            value=repr(document.get("format")),
        )
    if document.get("version") not in VERSIONS:
        raise invalid(
            "version",
            t("book version {value} is not understood here; this node reads version {version}"),
            value=repr(document.get("version")),
            version=" or ".join(str(v) for v in VERSIONS),
        )
    _nation(document, "nation")
    _nation(document, "partner")
    generated = _string(document, "generated_at", "")
    try:
        datetime.fromisoformat(generated)
    except ValueError:
        raise invalid(
            "generated_at", t("generated_at {value} is not ISO 8601"), value=repr(generated)
        ) from None
    _string(document, "key", "")


def read_book(data: bytes) -> tuple[Book, str]:
    """The book a file holds and the fingerprint of the key it says signed it; a malformed
    file is BOOK_INVALID naming the field. (The signature is checked by reconcile_file.)"""
    book, document = parse_book(data)
    return book, str(document["key"])


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class BookStream:
    """A book file read as it is needed. A version 2 file (its header before its orders) is
    read a piece at a time: :attr:`orders` yields its orders one by one as the file holds them
    (ascending uid order, which the reconciliation checks); any other file is read whole and
    its orders sorted by uid. After the orders, :meth:`finish` reads the rest of the file; then
    :attr:`signed` is what the signature must cover."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._decode = codecs.getincrementaldecoder("utf-8")().decode
        self._text = ""
        self._at = 0
        self._eof = False
        self._sha = hashlib.sha256()
        #: The file's top-level fields but its orders.
        self.document: dict[str, Any] = {}
        self.signed = b""
        self.orders: Iterator[BookOrder]
        if self._header():
            _check_header(self.document)
            self.orders = self._streamed()
        else:
            self.orders = self._whole()

    @property
    def nation(self) -> str:
        return str(self.document["nation"])

    @property
    def partner(self) -> str:
        return str(self.document["partner"])

    @property
    def key(self) -> str:
        """The fingerprint of the key the file says signed it."""
        return str(self.document["key"])

    @property
    def signature(self) -> str:
        return str(self.document["signature"])

    def finish(self) -> None:
        """Read the rest of the file: the orders not read yet, and what follows them;
        BOOK_INVALID if the file does not end as a book file does."""
        for _ in self.orders:
            pass

    def _trailer(self) -> None:
        """The fields after the orders, to the end of the file."""
        self._fields()
        if self._skip():
            raise self._broken("text after the end of the book")
        _string(self.document, "orders_sha256", "")
        _string(self.document, "signature", "")
        body = {k: v for k, v in self.document.items() if k != "signature"}
        # Over the orders as read here: a file changed after signing does not verify.
        self.signed = canonical({**body, "orders_sha256": self._sha.hexdigest()})

    # --- a version 1 file (or one not laid out as version 2): read whole --------------------

    def _whole(self) -> Iterator[BookOrder]:
        self._stream.seek(0)
        document = _document(self._stream.read())
        if document.get("version") == 2:
            raise invalid(
                "orders",
                t("a version 2 book gives {fields} before its orders"),
                fields=", ".join(HEADER),
            )
        book = _whole_book(document)
        self.document = {k: v for k, v in document.items() if k != "orders"}
        self.signed = canonical({k: v for k, v in document.items() if k != "signature"})
        return iter(sorted(book.orders, key=_uid))

    # --- a version 2 file, a piece at a time ---------------------------------------------------

    def _header(self) -> bool:
        """Read up to the orders; True if they may be read as they come (the file's header,
        version 2, came first), False to read the file whole (its errors are named then)."""
        try:
            if self._skip() != "{":
                return False
            self._at += 1
            while True:
                key = self._key()
                if key is None:
                    return False
                if key == "orders":
                    if self.document.get("version") != 2 or any(
                        name not in self.document for name in HEADER
                    ):
                        return False
                    if self._skip() != "[":
                        return False
                    self._at += 1
                    return True
                self.document[key] = self._value(key)[0]
        except (AcsaError, UnicodeDecodeError):
            return False

    def _key(self) -> str | None:
        """The next top-level key and its colon read (None at the object's end)."""
        char = self._skip()
        if char == "}":
            self._at += 1
            return None
        if char == "," and self.document:
            self._at += 1
        key = self._value("file")[0]
        if not isinstance(key, str) or self._skip() != ":":
            raise self._broken("a key and a colon expected")
        self._at += 1
        if key in self.document:
            raise invalid(key, t("{field} is given twice in the file"), field=key)
        return key

    def _fields(self) -> None:
        """The top-level fields after the orders, to the end of the object."""
        while True:
            key = self._key()
            if key is None:
                return
            if key == "orders":
                raise invalid(key, t("{field} is given twice in the file"), field=key)
            self.document[key] = self._value(key)[0]

    def _streamed(self) -> Iterator[BookOrder]:
        index = 0
        if self._skip() == "]":
            self._at += 1
        else:
            while True:
                where = f"orders[{index}]"
                item, start, end = self._value(where)
                text = self._text[start:end].encode()
                self._sha.update(text)
                self._sha.update(b"\n")
                yield _order(item, where + ".")
                index += 1
                char = self._skip()
                self._at += 1
                if char == "]":
                    break
                if char != ",":
                    raise self._broken(f"',' or ']' expected after {where}")
        self._trailer()

    def _more(self) -> bool:
        """The next piece of the file read onto the text; False at its end."""
        if self._eof:
            return False
        data = self._stream.read(READ_CHARS)
        if not data:
            self._eof = True
        try:
            piece = self._decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise self._broken(str(error)) from None
        self._text = self._text[self._at :] + piece
        self._at = 0
        return bool(data)

    def _skip(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            found = _SPACE.match(self._text, self._at)
            assert found is not None
            self._at = found.end()
            if self._at < len(self._text):
                return self._text[self._at]
            if not self._more():
                return ""

    def _value(self, where: str) -> tuple[Any, int, int]:
        """The JSON value at the current place, and where its text starts and ends."""
        self._skip()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._at)
            except json.JSONDecodeError as error:
                # Perhaps cut off at the end of the piece read so far: read on, to a limit.
                if len(self._text) - self._at > ORDER_CHARS_MAX or not self._more():
                    raise invalid(
                        where, t("not a JSON book file: {reason}"), reason=error.msg
                    ) from None
                continue
            except RecursionError:
                raise invalid(
                    where,
                    t("the file nests deeper than {depth} levels of lists and maps"),
                    depth=limits.JSON_DEPTH_MAX,
                ) from None
            if end >= len(self._text) and self._more():
                continue  # a number may go on in the next piece
            start = self._at
            self._at = end
            return value, start, end

    def _broken(self, reason: str) -> AcsaError:
        return invalid("file", t("not a JSON book file: {reason}"), reason=reason)
