"""The two books: export this node's book with a partner, signed, and reconcile the partner's.

The book file (its format, signing and reading) is ``acsa.adapters.book_file``.
"""

from __future__ import annotations

import dataclasses
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import IO

from pydantic import BaseModel, Field
from sqlalchemy import Engine

from acsa.adapters.book_file import (
    NATION,
    BookStream,
    book_csv,
    book_document,
    csv_writer,
    invalid,
    read_book,  # noqa: F401 (read here by those who read a book file through the service)
    sign_book,
    write_book,
)
from acsa.adapters.db import book_orders
from acsa.adapters.db import unit_of_work as db
from acsa.adapters.node_identity import node_key
from acsa.adapters.signing import parse_public, verify
from acsa.clock import utc_now
from acsa.domain.account import OrderAccount
from acsa.domain.errors import AcsaError, Code
from acsa.domain.keys import find_key
from acsa.domain.messages import Param, fill, t
from acsa.domain.order import Order
from acsa.domain.reconcile import (
    Book,
    BookOrder,
    Difference,
    DocumentRef,
    OutOfOrderError,
    Report,
    reconcile_sorted,
)
from acsa.schemas.messages import MESSAGE_ID, PARAMS, message_fields
from acsa.services.keys import partner_keys
from acsa.services.ledger import terms_reader
from acsa.services.ports import UnitOfWork

#: Settlements' ``in_`` lists are sent in chunks this long (SQLite's parameter limit).
CHUNK = 500

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
            Code.INVALID_INPUT,
            "partner",
            "partner {partner}: give a nation code like NZL",
            partner=repr(partner),
        )
    if partner == nation:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "partner",
            "{partner} is this node's own nation, not a partner",
            partner=partner,
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
            found.append(_book_order(order, accounts[order.id], documents.get(order.uid, ())))
        return Book(nation, partner, found)


def _book_order(order: Order, account: OrderAccount, documents: Sequence[DocumentRef]) -> BookOrder:
    """``order`` as our book holds it: lines, money (as its account counts it), documents."""
    assert order.id is not None
    assert order.uid is not None
    return BookOrder(
        number=order.id,
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
        documents=tuple(documents),
    )


# --- the file ---------------------------------------------------------------------------------


def _exporting(uow: db.UnitOfWork, partner: str) -> str:
    """This node's nation, if ``partner`` is a registered partner of it."""
    nation = _node_nation(uow)
    _check_partner(nation, partner)
    if uow.partners.get(partner) is None:
        raise AcsaError.single(
            Code.PARTNER_NOT_FOUND,
            "partner",
            "{partner} is not a registered partner of this node",
            partner=partner,
        )
    return nation


def export_book(engine: Engine, partner: str) -> tuple[bytes, str]:
    """This node's book with ``partner``: the signed JSON file and the CSV for people."""
    with db.UnitOfWork(engine, read_only=True) as uow:
        nation = _exporting(uow, partner)
        book = our_book(uow, partner, nation)
        node = uow.node
        assert node is not None
        key = node_key(node)
    document = book_document(book, utc_now(), key.fingerprint)
    return sign_book(document, key), book_csv(book)


def write_export(engine: Engine, partner: str, book: IO[bytes], table: IO[str]) -> int:
    """This node's book with ``partner`` written as it is read, a page of orders at a time
    in uid order: the signed book file (version 2) to ``book``, the CSV for people to
    ``table``; how many orders it holds."""
    with db.UnitOfWork(engine, read_only=True) as uow:
        nation = _exporting(uow, partner)
        node = uow.node
        assert node is not None
        key = node_key(node)
        header = book_document(Book(nation, partner), utc_now(), key.fingerprint)
        orders = our_orders_by_uid(uow, partner, nation)
        return write_book(book, header, _tee(orders, table), key)


def _tee(orders: Iterator[BookOrder], table: IO[str]) -> Iterator[BookOrder]:
    """``orders`` as they come, each written as a row of the CSV for people on the way."""
    row = csv_writer(table)
    for order in orders:
        row(order)
        yield order


def _signature(theirs: BookStream, uow: db.UnitOfWork, nation: str) -> Difference | None:
    """A file-level difference unless the file is signed by ``nation``'s registered key (or
    by a key it had before a rotation: a book signed before keeps verifying)."""
    claimed = theirs.key
    partner = uow.partners.get(nation)
    if partner is None:
        return _said(
            Difference(None, "signature", "nation", None, claimed, ""),
            t(
                "{nation} is not a registered partner of this node: the file's signature "
                "cannot be checked"
            ),
            nation=nation,
        )
    signer = find_key(partner_keys(uow, partner), claimed)
    public = parse_public(partner.public_key if signer is None else signer.public_key, "public_key")
    if verify(public, theirs.signed, theirs.signature):
        return None
    if claimed != partner.fingerprint:
        # Signed, it says, by a key this node does not know as the partner's.
        return _said(
            Difference(None, "signature", "key", partner.fingerprint, claimed, ""),
            t(
                "the file is signed with key {claimed}, not with {nation}'s key registered "
                "here ({fingerprint}): it cannot be shown to be {nation}'s book"
            ),
            nation=nation,
            fingerprint=partner.fingerprint,
            claimed=claimed,
        )
    # The right key is named, but the signature does not match the content.
    return _said(
        Difference(None, "signature", "signature", partner.fingerprint, None, ""),
        t(
            "the file names {nation}'s registered key ({fingerprint}), but its signature does "
            "not verify with that key: the file was changed after {nation} signed it, or "
            "another key signed it"
        ),
        nation=nation,
        fingerprint=partner.fingerprint,
    )


