"""Signed documents two national nodes exchange, as pure values and rules.

Every step of an order (the order itself, its acceptance or rejection, each delivery and
receipt, invoice, payment, replacement, exchange, conversion, cancellation and closing), and
every remark on it (a note), is one document: a canonical, versioned JSON object issued by one
nation's node, carrying the hash of the previous document of the same order, so each order's
documents form a chain both nodes hold. The signature (Ed25519, see ``acsa.adapters.signing``)
covers the canonical bytes of everything but itself; the document's hash is the SHA-256 of the
same bytes.

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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from acsa.domain import limits
from acsa.domain.access import Side
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import Message, Term, t
from acsa.domain.order import Action, Event, Order, OrderStatus
from acsa.domain.rate_rules import RATE as OFFICIAL_RATE

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
    NOTE = "note"
    #: A source document attached to an order or one of its steps: its hash, type, size, name
    #: and step, with the file's bytes in base64 (``acsa.domain.attachments``).
    ATTACHMENT = "attachment"
    #: The requester's new terms for a draft (the whole order document again).
    EDIT = "edit"
    #: This node's versions of an agreement with the recipient (not of an order; see
    #: ``acsa.domain.registry_exchange``).
    AGREEMENT = "agreement"
    #: An official rate this node records, of its own nation or the recipient's.
    RATE = "rate"
    #: A node's new key, signed by its old one (see ``acsa.domain.keys``; not of an order).
    KEY_ROLLOVER = "key_rollover"
    #: A node's word that one of its keys is revoked, signed by its current key.
    KEY_REVOCATION = "key_revocation"
    #: Corrections, the supplier's (the creditor keeps the invoice and the receivable; a
    #: supplier's document never loses a fork): an invoice voided, a payment reversed, a
    #: credit note.
    VOID = "void"
    PAYMENT_REVERSAL = "reversal"
    CREDIT_NOTE = "credit_note"
    #: A dispute of a receipt, invoice or settlement, and its answer (either side's:
    #: ``acsa.domain.disputes``).
    DISPUTE = "dispute"
    DISPUTE_ANSWER = "dispute_answer"


#: The kinds of document about a node's keys rather than an order (chained per issuer and
#: recipient under ``keys.key_chain``).
KEY_KINDS = frozenset({Kind.KEY_ROLLOVER, Kind.KEY_REVOCATION})


#: The kinds of document about a node's registry rather than an order (chained per issuer
#: and recipient under ``registry_exchange.registry_chain``).
REGISTRY_KINDS = frozenset({Kind.AGREEMENT, Kind.RATE})


#: Which party issues each kind of document. The requester orders, receives and returns goods;
#: the supplier accepts, delivers and bills (a conversion to cash bills too); payments and
#: closing are recorded by whichever side acts first; either side remarks on an order (a note).
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
    Kind.NOTE: Side.EITHER,
    Kind.ATTACHMENT: Side.EITHER,
    Kind.EDIT: Side.REQUESTER,
    Kind.AGREEMENT: Side.EITHER,
    Kind.RATE: Side.EITHER,
    Kind.KEY_ROLLOVER: Side.EITHER,
    Kind.KEY_REVOCATION: Side.EITHER,
    Kind.VOID: Side.SUPPLIER,
    Kind.PAYMENT_REVERSAL: Side.SUPPLIER,
    Kind.CREDIT_NOTE: Side.SUPPLIER,
    Kind.DISPUTE: Side.EITHER,
    Kind.DISPUTE_ANSWER: Side.EITHER,
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


def _invalid(at: str, template: str, **params: object) -> AcsaError:
    """DOCUMENT_INVALID naming the field ``at``: ``template`` (marked ``t``) with ``params``."""
    return AcsaError([_violation(at, template, **params)])


def _violation(at: str, template: str, **params: object) -> Violation:
    return Violation(Code.DOCUMENT_INVALID, at, template, params=params)


def _as_invalid(field: str, violation: Violation) -> AcsaError:
    """A bound's violation (a text, a day) as DOCUMENT_INVALID naming ``field``."""
    return AcsaError([_violation(field, violation.template, **violation.params)])


