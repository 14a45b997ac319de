"""Reconciling two nations' books: what each node holds of the orders between them.

Each node exports its book with one partner (every order between the two nations, its lines,
its money and its signed documents); the partner's file is compared with our own book, order by
order (matched by the order's global ``uid``). An order matches when nothing differs; else each
difference is one :class:`Difference` of a kind:

``missing_here``   in their file, not in our book
``missing_there``  in our book, not in their file
``state``          the order's status (or its agreement or parties) differ
``currency``       the order's currency differs
``amount``         value received, invoiced, paid, settled in kind or converted differ
``quantity``       a line's quantity, accepted, delivered, received or short differ (or a line
                   is on one side only)
``document``       a document is on one side only, or another document (hash) at the same seq
``chain``          their documents do not link (seqs not 1..n, or a ``prev`` that is not the
                   hash of the document before)
``signature``      file level: the file's signature does not verify (see ``acsa.services.books``)

Pure: no I/O. Streamed: :func:`reconcile_sorted` merge-joins two iterators of orders, each in
ascending ``uid`` order, so memory holds one order a side (and the differences found), whatever
the size of the books; :func:`reconcile` sorts two books held in memory and does the same. Fast:
whole orders are compared as tuples first; fields are looked at only for the orders that differ.
The differences come in the order people read a book: first the orders of our book by their
number here, then those only in their file by their number there (by ``uid`` where a book does
not number its orders). Our own chains are checked
when each document is stored, so their chain is checked where their documents differ from ours
(or the order is ours not at all): a chain equal to ours links.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field
from decimal import Decimal

from acsa.domain.documents import GENESIS
from acsa.domain.messages import Term, fill, t

ZERO = Decimal(0)

#: (number, quantity, accepted or None, delivered, received, short)
Line = tuple[int, Decimal, Decimal | None, Decimal, Decimal, Decimal]
#: (seq, id, kind, hash, prev)
DocumentRef = tuple[int, str, str, str, str]

KINDS = (
    "missing_here",
    "missing_there",
    "state",
    "currency",
    "amount",
    "quantity",
    "document",
    "chain",
    "signature",
)
AMOUNTS = ("value_received", "invoiced", "paid", "settled_in_kind", "converted")
LINE_FIELDS = ("quantity", "accepted", "delivered", "received", "short")
HEADER_FIELDS = ("agreement", "requester", "supplier", "status")


@dataclass(frozen=True, slots=True)
class BookOrder:
    """One order as a node's book holds it."""

    uid: str
    agreement: str
    requester: str
    supplier: str
    currency: str
    status: str
    lines: tuple[Line, ...] = ()
    value_received: Decimal = ZERO
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    settled_in_kind: Decimal = ZERO
    converted: Decimal = ZERO
    documents: tuple[DocumentRef, ...] = ()
    #: The order's number on the node whose book this is (each node numbers its own orders,
    #: so two books never compare it); None in a file that does not give it.
    number: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Book:
    """``nation``'s book of the orders it has with ``partner``."""

    nation: str
    partner: str
    orders: Sequence[BookOrder] = ()


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing the two books disagree on (``order`` None: the file as a whole): ``message``
    in English, and where known its message id (``template``) and ``params``, to be written in
    the reader's language."""

    order: str | None
    kind: str
    field: str
    ours: str | None
    theirs: str | None
    message: str
    template: str = ""
    params: Mapping[str, object] = dataclass_field(default_factory=dict, hash=False)

    @property
    def key(self) -> tuple[str | None, str, str]:
        return (self.order, self.kind, self.field)


