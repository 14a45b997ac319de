"""Signed documents two national nodes exchange, as pure values and rules.

Every step of an order (the order itself, its acceptance or rejection, each delivery and
receipt, invoice, payment, replacement, exchange, conversion, cancellation and closing) is one
document: a canonical, versioned JSON object issued by one nation's node, carrying the hash of
the previous document of the same order, so each order's documents form a chain both nodes
hold. The signature (Ed25519, see ``acsa.adapters.signing``) covers the canonical bytes of
everything but itself; the document's hash is the SHA-256 of the same bytes.

Wire form (``FORMAT`` "acsa-document", ``VERSION`` 1)::

    {"format": "acsa-document", "version": 1, "id": "<uuid4>", "kind": "accept",
     "order": "<order uid>", "seq": 3, "prev": "<hash of document 2>",
     "issuer": "NZL", "recipient": "JPN", "key": "<issuer key fingerprint>",
     "at": "2026-11-23T10:00:00+00:00", "actor": "nzl-ops", "body": {...},
     "signature": "<base64 Ed25519 signature>"}

Amounts and quantities are decimal strings, dates ISO 8601; keys sorted, no spaces, UTF-8.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.order import Action, Event, Order

FORMAT = "acsa-document"
VERSION = 1
#: What ``prev`` holds in an order's first document.
GENESIS = "0" * 64


class Kind(StrEnum):
    ORDER = "order"
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"
    DELIVER = "deliver"
    RECEIVE = "receive"
    CLOSE = "close"
    INVOICE = "invoice"
    PAYMENT = "payment"
    REPLACEMENT = "replacement"
    EXCHANGE = "exchange"
    CONVERSION = "conversion"


class Side(StrEnum):
    REQUESTER = "requester"
    SUPPLIER = "supplier"
    EITHER = "either"


#: Which party issues each kind of document. The requester orders, receives and returns goods;
#: the supplier accepts, delivers and bills (a conversion to cash bills too); payments and
#: closing are recorded by whichever side acts first.
ISSUED_BY: Mapping[Kind, Side] = {
    Kind.ORDER: Side.REQUESTER,
    Kind.SUBMIT: Side.REQUESTER,
    Kind.CANCEL: Side.REQUESTER,
    Kind.RECEIVE: Side.REQUESTER,
    Kind.ACCEPT: Side.SUPPLIER,
    Kind.REJECT: Side.SUPPLIER,
    Kind.DELIVER: Side.SUPPLIER,
    Kind.INVOICE: Side.SUPPLIER,
    Kind.CONVERSION: Side.SUPPLIER,
    Kind.PAYMENT: Side.EITHER,
    Kind.REPLACEMENT: Side.EITHER,
    Kind.EXCHANGE: Side.EITHER,
    Kind.CLOSE: Side.EITHER,
}

#: The fields the signature and the hash cover: all but the signature.
SIGNED_FIELDS = (
    "format",
    "version",
    "id",
    "kind",
    "order",
    "seq",
    "prev",
    "issuer",
    "recipient",
    "key",
    "at",
    "actor",
    "body",
)


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8. Only JSON's own types
    are accepted (amounts are strings), so nothing is converted on the way."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def issuing_nation(kind: Kind, requester: str, supplier: str) -> str | None:
    """The nation that issues ``kind`` for an order between the two; None when either may."""
    side = ISSUED_BY[kind]
    return {Side.REQUESTER: requester, Side.SUPPLIER: supplier}.get(side)


@dataclass(frozen=True, slots=True)
class Document:
    """One signed document (see the module's docstring for the wire form)."""

    id: str
    kind: Kind
    order: str
    seq: int
    prev: str
    issuer: str
    recipient: str
    key: str
    at: datetime
    actor: str
    body: Mapping[str, Any]
    signature: str = ""

    def signed_part(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "id": self.id,
            "kind": self.kind.value,
            "order": self.order,
            "seq": self.seq,
            "prev": self.prev,
            "issuer": self.issuer,
            "recipient": self.recipient,
            "key": self.key,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "body": dict(self.body),
        }

    def signed_bytes(self) -> bytes:
        return canonical(self.signed_part())

    @property
    def hash(self) -> str:
        return digest(self.signed_bytes())

    def to_json(self) -> dict[str, Any]:
        return {**self.signed_part(), "signature": self.signature}

    def wire(self) -> bytes:
        return canonical(self.to_json())


def _invalid(field: str, message: str) -> AcsaError:
    return AcsaError.single(Code.DOCUMENT_INVALID, field, message)


def parse(data: Any) -> Document:
    """A document from its JSON form; anything malformed is DOCUMENT_INVALID naming the field,
    another format version DOCUMENT_VERSION_UNSUPPORTED."""
    if not isinstance(data, dict):
        raise _invalid("document", "a document is a JSON object")
    if data.get("format") != FORMAT:
        raise _invalid("format", f"format must be {FORMAT!r}, not {data.get('format')!r}")
    if data.get("version") != VERSION:
        raise AcsaError.single(
            Code.DOCUMENT_VERSION_UNSUPPORTED,
            "version",
            f"document version {data.get('version')!r} is not understood here; "
            f"this node reads version {VERSION}",
        )
    extra = set(data) - {*SIGNED_FIELDS, "signature"}
    if extra:
        raise _invalid(sorted(extra)[0], f"unknown field {sorted(extra)[0]!r}")
    strings = ("id", "order", "prev", "issuer", "recipient", "key", "actor", "signature")
    for name in strings:
        if not isinstance(data.get(name), str) or not data[name]:
            raise _invalid(name, f"{name} must be a non-empty string")
    try:
        kind = Kind(str(data.get("kind")))
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        raise _invalid("kind", f"unknown kind {data.get('kind')!r}; one of: {known}") from None
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise _invalid("seq", "seq must be a whole number from 1")
    if not isinstance(data.get("body"), dict):
        raise _invalid("body", "body must be a JSON object")
    try:
        at = datetime.fromisoformat(str(data.get("at")))
    except ValueError:
        raise _invalid("at", f"at must be an ISO 8601 time, not {data.get('at')!r}") from None
    if at.tzinfo is None:
        raise _invalid("at", "at must carry its UTC offset")
    return Document(
        id=data["id"],
        kind=kind,
        order=data["order"],
        seq=seq,
        prev=data["prev"],
        issuer=data["issuer"],
        recipient=data["recipient"],
        key=data["key"],
        at=at,
        actor=data["actor"],
        body=data["body"],
        signature=data["signature"],
    )


@dataclass(frozen=True, slots=True)
class Head:
    """The last document of an order's chain that a node holds."""

    seq: int
    hash: str


def chain_violation(document: Document, head: Head | None) -> Violation | None:
    """Whether ``document`` is the next link of its order's chain, given the chain's ``head``
    (None: no document of that order yet). A gap is DOCUMENT_OUT_OF_ORDER (an earlier document
    has not arrived); a taken position or a wrong ``prev`` is DOCUMENT_CHAIN_BROKEN."""
    expected_seq = 1 if head is None else head.seq + 1
    expected_prev = GENESIS if head is None else head.hash
    where = f"document {document.id} ({document.kind.value} of order {document.order})"
    if document.seq > expected_seq:
        return Violation(
            Code.DOCUMENT_OUT_OF_ORDER,
            "seq",
            f"{where} is number {document.seq} of its order, but this node holds "
            f"{expected_seq - 1}: an earlier document has not arrived yet",
        )
    if document.seq < expected_seq:
        return Violation(
            Code.DOCUMENT_CHAIN_BROKEN,
            "seq",
            f"{where} claims position {document.seq}, which another document already holds "
            f"(this node holds {expected_seq - 1} documents of the order)",
        )
    if document.prev != expected_prev:
        return Violation(
            Code.DOCUMENT_CHAIN_BROKEN,
            "prev",
            f"{where} follows {document.prev[:16]}..., but the order's last document here "
            f"is {expected_prev[:16]}...",
        )
    return None


# --- bodies: what each kind of document says, the same on both nodes ------------------------


def number(value: Decimal | str) -> str:
    """A quantity or amount as the one decimal string both nodes write (``5``, ``12.5``)."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def order_body(order: Order) -> dict[str, Any]:
    """The order document: everything the requester placed, as ``orders new --file`` takes."""
    return {
        "agreement": order.agreement_id,
        "requester": order.requester,
        "supplier": order.supplier,
        "activity": order.activity,
        "settlement": order.settlement,
        "order_date": order.order_date.isoformat(),
        "needed_by": order.needed_by.isoformat(),
        "location": order.location,
        "operation": order.operation,
        "requester_unit": order.requester_unit,
        "supplier_unit": order.supplier_unit,
        "fund_citation": order.fund_citation,
        "partner_reference": order.partner_reference,
        "remarks": order.remarks,
        "lines": [
            {
                "category": line.category,
                "description": line.description,
                "nsn": line.nsn,
                "quantity": number(line.quantity),
                "unit": line.unit,
                "unit_price": number(line.unit_price),
                "currency": line.currency,
            }
            for line in order.lines
        ],
    }


#: The document of each lifecycle step (placing the order is Kind.ORDER, see order_body).
STEP_KINDS: Mapping[Action, Kind] = {
    Action.SUBMIT: Kind.SUBMIT,
    Action.ACCEPT: Kind.ACCEPT,
    Action.REJECT: Kind.REJECT,
    Action.CANCEL: Kind.CANCEL,
    Action.DELIVER: Kind.DELIVER,
    Action.RECEIVE: Kind.RECEIVE,
    Action.CLOSE: Kind.CLOSE,
}


def _numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    return number(value)


def step_body(event: Event) -> dict[str, Any]:
    """A lifecycle step's document: the quantities per line, the reason or the note."""
    details = dict(event.details)
    body: dict[str, Any] = {}
    if "lines" in details:
        body["lines"] = _numbers(details["lines"])
    for name in ("reason", "note"):
        if name in details:
            body[name] = details[name]
    return body


def normalised(value: Any) -> Any:
    """A JSON value with its Decimals and dates as the strings documents carry."""
    if isinstance(value, dict):
        return {str(k): normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalised(v) for v in value]
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