def parse_wire(wire: bytes) -> Document:
    """A document from the bytes a partner sent: its size and nesting depth are bounded before
    it is parsed (DOCUMENT_INVALID naming ``document``), then ``parse``."""
    if len(wire) > _bound(wire):
        raise _invalid(
            "document",
            t("the document is {size} bytes long; at most {most} are taken"),
            size=Decimal(len(wire)),
            most=Decimal(_bound(wire)),
        )
    if limits.json_text_depth(wire) > limits.JSON_DEPTH_MAX:
        raise _invalid(
            "document",
            t("the document nests deeper than {most} levels of objects and lists"),
            most=limits.JSON_DEPTH_MAX,
        )
    try:
        data = json.loads(wire)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _invalid("document", t("the body is not a JSON document")) from None
    document = parse(data)
    if document.kind is not Kind.ATTACHMENT and len(wire) > limits.DOCUMENT_BYTES_MAX:
        raise _invalid(
            "document",
            t("the document is {size} bytes long; at most {most} are taken"),
            size=Decimal(len(wire)),
            most=Decimal(limits.DOCUMENT_BYTES_MAX),
        )
    return document


def _bound(wire: bytes) -> int:
    """The most bytes a document may be: an attachment's (carrying a file) is larger."""
    ends = wire[:4096] + wire[-4096:]
    if len(wire) > limits.DOCUMENT_BYTES_MAX and b'"kind":"attachment"' in ends:
        return limits.ATTACHMENT_DOCUMENT_BYTES_MAX
    return limits.DOCUMENT_BYTES_MAX


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HASH = re.compile(r"[0-9a-f]{64}")
_NATION = re.compile(r"[A-Z]{3}")
_FINGERPRINT = re.compile(r"[0-9a-f]{4}(:[0-9a-f]{4}){7}")
_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The longest ``at`` (an ISO 8601 time with microseconds and its offset) taken.
AT_CHARS_MAX = 40


def _shaped(field: str, value: object, pattern: re.Pattern[str], what: str) -> Violation | None:
    if isinstance(value, str) and pattern.fullmatch(value):
        return None
    shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
    return Violation(
        Code.DOCUMENT_INVALID,
        field,
        "{field} must be {what}, not {shown}",
        params={"field": field, "what": Message(what, {}), "shown": shown},
    )


def _time(value: object) -> datetime:
    """``at``: an ISO 8601 time with its UTC offset, within the dates acsa takes."""
    if not isinstance(value, str) or len(value) > AT_CHARS_MAX:
        raise _invalid(
            "at", t("at must be an ISO 8601 time of at most {most} characters"), most=AT_CHARS_MAX
        )
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(
            "at", t("at must be an ISO 8601 time, not {value}"), value=repr(value)
        ) from None
    if at.tzinfo is None:
        raise _invalid("at", t("at must carry its UTC offset"))
    outside = limits.date_violation("at", at.date())
    if outside is not None:
        raise _as_invalid("at", outside)
    return at


def parse(data: Any) -> Document:
    """A document from its JSON form; anything malformed is DOCUMENT_INVALID naming the field
    (every field's type, form and bound, and the body's shape for its kind: see BODIES),
    another format version DOCUMENT_VERSION_UNSUPPORTED."""
    _check_envelope(data)
    _check_shapes(data)
    kind = _kind(data["kind"])
    seq = _seq(data["seq"])
    actor = _actor(data["actor"])
    at = _time(data["at"])
    body = _body(kind, data["body"])
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
        actor=actor,
        body=body,
        signature=data["signature"],
    )


def _check_envelope(data: Any) -> None:
    """``data`` is an object holding exactly the signed fields and the signature, of this
    format and version."""
    if not isinstance(data, dict):
        raise _invalid("document", t("a document is a JSON object"))
    missing = [n for n in (*SIGNED_FIELDS, "signature") if n not in data]
    if missing:
        raise _invalid(missing[0], t("{field} is missing"), field=missing[0])
    if data.get("format") != FORMAT:
        shown = repr(data.get("format"))[:40]
        raise _invalid(
            "format", t("format must be {format}, not {shown}"), format=repr(FORMAT), shown=shown
        )
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        raise AcsaError.single(
            Code.DOCUMENT_VERSION_UNSUPPORTED,
            "version",
            "document version {version} is not understood here; this node reads version {ours}",
            version=repr(data.get("version"))[:40],
            ours=VERSION,
        )
    extra = sorted(str(k) for k in set(data) - {*SIGNED_FIELDS, "signature"})
    if extra:
        raise _invalid(extra[0][:64], t("unknown field {name}"), name=repr(extra[0][:64]))