def _said(difference: Difference, template: str, **params: Param) -> Difference:
    """``difference`` with its message ``template`` filled in with ``params``."""
    d = difference
    return Difference(
        d.order, d.kind, d.field, d.ours, d.theirs, fill(template, params), template, params
    )


def reconcile_file(engine: Engine, data: bytes) -> Report:
    """The partner's book file (its bytes) against our book: see :func:`reconcile_stream`."""
    return reconcile_stream(engine, io.BytesIO(data))


def reconcile_stream(engine: Engine, file: IO[bytes]) -> Report:
    """The partner's book file against our book, order by order in uid order, the file read
    as the orders are compared (a version 2 file: one order of each book in memory at a time):
    every difference, and first the file's signature when it does not verify with the
    partner's registered key."""
    theirs = BookStream(file)
    with db.UnitOfWork(engine, read_only=True) as uow:
        nation = _node_nation(uow)
        if theirs.partner != nation:
            raise invalid(
                "partner",
                t("the file is {nation}'s book with {partner}, not with this node's nation {ours}"),
                nation=theirs.nation,
                partner=theirs.partner,
                ours=nation,
            )
        if theirs.nation == nation:
            raise invalid(
                "nation", t("the file is {nation}'s own book, not a partner's"), nation=nation
            )
        ours = our_orders_by_uid(uow, theirs.nation, nation)
        try:
            report = reconcile_sorted(ours, theirs.orders, nation, theirs.nation)
        except OutOfOrderError as error:
            if error.side != "theirs":
                raise
            raise _out_of_order(error) from None
        theirs.finish()
        signature = _signature(theirs, uow, theirs.nation)
    if signature is None:
        return report
    return dataclasses.replace(report, differences=[signature, *report.differences])


def _out_of_order(error: OutOfOrderError) -> AcsaError:
    at = f"orders[{error.index}].uid"
    if error.twice:
        return invalid(at, t("order {order} is in the file twice"), order=error.uid)
    return invalid(
        at,
        t(
            "order {order} comes after {previous}: a version 2 book lists its orders in "
            "ascending uid order (as acsa books export writes them)"
        ),
        order=error.uid,
        previous=error.previous,
    )


def our_orders_by_uid(uow: db.UnitOfWork, partner: str, nation: str) -> Iterator[BookOrder]:
    """``nation``'s book with ``partner`` (as :func:`our_book` builds it), its orders in
    ascending uid order, read from the database a page of CHUNK orders at a time."""
    _check_partner(nation, partner)
    terms = terms_reader(uow)
    conn = uow.connection
    after: str | None = None
    while page := book_orders.uid_page(conn, nation, partner, after, CHUNK):
        ids = [number for _, number in page]
        orders = {o.id: o for o in uow.orders.by_ids(ids)}
        accounts = {a.head.order: a for a in uow.order_accounts.load_ids(ids, terms)}
        documents: dict[str, list[DocumentRef]] = defaultdict(list)
        for row in book_orders.documents_of(conn, nation, partner, [uid for uid, _ in page]):
            documents[row.order_uid].append(
                (int(row.seq), str(row.id), str(row.kind), str(row.hash), str(row.prev))
            )
        for uid, number in page:
            yield _book_order(orders[number], accounts[number], documents.get(uid, ()))
        after = page[-1][0]


# --- the report as JSON -----------------------------------------------------------------------


class DifferenceOut(BaseModel):
    """One difference between the two books; ``message`` in English, ``message_id`` and
    ``params`` to write it in another language."""

    order: str | None
    kind: str
    field: str
    ours: str | None
    theirs: str | None
    message: str
    message_id: str = MESSAGE_ID
    params: dict[str, str] = PARAMS
    our_number: int | None = Field(
        default=None, description="The order's number in our book (None: not there)."
    )
    their_number: int | None = Field(
        default=None,
        description="The order's number in the partner's book (None: not there, or a file "
        "that does not give it).",
    )


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
        differences=[difference_out(d, report) for d in report.differences],
        summary=report.summary,
    )


def difference_out(d: Difference, report: Report | None = None) -> DifferenceOut:
    # A difference that keeps its message id (template, params) is written for the reader;
    # one that keeps only its English text is that text, with no parameters.
    said = message_fields(d.template or d.message, d.params)
    said["message"] = d.message
    here, there = report.order_numbers(d.order) if report is not None else (None, None)
    return DifferenceOut(
        order=d.order,
        kind=d.kind,
        field=d.field,
        ours=d.ours,
        theirs=d.theirs,
        our_number=here,
        their_number=there,
        **said,
    )


def differences_rows(report: Report) -> list[list[str]]:
    """The differences as text rows: kind, order (its uid), its number in our book and in
    theirs, field, ours, theirs, message."""

    def number(value: int | None) -> str:
        return "-" if value is None else f"#{value}"

    rows = []
    for d in report.differences:
        here, there = report.order_numbers(d.order) if d.order else (None, None)
        rows.append(
            [
                d.kind.replace("_", " "),
                d.order or "(file)",
                number(here),
                number(there),
                d.field,
                d.ours or "-",
                d.theirs or "-",
                d.message,
            ]
        )
    return rows
