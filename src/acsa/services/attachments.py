"""Source documents: attach a file to an order or one of its steps, list an order's files, read
one back by its hash, the per-nation setting of which steps need one, and the exceptions
report's findings of steps without theirs.

A file is examined before anything is written (``acsa.domain.attachments.examine``: its size
against ACSA_MAX_ATTACHMENT_BYTES, its type by its bytes against its name and declared type);
a partner's file must also hash to the SHA-256 its signed document names
(ATTACHMENT_HASH_MISMATCH). Its bytes are kept once per hash; each attaching is a row of its
own with who, for which nation and when, an audit record (``order.attach``) and, on a node, a
signed ``attachment`` document carrying the file to the partner.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Connection, select

from acsa.adapters.db import tables as db
from acsa.adapters.db.attachment_repository import AttachmentRepository, StoredAttachment
from acsa.commands import AttachFile, By
from acsa.domain import limits
from acsa.domain.attachments import (
    Step,
    StepKind,
    check_sha256,
    examine,
    parse_required,
    parse_step,
    sha256,
)
from acsa.domain.documents import Kind
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import message, t
from acsa.domain.money import from_minor
from acsa.domain.order import Action, Order
from acsa.schemas.findings import ExceptionOut
from acsa.schemas.messages import message_fields
from acsa.services.orders import load_order
from acsa.services.ports import SqlUnitOfWork, UnitOfWork

#: The largest file taken, in bytes (default limits.ATTACHMENT_BYTES_DEFAULT).
ENV_MAX_BYTES = "ACSA_MAX_ATTACHMENT_BYTES"
#: The audit record of a file attached to an order.
ATTACH_RECORD = "order.attach"
#: The audit record of a nation's setting of the steps that need a source document.
REQUIRED_RECORD = "attachments.required"
#: Where a nation's setting is kept (``attachments.required.AUS`` = ``receipt,invoice``).
REQUIRED_KEY = "attachments.required.{nation}"
#: The exceptions report's kind for a step without a source document its nation requires.
MISSING_SOURCE_DOCUMENT = "missing_source_document"


class AttachmentOut(BaseModel):
    """A file attached to an order: its hash (its address: /api/v1/attachments/{sha256}),
    media type, size in bytes, original name (cleaned), the step it backs (None: the order as
    a whole), who attached it, for which nation, and when."""

    order: int
    sha256: str
    type: str
    size: int
    name: str
    step: str | None
    actor: str
    nation: str | None
    at: datetime


def max_bytes(environ: dict[str, str] | None = None) -> int:
    """The largest file taken: ACSA_MAX_ATTACHMENT_BYTES (a whole number of bytes from 1 to
    limits.ATTACHMENT_BYTES_CEILING), else limits.ATTACHMENT_BYTES_DEFAULT."""
    raw = (os.environ if environ is None else environ).get(ENV_MAX_BYTES, "").strip()
    if not raw:
        return limits.ATTACHMENT_BYTES_DEFAULT
    if (
        not raw.isascii()
        or not raw.isdigit()
        or not 1 <= int(raw) <= limits.ATTACHMENT_BYTES_CEILING
    ):
        raise AcsaError.single(
            Code.INVALID_INPUT,
            ENV_MAX_BYTES,
            "{name}={value}: give a whole number of bytes from 1 to {ceiling}",
            name=ENV_MAX_BYTES,
            value=repr(raw[:40]),
            ceiling=limits.ATTACHMENT_BYTES_CEILING,
        )
    return int(raw)


def _repo(uow: UnitOfWork) -> AttachmentRepository:
    return AttachmentRepository(cast(SqlUnitOfWork, uow).connection)


def _out(a: StoredAttachment) -> AttachmentOut:
    return AttachmentOut(
        order=a.order_id,
        sha256=a.sha256,
        type=a.media_type,
        size=a.size,
        name=a.name,
        step=a.step,
        actor=a.actor,
        nation=a.nation,
        at=a.at,
    )


def attach(uow: UnitOfWork, command: AttachFile, by: By) -> AttachmentOut:
    """Attach the command's file to its order (and step), or refuse it with nothing written:
    a partner's file whose bytes do not hash to its document's SHA-256
    (ATTACHMENT_HASH_MISMATCH), too large, of no type taken or not the type it says, a step
    the order does not have (ATTACHMENT_STEP_NOT_FOUND), an order holding its most files."""
    with uow:
        order = load_order(uow, command.order_id, with_history=True)
        assert order.id is not None
        actual = sha256(command.content)
        if command.sha256 is not None and command.sha256 != actual:
            raise AcsaError.single(
                Code.ATTACHMENT_HASH_MISMATCH,
                "sha256",
                "the file's bytes hash to {actual}, not to {named} as its document says; "
                "nothing was recorded",
                actual=actual,
                named=command.sha256,
            )
        examined = examine(command.name, command.media_type or None, command.content, max_bytes())
        step = parse_step("step", command.step)
        if step is not None:
            _check_step(uow, order, step)
        repo = _repo(uow)
        held = repo.count(order.id)
        if held >= limits.ATTACHMENTS_PER_ORDER_MAX:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                "file",
                "order {order} carries {count} files; at most {most} are taken",
                order=order.id,
                count=held,
                most=limits.ATTACHMENTS_PER_ORDER_MAX,
            )
        nation = uow.principal.nation if uow.principal is not None else None
        repo.put_blob(examined.sha256, command.content, by.at)
        step_pair = None if step is None else (step.kind.value, step.ref)
        attachment_id = repo.add(
            order.id,
            examined.sha256,
            examined.media_type,
            examined.size,
            examined.name,
            step_pair,
            by.at,
            by.actor,
            nation,
        )
        body: dict[str, Any] = {
            "sha256": examined.sha256,
            "type": examined.media_type,
            "size": examined.size,
            "name": examined.name,
            "step": None if step is None else str(step),
            "content": base64.b64encode(command.content).decode("ascii"),
        }
        uow.publish(order, Kind.ATTACHMENT, body, by.actor, by.at)
        after = {k: v for k, v in body.items() if k != "content"}
        after.update({"nation": nation, "at": by.at.isoformat(), "id": attachment_id})
        uow.record(ATTACH_RECORD, f"order:{order.id}", by.actor, None, after, order.id)
        uow.commit()
        return AttachmentOut(
            order=order.id,
            sha256=examined.sha256,
            type=examined.media_type,
            size=examined.size,
            name=examined.name,
            step=body["step"],
            actor=by.actor,
            nation=nation,
            at=by.at,
        )


def _step_missing(order: Order, step: Step) -> AcsaError:
    return AcsaError.single(
        Code.ATTACHMENT_STEP_NOT_FOUND,
        "step",
        "order {order} has no step {step}; nothing was saved",
        order=order.id,
        step=str(step),
    )


def _check_step(uow: UnitOfWork, order: Order, step: Step) -> None:
    """ATTACHMENT_STEP_NOT_FOUND unless ``order`` has ``step``."""
    assert order.id is not None
    if step.kind in (StepKind.DELIVERY, StepKind.RECEIPT):
        action = Action.DELIVER if step.kind is StepKind.DELIVERY else Action.RECEIVE
        if not any(e.seq == int(step.ref) and e.action is action for e in order.history):
            raise _step_missing(order, step)
        return
    refs = _refs(_connection(uow), [order.id])
    if (step.kind.value, step.ref) not in refs.get(order.id, set()):
        raise _step_missing(order, step)


def _connection(uow: UnitOfWork) -> Connection:
    return cast(SqlUnitOfWork, uow).connection


def _refs(conn: Connection, order_ids: Sequence[int]) -> dict[int, set[tuple[str, str]]]:
    """The invoice, payment and settlement steps of each order: (kind, reference)."""
    return {
        oid: {(kind, ref) for kind, ref, _day in steps}
        for oid, steps in _settlement_steps(conn, order_ids).items()
    }


def _settlement_steps(
    conn: Connection, order_ids: Sequence[int] | None
) -> dict[int, list[tuple[str, str, date]]]:
    """Each order's invoices (by number), payments and settlements in kind (numbered 1, 2...
    in the order recorded), with the day each counts from. ``None``: every order."""
    i, p, s = db.invoices.c, db.payments.c, db.settlements.c
    found: dict[int, list[tuple[str, str, date]]] = {}
    invoices = select(i.order_id, i.number, i.issued).order_by(i.id)
    payments = (
        select(i.order_id, p.paid, p.at, p.id)
        .join(db.invoices, i.id == p.invoice_id)
        .order_by(i.order_id, p.at, p.id)
    )
    settlements = select(s.order_id, s.effective, s.at, s.id).order_by(s.order_id, s.at, s.id)
    if order_ids is not None:
        ids = list(order_ids)
        invoices = invoices.where(i.order_id.in_(ids))
        payments = payments.where(i.order_id.in_(ids))
        settlements = settlements.where(s.order_id.in_(ids))
    for bill in conn.execute(invoices):
        found.setdefault(bill.order_id, []).append(("invoice", bill.number, bill.issued))
    counted: dict[tuple[str, int], int] = {}
    for paid in conn.execute(payments):
        n = counted["payment", paid.order_id] = counted.get(("payment", paid.order_id), 0) + 1
        found.setdefault(paid.order_id, []).append(("payment", str(n), paid.paid))
    for made in conn.execute(settlements):
        n = counted["settlement", made.order_id] = counted.get(("settlement", made.order_id), 0) + 1
        found.setdefault(made.order_id, []).append(("settlement", str(n), made.effective))
    return found


def attachments_of(uow: UnitOfWork, order_id: int) -> list[AttachmentOut]:
    """The files attached to order ``order_id``, oldest first (its guard decides who sees)."""
    with uow:
        order = load_order(uow, order_id)
        assert order.id is not None
        return [_out(a) for a in _repo(uow).of_order(order.id)]


def _not_found(digest: str) -> NotFoundError:
    return NotFoundError(
        [
            Violation(
                Code.ATTACHMENT_NOT_FOUND,
                "sha256",
                "no file {sha256} on an order you may see",
                params={"sha256": digest},
            )
        ]
    )


def file_of(uow: UnitOfWork, digest: str) -> tuple[AttachmentOut, bytes]:
    """The file ``digest`` names, as attached to the first order the person asking may see,
    with its bytes; ATTACHMENT_NOT_FOUND when it is on none (or not held), and
    ATTACHMENT_HASH_MISMATCH when its stored bytes no longer hash to it."""
    check_sha256("sha256", digest)
    with uow:
        repo = _repo(uow)
        for attached in repo.with_hash(digest):
            order = uow.orders.get(attached.order_id, with_history=False)
            if order is None:
                continue
            try:
                uow.check(order)
            except AcsaError:
                continue
            content = repo.blob(digest)
            if content is None:
                break
            if sha256(content) != digest:  # changed in the database behind acsa's back
                raise AcsaError.single(
                    Code.ATTACHMENT_HASH_MISMATCH,
                    "sha256",
                    "the stored bytes of file {sha256} no longer hash to it (changed outside "
                    "acsa); it is not served",
                    sha256=digest,
                )
            return _out(attached), content
    raise _not_found(digest)


# --- which steps need a source document -----------------------------------------------------------


def required_steps(uow: UnitOfWork, nation: str) -> list[str]:
    """The steps ``nation`` requires a source document for (none unless set)."""
    with uow:
        raw = uow.settings.get(REQUIRED_KEY.format(nation=nation)) or ""
    return sorted(k.value for k in parse_required("required", raw))


def set_required_steps(uow: UnitOfWork, nation: str, steps: Sequence[str], actor: str) -> list[str]:
    """Set the steps ``nation`` requires a source document for (an empty list: none)."""
    if not (len(nation) == 3 and nation.isascii() and nation.isalpha() and nation.isupper()):
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "nation",
            "nation {nation}: give a nation's three-letter code",
            nation=repr(nation[:40]),
        )
    wanted = parse_required("steps", ",".join(steps))
    value = ",".join(k.value for k in StepKind if k in wanted)
    with uow:
        key = REQUIRED_KEY.format(nation=nation)
        before = uow.settings.get(key) or ""
        uow.settings.set(key, value)
        uow.record(
            REQUIRED_RECORD,
            f"nation:{nation}",
            actor,
            {"steps": before.split(",") if before else []},
            {"steps": value.split(",") if value else []},
        )
        uow.commit()
    return sorted(k.value for k in wanted)


def _requirements(conn: Connection) -> dict[str, frozenset[StepKind]]:
    st = db.settings.c
    prefix = REQUIRED_KEY.format(nation="")
    rows = conn.execute(select(st.key, st.value).where(st.key.like(prefix + "%")))
    found = {}
    for row in rows:
        steps = parse_required("required", row.value or "")
        if steps:
            found[row.key.removeprefix(prefix)] = steps
    return found


def missing_documents(
    conn: Connection, day: date, as_of: date | None, nation: str | None
) -> list[ExceptionOut]:
    """The exceptions report's steps without a source document their nation requires: a
    delivery, receipt, invoice, payment or settlement in kind of an order whose requester or
    supplier (only ``nation``, when given) requires one for that kind of step, with no file
    attached to that step. None when no nation requires any (the default)."""
    rules = _requirements(conn)
    if nation is not None:
        rules = {n: r for n, r in rules.items() if n == nation}
    if not rules:
        return []
    o = db.orders.c
    nations = list(rules)
    query = select(o.id, o.requester, o.supplier, o.currency, o.total_minor).where(
        (o.requester.in_(nations)) | (o.supplier.in_(nations))
    )
    heads = {r.id: r for r in conn.execute(query)}
    steps = _steps(conn, heads)
    attached = AttachmentRepository(conn).steps_of(sorted(heads))
    found: list[ExceptionOut] = []
    for oid in sorted(heads):
        head = heads[oid]
        for kind, ref, since in steps.get(oid, []):
            asking = [
                n for n in (head.requester, head.supplier) if StepKind(kind) in rules.get(n, ())
            ]
            dated = as_of is None or since <= as_of
            if asking and dated and (kind, ref) not in attached.get(oid, set()):
                found.append(_missing(head, kind, ref, since, asking, day))
    return found


def _steps(conn: Connection, heads: dict[int, Any]) -> dict[int, list[tuple[str, str, date]]]:
    """Each order's steps that may need a source document: (kind, reference, day)."""
    e = db.order_events.c
    steps: dict[int, list[tuple[str, str, date]]] = {}
    if not heads:
        return steps
    events = select(e.order_id, e.seq, e.action, e.at).where(
        e.action.in_([Action.DELIVER.value, Action.RECEIVE.value])
    )
    for row in conn.execute(events.order_by(e.order_id, e.seq)):
        if row.order_id in heads:
            kind = "delivery" if row.action == Action.DELIVER.value else "receipt"
            steps.setdefault(row.order_id, []).append((kind, str(row.seq), row.at.date()))
    for oid, more in _settlement_steps(conn, None).items():
        if oid in heads:
            steps.setdefault(oid, []).extend(more)
    return steps


def _missing(
    head: Any, kind: str, ref: str, since: date, asking: list[str], day: date
) -> ExceptionOut:
    said = message(
        t("order {order}: {step} has no source document, which {nations} requires"),
        order=head.id,
        step=f"{kind}:{ref}",
        nations=", ".join(asking),
    )
    return ExceptionOut(
        kind=MISSING_SOURCE_DOCUMENT,
        order=head.id,
        supplier=head.supplier,
        requester=head.requester,
        nations=[head.supplier, head.requester],
        since=since,
        age_days=(day - since).days,
        value=from_minor(head.total_minor, head.currency),
        currency=head.currency,
        document=f"{kind}:{ref}",
        fields=[kind],
        **message_fields(said),
    )