_SHAPES = (
    ("id", _UUID, t("a UUID in lower case")),
    ("order", _UUID, t("the order's uid, a UUID in lower case")),
    ("prev", _HASH, t("a SHA-256 in 64 lower-case hex digits")),
    ("issuer", _NATION, t("a nation's three-letter code")),
    ("recipient", _NATION, t("a nation's three-letter code")),
    ("key", _FINGERPRINT, t("a key fingerprint (8 groups of 4 hex digits)")),
    ("signature", _SIGNATURE, t("an Ed25519 signature in base64 (88 characters)")),
)


def _check_shapes(data: dict[str, Any]) -> None:
    """The ids, hash, nations, key and signature each have their form (see _SHAPES)."""
    wrong = [v for name, p, what in _SHAPES if (v := _shaped(name, data[name], p, what))]
    if wrong:
        raise AcsaError(wrong[:1])


def _kind(value: object) -> Kind:
    """``kind``: one of Kind's values."""
    try:
        kind = Kind(value) if isinstance(value, str) else None
    except ValueError:
        kind = None
    if kind is None:
        known = tuple(k.value for k in Kind)
        raise _invalid(
            "kind", t("unknown kind {kind}; one of: {known}"), kind=repr(value)[:40], known=known
        )
    return kind


def _seq(value: object) -> int:
    """``seq``: a whole number from 1 to DOCUMENT_SEQ_MAX."""
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value <= limits.DOCUMENT_SEQ_MAX
    ):
        raise _invalid(
            "seq",
            t("seq must be a whole number from 1 to {most}"),
            most=Decimal(limits.DOCUMENT_SEQ_MAX),
        )
    return value