@dataclass(frozen=True, slots=True)
class Report:
    """How many orders matched, and every difference found."""

    matched: int
    differences: list[Difference] = field(default_factory=list)
    nation: str = ""
    partner: str = ""
    #: Each differing order's number in our book and in theirs (None: not there, or not
    #: given), by its uid: people know an order by its number.
    numbers: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)

    def order_numbers(self, uid: str | None) -> tuple[int | None, int | None]:
        """The order's number here and in the partner's book (None where unknown)."""
        return self.numbers.get(uid, (None, None)) if uid is not None else (None, None)

    @property
    def summary(self) -> str:
        n = len(self.differences)
        return f"{self.matched} matched, {n} difference{'' if n == 1 else 's'}"

    @property
    def ok(self) -> bool:
        return not self.differences


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _differ(
    order: str | None,
    kind: str,
    where: str,
    ours: str | None,
    theirs: str | None,
    template: str,
    /,
    **params: object,
) -> Difference:
    """A difference whose message is ``template`` (marked ``t``) filled with ``params``."""
    return Difference(order, kind, where, ours, theirs, fill(template, params), template, params)


def chain_break(order: BookOrder) -> Difference | None:
    """The first place ``order``'s documents do not link, if any."""
    prev = GENESIS
    for expected, (seq, _id, _kind, hash_, before) in enumerate(order.documents, start=1):
        if seq != expected:
            return _differ(
                order.uid,
                "chain",
                f"document {expected}",
                str(expected),
                str(seq),
                t(
                    "order {order}: their documents are not numbered 1..n (seq {seq} where "
                    "{expected} belongs)"
                ),
                order=order.uid,
                seq=seq,
                expected=expected,
            )
        if before != prev:
            return _differ(
                order.uid,
                "chain",
                f"document {seq}",
                prev,
                before,
                t(
                    "order {order}: their document {seq} does not link to the one before (prev "
                    "{prev}..., not {expected}...)"
                ),
                order=order.uid,
                seq=seq,
                prev=before[:12],
                expected=prev[:12],
            )
        prev = hash_
    return None


def _missing(order: BookOrder, kind: str) -> Difference:
    here = kind == "missing_here"
    return _differ(
        order.uid,
        kind,
        "order",
        None if here else order.uid,
        order.uid if here else None,
        t("order {order} ({requester} from {supplier}, {status}) is in their file, not in our book")
        if here
        else t(
            "order {order} ({requester} from {supplier}, {status}) is in our book, not in their "
            "file"
        ),
        order=order.uid,
        requester=order.requester,
        supplier=order.supplier,
        status=Term(order.status),
    )


def _lines(ours: BookOrder, theirs: BookOrder) -> Iterable[Difference]:
    mine = {line[0]: line for line in ours.lines}
    other = {line[0]: line for line in theirs.lines}
    for number in sorted(mine.keys() | other.keys()):
        a, b = mine.get(number), other.get(number)
        if a == b:
            continue
        if a is None or b is None:
            yield _differ(
                ours.uid,
                "quantity",
                f"line {number}",
                None if a is None else str(a[1]),
                None if b is None else str(b[1]),
                t("order {order}: line {line} is in their file only")
                if a is None
                else t("order {order}: line {line} is in our book only"),
                order=ours.uid,
                line=number,
            )
            continue
        for name, x, y in zip(LINE_FIELDS, a[1:], b[1:], strict=True):
            if x != y:
                yield _differ(
                    ours.uid,
                    "quantity",
                    f"line {number} {name}",
                    _text(x),
                    _text(y),
                    t("order {order} line {line}: {name} {ours} here, {theirs} in their file"),
                    order=ours.uid,
                    line=number,
                    name=name,
                    ours=x,
                    theirs=y,
                )