def _actor(value: object) -> str:
    """``actor``: non-empty text within the bounds of any text acsa takes."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("actor", t("actor must be a non-empty string"))
    said = limits.text_violation("actor", value)
    if said is not None:
        raise _as_invalid("actor", said)
    return value


def _body(kind: Kind, value: object) -> dict[str, Any]:
    """``body``: an object of the shape its ``kind`` takes (see BODIES)."""
    if not isinstance(value, dict):
        raise _invalid("body", t("body must be a JSON object"))
    broken = body_violations(kind, value)
    if broken:
        raise AcsaError(broken)
    return value


def time_violation(document: Document, now: datetime, max_skew: timedelta) -> Violation | None:
    """DOCUMENT_FROM_THE_FUTURE when ``document`` is dated more than ``max_skew`` after
    ``now`` (the issuing node's clock is ahead, or the time is made up)."""
    ahead = document.at - now
    if ahead <= max_skew:
        return None
    return Violation(
        Code.DOCUMENT_FROM_THE_FUTURE,
        "at",
        "document {document} is dated {at}, {ahead} s ahead of this node's clock; at most "
        "{most} s ahead are taken (check both nodes' clocks)",
        params={
            "document": document.id,
            "at": document.at.isoformat(),
            "ahead": int(ahead.total_seconds()),
            "most": int(max_skew.total_seconds()),
        },
    )


# --- the shape of each kind's body -------------------------------------------------------------

#: Checks one value at a path; the violations it finds (all DOCUMENT_INVALID).
Check = Callable[[str, Any], list[Violation]]


def _bad(field: str, template: str, **params: object) -> list[Violation]:
    """DOCUMENT_INVALID at ``field``: ``template`` (marked ``t``) naming it as ``{field}``."""
    return [_violation(field, template, field=field, **params)]


def _bad_as(field: str, violation: Violation) -> list[Violation]:
    """A bound's violation (a text, a day) as DOCUMENT_INVALID at ``field``."""
    return [_violation(field, violation.template, **violation.params)]


def _text(like: str | None = None, *, required: bool = False, null: bool = False) -> Check:
    """A string bounded as the text field ``like`` (default: the field's own name), without
    control characters but tab and line breaks; ``required``: not empty; ``null``: may be
    null."""

    def check(field: str, value: Any) -> list[Violation]:
        if value is None and null:
            return []
        if not isinstance(value, str):
            if null:
                return _bad(field, t("{field} must be a string or null"))
            return _bad(field, t("{field} must be a string"))
        if required and not value.strip():
            return _bad(field, t("{field} must not be empty"))
        bound = limits.text_bound(like or field)
        if len(value) > bound:
            return _bad(
                field,
                t("{field} is {length} characters long; at most {most} are allowed"),
                length=Decimal(len(value)),
                most=bound,
            )
        said = limits.text_violation(field, value, multiline=True)
        return [] if said is None else _bad_as(field, said)

    return check


def _pattern(pattern: re.Pattern[str], what: str) -> Check:
    def check(field: str, value: Any) -> list[Violation]:
        found = _shaped(field, value, pattern, what)
        return [] if found is None else [found]

    return check


def _day(field: str, value: Any) -> list[Violation]:
    wrong = _shaped(field, value, _DAY, t("a date written YYYY-MM-DD"))
    if wrong is not None:
        return [wrong]
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return _bad(field, t("{field} {value} is not a date"), value=repr(value))
    outside = limits.date_violation(field, day)
    return [] if outside is None else _bad_as(field, outside)


def _number(bound: limits.NumberBound) -> Check:
    """A decimal written as a string, within ``bound`` (limits.number_violation)."""

    def check(field: str, value: Any) -> list[Violation]:
        if not isinstance(value, str):
            return _bad(field, t("{field} must be a decimal number written as a string"))
        _, violation = limits.number_violation(field, value, bound, Code.DOCUMENT_INVALID)
        return [] if violation is None else [violation]

    return check


def _one_of(*choices: str) -> Check:
    def check(field: str, value: Any) -> list[Violation]:
        if isinstance(value, str) and value in choices:
            return []
        return _bad(field, t("{field} must be one of: {choices}"), choices=choices)

    return check


def _true(field: str, value: Any) -> list[Violation]:
    """``true``: a flag a document carries only when it is set."""
    return [] if value is True else _bad(field, t("{field} must be true when given"))


def _codes(*choices: str) -> Check:
    """A list of distinct codes from ``choices``."""

    def check(field: str, value: Any) -> list[Violation]:
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) and v in choices for v in value)
            and len(set(value)) == len(value)
        ):
            return []
        return _bad(
            field, t("{field} must be a list of distinct codes among: {choices}"), choices=choices
        )

    return check


#: What an order may attest (``Attestations``); its document carries only those given.
_ATTESTED: Mapping[str, Check] = {
    "cash_reason": _text("cash_reason", required=True),
    "determination": _text("determination", required=True),
    "determination_date": _day,
    "hostilities": _true,
    "confirm": _codes("ACTIVITY_UNVERIFIED", "IN_FORCE_DATE_UNCERTAIN"),
}


def _instant(field: str, value: Any) -> list[Violation]:
    """An ISO 8601 time with its UTC offset (as ``at``)."""
    try:
        _time(value)
    except AcsaError:
        return _bad(field, t("{field} must be an ISO 8601 time with its UTC offset"))
    return []


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _base64(field: str, value: Any) -> list[Violation]:
    """A file's bytes in base64, at most ATTACHMENT_BYTES_CEILING of them."""
    most = (limits.ATTACHMENT_BYTES_CEILING + 2) // 3 * 4
    if not isinstance(value, str) or len(value) > most or len(value) % 4:
        return _bad(field, t("{field} must be a file's bytes in base64"))
    if not _BASE64.fullmatch(value):
        return _bad(field, t("{field} must be a file's bytes in base64"))
    return []


_PUBLIC_KEY = re.compile(r"ed25519:[A-Za-z0-9+/]{43}=")


def _whole(low: int, high: int) -> Check:
    def check(field: str, value: Any) -> list[Violation]:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return []
        return _bad(
            field, t("{field} must be a whole number from {low} to {high}"), low=low, high=high
        )

    return check


def _object(fields: Mapping[str, Check], optional: frozenset[str] = frozenset()) -> Check:
    """A JSON object with exactly ``fields`` (those in ``optional`` may be left out)."""

    def check(field: str, value: Any) -> list[Violation]:
        if not isinstance(value, dict):
            return _bad(field, t("{field} must be a JSON object"))
        unknown = sorted(str(k) for k in value if k not in fields)
        if unknown:
            name = unknown[0][:64]
            return [
                _violation(
                    f"{field}.{name}",
                    t("{field} has an unknown field {name}"),
                    field=field,
                    name=repr(name),
                )
            ]
        found: list[Violation] = []
        for name, inner in fields.items():
            path = f"{field}.{name}"
            if name not in value:
                if name not in optional:
                    found += _bad(path, t("{field} is missing"))
                continue
            found += inner(path, value[name])
        return found

    return check


def _list(item: Check, most: int) -> Check:
    """A JSON list of 1 to ``most`` items, each as ``item`` says."""

    def check(field: str, value: Any) -> list[Violation]:
        if not isinstance(value, list) or not value:
            return _bad(field, t("{field} must be a non-empty list"))
        if len(value) > most:
            return _bad(
                field,
                t("{field} has {count} items; at most {most} are allowed"),
                count=Decimal(len(value)),
                most=most,
            )
        found: list[Violation] = []
        for i, each in enumerate(value):
            found += item(f"{field}[{i}]", each)
        return found

    return check


_LINE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")


def _per_line(item: Check) -> Check:
    """A JSON object from line numbers ("1", "2"...) to what each line says."""

    def check(field: str, value: Any) -> list[Violation]:
        if not isinstance(value, dict) or not value:
            return _bad(field, t("{field} must be a non-empty object of line numbers"))
        if len(value) > limits.ORDER_LINES_MAX:
            return _bad(
                field,
                t("{field} has {count} lines; at most {most}"),
                count=Decimal(len(value)),
                most=limits.ORDER_LINES_MAX,
            )
        found: list[Violation] = []
        for key, each in value.items():
            if not _LINE_NUMBER.fullmatch(key) or int(key) > limits.ORDER_LINES_MAX:
                return _bad(
                    field, t("{field} has {key}, which is not a line number"), key=repr(key[:20])
                )
            found += item(f"{field}.{key}", each)
        return found

    return check


_NATION_CODE = _pattern(_NATION, t("a nation's three-letter code"))
_CURRENCY = _pattern(_NATION, t("a three-letter currency code"))
_INVOICE_NUMBER = _text("number", required=True)

#: The order document's body: what placing an order (and editing a draft) records.
_ORDER_BODY = _object(
    {
        "agreement": _text("agreement_id", required=True),
        "requester": _NATION_CODE,
        "supplier": _NATION_CODE,
        "activity": _text("activity", required=True),
        "settlement": _text("settlement", required=True),
        "order_date": _day,
        "needed_by": _day,
        "location": _text("location"),
        "operation": _text("operation", null=True),
        "requester_unit": _text("requester_unit", null=True),
        "supplier_unit": _text("supplier_unit", null=True),
        "fund_citation": _text("fund_citation", null=True),
        "partner_reference": _text("partner_reference", null=True),
        "remarks": _text("remarks", null=True),
        "lines": _list(
            _object(
                {
                    "category": _text("category", required=True),
                    "description": _text("description"),
                    "nsn": _text("nsn", null=True),
                    "quantity": _number(limits.QUANTITY),
                    "unit": _text("unit"),
                    "unit_price": _number(limits.PRICE),
                    "currency": _CURRENCY,
                }
            ),
            limits.ORDER_LINES_MAX,
        ),
        **_ATTESTED,
        "arrangement": _text("arrangement", required=True),
    },
    frozenset({*_ATTESTED, "arrangement"}),
)