def _documents(ours: BookOrder, theirs: BookOrder) -> Iterable[Difference]:
    mine = {d[0]: d for d in ours.documents}
    other = {d[0]: d for d in theirs.documents}
    for seq in sorted(mine.keys() | other.keys()):
        a, b = mine.get(seq), other.get(seq)
        if a is not None and b is not None and a[:4] == b[:4]:
            continue
        if a is None or b is None:
            yield _differ(
                ours.uid,
                "document",
                f"document {seq}",
                None if a is None else a[3],
                None if b is None else b[3],
                t("order {order}: document {seq} ({kind}) is in their file only")
                if a is None
                else t("order {order}: document {seq} ({kind}) is in our book only"),
                order=ours.uid,
                seq=seq,
                kind=Term((a or b or ("",) * 3)[2]),
            )
            continue
        yield _differ(
            ours.uid,
            "document",
            f"document {seq}",
            a[3],
            b[3],
            t(
                "order {order}: document {seq} differs ({kind} {hash}... here, {their_kind} "
                "{their_hash}... in their file)"
            ),
            order=ours.uid,
            seq=seq,
            kind=Term(a[2]),
            hash=a[3][:12],
            their_kind=Term(b[2]),
            their_hash=b[3][:12],
        )


def compare(ours: BookOrder, theirs: BookOrder) -> list[Difference]:
    """Every difference between two records of the same order (none when they are equal)."""
    if ours == theirs:
        return []
    uid = ours.uid
    found: list[Difference] = []
    for name in HEADER_FIELDS:
        x, y = getattr(ours, name), getattr(theirs, name)
        if x != y:
            found.append(
                _differ(
                    uid,
                    "state",
                    name,
                    x,
                    y,
                    t("order {order}: {name} {ours} here, {theirs} in their file"),
                    order=uid,
                    name=name,
                    ours=Term(x) if name == "status" else x,
                    theirs=Term(y) if name == "status" else y,
                )
            )
    if ours.currency != theirs.currency:
        found.append(
            _differ(
                uid,
                "currency",
                "currency",
                ours.currency,
                theirs.currency,
                t("order {order}: currency {ours} here, {theirs} in their file"),
                order=uid,
                ours=ours.currency,
                theirs=theirs.currency,
            )
        )
    for name in AMOUNTS:
        x, y = getattr(ours, name), getattr(theirs, name)
        if x != y:
            found.append(
                _differ(
                    uid,
                    "amount",
                    name,
                    str(x),
                    str(y),
                    t(
                        "order {order}: {name} {ours} {currency} here, {theirs} {their_currency} "
                        "in their file"
                    ),
                    order=uid,
                    name=Term(name),
                    ours=x,
                    currency=ours.currency,
                    theirs=y,
                    their_currency=theirs.currency,
                )
            )
    if ours.lines != theirs.lines:
        found.extend(_lines(ours, theirs))
    if ours.documents != theirs.documents:
        found.extend(_documents(ours, theirs))
        broken = chain_break(theirs)
        if broken is not None:
            found.append(broken)
    return found


class OutOfOrderError(ValueError):
    """A book's orders are not in strictly ascending ``uid`` order: the one at ``index`` (from
    0) comes after ``previous`` (equal to it: the order is there twice)."""

    def __init__(self, side: str, index: int, uid: str, previous: str) -> None:
        super().__init__(f"{side}: order {index} ({uid}) comes after {previous}")
        self.side = side
        self.index = index
        self.uid = uid
        self.previous = previous

    @property
    def twice(self) -> bool:
        return self.uid == self.previous


def ascending(orders: Iterable[BookOrder], side: str, start: int = 0) -> Iterator[BookOrder]:
    """``orders`` as they come, checked to be in strictly ascending ``uid`` order
    (:class:`OutOfOrderError` at the first that is not; places counted from ``start``)."""
    previous: str | None = None
    for index, order in enumerate(orders, start):
        uid = order.uid
        if previous is not None and uid <= previous:
            raise OutOfOrderError(side, index, uid, previous)
        previous = uid
        yield order


def reconcile_sorted(
    ours: Iterable[BookOrder],
    theirs: Iterable[BookOrder],
    nation: str = "",
    partner: str = "",
) -> Report:
    """Our book against the partner's, both given in ascending ``uid`` order (else
    :class:`OutOfOrderError`, side ``ours`` or ``theirs``), merge-joined order by order: one
    order a side is held at a time (see the module's docstring)."""
    mine, other = iter(ours), iter(theirs)
    matched = 0
    differences: list[Difference] = []
    numbers: dict[str, tuple[int | None, int | None]] = {}
    a, b = next(mine, None), next(other, None)
    i = j = 0  # the places of a and b in their books
    # The loop is written out (no helper per order): it runs once per order of both books.
    while a is not None and b is not None:
        ua, ub = a.uid, b.uid
        if ua <= ub:
            if ua == ub:
                matched += 1 if a == b or _pair(a, b, differences, numbers) else 0
                b, j = next(other, None), j + 1
                if b is not None and b.uid <= ub:
                    raise OutOfOrderError("theirs", j, b.uid, ub)
            else:
                _only_ours(a, differences, numbers)
            a, i = next(mine, None), i + 1
            if a is not None and a.uid <= ua:
                raise OutOfOrderError("ours", i, a.uid, ua)
        else:
            _only_theirs(b, differences, numbers)
            b, j = next(other, None), j + 1
            if b is not None and b.uid <= ub:
                raise OutOfOrderError("theirs", j, b.uid, ub)
    if a is not None:
        for order in ascending(itertools.chain([a], mine), "ours", i):
            _only_ours(order, differences, numbers)
    for order in () if b is None else ascending(itertools.chain([b], other), "theirs", j):
        _only_theirs(order, differences, numbers)
    return Report(matched, _as_people_read(differences, numbers), nation, partner, numbers)


def _pair(
    a: BookOrder,
    b: BookOrder,
    found: list[Difference],
    numbers: dict[str, tuple[int | None, int | None]],
) -> bool:
    """True if the two records of one order match; else their differences added to
    ``found``."""
    differences = compare(a, b)
    if differences:
        found.extend(differences)
        numbers[a.uid] = (a.number, b.number)
    return not differences


def _only_ours(
    order: BookOrder, found: list[Difference], numbers: dict[str, tuple[int | None, int | None]]
) -> None:
    found.append(_missing(order, "missing_there"))
    numbers[order.uid] = (order.number, None)


def _only_theirs(
    order: BookOrder, found: list[Difference], numbers: dict[str, tuple[int | None, int | None]]
) -> None:
    found.append(_missing(order, "missing_here"))
    numbers[order.uid] = (None, order.number)
    broken = chain_break(order)
    if broken is not None:
        found.append(broken)


def _as_people_read(
    found: list[Difference], numbers: Mapping[str, tuple[int | None, int | None]]
) -> list[Difference]:
    """``found`` (in uid order): the orders of our book first, by their number here, then the
    orders only in their file, by their number there; uid order where no number is given.
    Stable, so an order's own differences keep the order :func:`compare` found them in."""
    theirs_only = {d.order for d in found if d.kind == "missing_here"}

    def place(difference: Difference) -> tuple[int, int]:
        here, there = numbers.get(difference.order or "", (None, None))
        if difference.order in theirs_only:
            return (1, -1 if there is None else there)
        return (0, -1 if here is None else here)

    return sorted(found, key=place)


def reconcile(ours: Book, theirs: Book) -> Report:
    """Our book against the partner's, both held in memory: sorted by ``uid`` and merge-joined
    by :func:`reconcile_sorted` (a ``uid`` twice in a book is :class:`OutOfOrderError`)."""

    def by_uid(order: BookOrder) -> str:
        return order.uid

    return reconcile_sorted(
        sorted(ours.orders, key=by_uid),
        sorted(theirs.orders, key=by_uid),
        ours.nation,
        ours.partner,
    )


def order_label(report: Report, uid: str) -> str:
    """The order as a person finds it: its uid, then its number in our book and in theirs
    (``... (#12 / #7)``; a dash where a book does not hold it or does not give its number)."""
    here, there = report.order_numbers(uid)

    def shown(number: int | None) -> str:
        return "—" if number is None else f"#{number}"

    return f"{uid} ({shown(here)} / {shown(there)})"