def _strings(field: str, value: Any) -> list[Violation]:
    """A JSON list (maybe empty) of at most ENTRIES_MAX texts."""
    if not isinstance(value, list) or len(value) > _ENTRIES_MAX:
        return _bad(field, t("{field} must be a list of at most {most} texts"), most=_ENTRIES_MAX)
    found: list[Violation] = []
    for i, each in enumerate(value):
        found += _text(field)(f"{field}[{i}]", each)
    return found


#: The most versions, and items of a version's list, a registry document carries.
_ENTRIES_MAX = 200

#: One version of an agreement as a registry document carries it
#: (``registry_exchange.version_entry``).
_VERSION_ENTRY = _object(
    {
        "agreement": _text("agreement_id", required=True),
        "parties": _strings,
        "version": _text("version", required=True),
        "label": _text("label"),
        "signed": _text("signed"),
        "in_force": _text("in_force"),
        "ended": _text("ended"),
        "activities": _strings,
        "categories": _strings,
        "excluded": _strings,
        "settlement_methods": _strings,
        "settlement_by_kind": _strings,
        "ceilings": _strings,
        "terminated": _text("terminated"),
    }
)

#: What each kind's body holds: its fields, their types, forms and bounds.
BODIES: Mapping[Kind, Check] = {
    Kind.KEY_ROLLOVER: _object(
        {
            "public_key": _pattern(_PUBLIC_KEY, t("an Ed25519 public key ('ed25519:' and base64)")),
            "fingerprint": _pattern(
                _FINGERPRINT, t("a key fingerprint (8 groups of 4 hex digits)")
            ),
            "grace_until": _instant,
        }
    ),
    Kind.KEY_REVOCATION: _object(
        {
            "fingerprint": _pattern(
                _FINGERPRINT, t("a key fingerprint (8 groups of 4 hex digits)")
            ),
            "since": _instant,
        }
    ),
    Kind.ORDER: _ORDER_BODY,
    Kind.EDIT: _ORDER_BODY,
    # Who approved the draft before commitment (acsa.domain.approvals), named by the
    # requester's node: each tier's threshold, its approver and their profile, and when.
    Kind.SUBMIT: _object(
        {
            "approvals": _list(
                _object(
                    {
                        "tier": _text("number", required=True),
                        "threshold": _text("number", required=True),
                        "currency": _text("currency", required=True),
                        "approver": _text("actor", required=True),
                        "name": _text("name"),
                        "rank": _text("name"),
                        "position": _text("name"),
                        "at": _instant,
                    }
                ),
                limits.APPROVAL_TIERS_MAX,
            )
        },
        frozenset({"approvals"}),
    ),
    Kind.CLOSE: _object({}),
    Kind.ACCEPT: _object({"lines": _per_line(_number(limits.QUANTITY_OR_ZERO))}),
    Kind.REJECT: _object({"reason": _text("reason")}, frozenset({"reason"})),
    Kind.CANCEL: _object({"reason": _text("reason")}, frozenset({"reason"})),
    Kind.DELIVER: _object({"lines": _per_line(_number(limits.QUANTITY))}),
    Kind.RECEIVE: _object(
        {
            "lines": _per_line(
                _object(
                    {
                        "received": _number(limits.QUANTITY_OR_ZERO),
                        "short": _number(limits.QUANTITY_OR_ZERO),
                    }
                )
            ),
            "note": _text("note"),
        },
        frozenset({"note"}),
    ),
    Kind.INVOICE: _object(
        {
            "number": _INVOICE_NUMBER,
            "kind": _one_of("cash", "conversion"),
            "amount": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "issued": _day,
            "due": _day,
        }
    ),
    Kind.PAYMENT: _object(
        {
            "invoice": _INVOICE_NUMBER,
            "amount": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "paid": _day,
            "reference": _text("reference"),
        }
    ),
    Kind.REPLACEMENT: _object(
        {
            "date": _day,
            "lines": _list(
                _object(
                    {
                        "line": _whole(1, limits.ORDER_LINES_MAX),
                        "category": _text("category", required=True),
                        "nsn": _text("nsn", null=True),
                        "quantity": _number(limits.QUANTITY),
                        "description": _text("description"),
                    }
                ),
                limits.SETTLEMENT_LINES_MAX,
            ),
            "note": _text("note"),
        }
    ),
    Kind.EXCHANGE: _object(
        {
            "date": _day,
            "lines": _list(
                _object(
                    {
                        "category": _text("category", required=True),
                        "description": _text("description"),
                        "quantity": _number(limits.QUANTITY),
                        "unit": _text("unit"),
                        "value": _number(limits.AMOUNT),
                    }
                ),
                limits.SETTLEMENT_LINES_MAX,
            ),
            "agreed_by": _text("agreed_by"),
            "valuation_note": _text("note"),
        }
    ),
    Kind.CONVERSION: _object(
        {
            "as_of": _day,
            "amount": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "invoice": _INVOICE_NUMBER,
            "deadline": _day,
        }
    ),
    Kind.NOTE: _object({"note": _text("note", required=True)}),
    Kind.VOID: _object(
        {
            "invoice": _INVOICE_NUMBER,
            "amount": _number(
                limits.NumberBound(limits.AMOUNT_MAX, limits.AMOUNT_DECIMALS_MAX, zero=True)
            ),
            "currency": _CURRENCY,
            "date": _day,
            "reason": _text("reason", required=True),
        }
    ),
    Kind.PAYMENT_REVERSAL: _object(
        {
            "invoice": _INVOICE_NUMBER,
            "payment": _whole(1, limits.ID_MAX),
            "amount": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "date": _day,
            "reason": _text("reason", required=True),
        }
    ),
    Kind.CREDIT_NOTE: _object(
        {
            "invoice": _INVOICE_NUMBER,
            "number": _text("number", required=True),
            "amount": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "date": _day,
            "reason": _text("reason", required=True),
        }
    ),
    Kind.DISPUTE: _object(
        {
            "number": _text("dispute", required=True),
            "step": _text("step", required=True),
            "ground": _text("ground", required=True),
            "reason": _text("reason", required=True),
            "amount": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "evidence": _text("evidence", null=True),
            "date": _day,
        }
    ),
    Kind.DISPUTE_ANSWER: _object(
        {
            "number": _text("dispute", required=True),
            "resolution": _text("resolution", required=True),
            "agreed": _number(limits.AMOUNT),
            "currency": _CURRENCY,
            "note": _text("note"),
            "credit_note": _text("number", required=True),
            "invoice": _INVOICE_NUMBER,
            "date": _day,
        },
        optional=frozenset({"agreed", "currency", "credit_note", "invoice"}),
    ),
    Kind.ATTACHMENT: _object(
        {
            "sha256": _pattern(_HASH, t("a SHA-256 in 64 lower-case hex digits")),
            "type": _text("media_type", required=True),
            "size": _whole(1, limits.ATTACHMENT_BYTES_CEILING),
            "name": _text("file_name", required=True),
            "step": _text("step", null=True),
            "content": _base64,
        }
    ),
    Kind.AGREEMENT: _object(
        {
            "agreement": _text("agreement_id", required=True),
            "versions": _list(_VERSION_ENTRY, _ENTRIES_MAX),
        }
    ),
    Kind.RATE: _object(
        {
            "nation": _NATION_CODE,
            "fiscal_year": _text("fiscal_year", required=True),
            "currency": _CURRENCY,
            "rate": _number(OFFICIAL_RATE),
            "source": _text("source"),
        }
    ),
}


def body_violations(kind: Kind, body: Mapping[str, Any]) -> list[Violation]:
    """Where ``body`` is not the body of a ``kind`` document (fields named ``body.x``)."""
    return BODIES[kind]("body", body)


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
    where = {
        "document": document.id,
        "kind": Term(document.kind.value),
        "order": document.order,
        "seq": document.seq,
        "held": expected_seq - 1,
    }
    if document.seq > expected_seq:
        return Violation(
            Code.DOCUMENT_OUT_OF_ORDER,
            "seq",
            "document {document} ({kind} of order {order}) is number {seq} of its order, but "
            "this node holds {held}: an earlier document has not arrived yet",
            params=where,
        )
    if document.seq < expected_seq:
        return Violation(
            Code.DOCUMENT_CHAIN_BROKEN,
            "seq",
            "document {document} ({kind} of order {order}) claims position {seq}, which "
            "another document already holds (this node holds {held} documents of the order)",
            params=where,
        )
    if document.prev != expected_prev:
        return Violation(
            Code.DOCUMENT_CHAIN_BROKEN,
            "prev",
            "document {document} ({kind} of order {order}) follows {prev}..., but the order's "
            "last document here is {last}...",
            params={**where, "prev": document.prev[:16], "last": expected_prev[:16]},
        )
    return None


# --- bodies: what each kind of document says, the same on both nodes ------------------------


# --- what a change publishes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A document a service published, signed and chained when the unit of work commits."""

    kind: Kind
    order_uid: str
    issuer: str
    recipient: str
    actor: str
    at: datetime
    body: dict[str, Any]


def draft(
    node_nation: str | None,
    incoming: Document | None,
    order: Order,
    kind: Kind,
    body: dict[str, Any],
    actor: str,
    at: datetime,
) -> Draft | None:
    """The document a change to ``order`` makes on the node of ``node_nation``, or None on an
    installation that is not a node, or for an order this node's nation is not party to.

    Applying a partner's document (``incoming``), the document must be that one:
    DOCUMENT_MISMATCH otherwise. Acting here on the partner's side of an order (accepting what
    the partner supplies, say) is NOT_THIS_NODE: that document comes from the partner's node."""
    if node_nation is None or node_nation not in (order.requester, order.supplier):
        return None
    assert order.uid is not None
    issuer = incoming.issuer if incoming is not None else node_nation
    expected = issuing_nation(kind, order.requester, order.supplier)
    if incoming is None and expected not in (None, node_nation):
        raise AcsaError.single(
            Code.NOT_THIS_NODE,
            "order",
            "the {kind} of order {order} is {nation}'s to record, on {nation}'s node; it "
            "arrives here as {nation}'s signed document",
            kind=Term(kind.value),
            order=order.id,
            nation=expected,
        )
    if incoming is None and node_nation == order.supplier and order.status is OrderStatus.DRAFT:
        # A draft is the requester's alone: a step of the supplier's on it could take the
        # place of an edit, which cannot be taken back (acsa.domain.forks).
        raise AcsaError.single(
            Code.NOT_THIS_NODE,
            "order",
            "order {order} is still {requester}'s draft; it can be noted here once submitted",
            order=order.id,
            requester=order.requester,
        )
    recipient = order.supplier if issuer == order.requester else order.requester
    made = Draft(kind, order.uid, issuer, recipient, actor, at, body)
    if incoming is not None:
        _match(incoming, made)
    return made


def _match(incoming: Document, made: Draft) -> None:
    theirs = {
        "kind": incoming.kind.value,
        "order": incoming.order,
        "recipient": incoming.recipient,
        "actor": incoming.actor,
        "at": incoming.at.isoformat(),
        "body": canonical(dict(incoming.body)),
    }
    ours = {
        "kind": made.kind.value,
        "order": made.order_uid,
        "recipient": made.recipient,
        "actor": made.actor,
        "at": made.at.isoformat(),
        "body": canonical(made.body),
    }
    for name, value in theirs.items():
        if ours[name] != value:
            raise AcsaError.single(
                Code.DOCUMENT_MISMATCH,
                name,
                "document {document}: its {name} differs from what applying it here records "
                "({theirs} against {ours}); nothing was recorded",
                document=incoming.id,
                name=name,
                theirs=repr(value),
                ours=repr(ours[name]),
            )


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
        **_attested(order),
        # The arrangement's reference, only when the order names one (so an order naming
        # none has the document it always had); the partner resolves it in its registry.
        **({"arrangement": order.arrangement} if order.arrangement is not None else {}),
    }


def _attested(order: Order) -> dict[str, Any]:
    """What the order attests, named as ``orders new --file`` takes it; nothing when it
    attests nothing, so such an order's document is what it always was."""
    given = order.attestations.to_json()
    if "confirmed" in given:
        given["confirm"] = given.pop("confirmed")
    return given


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
    if details.get("approvals"):
        body["approvals"] = [dict(a) for a in details["approvals"]]
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
