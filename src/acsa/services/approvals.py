"""Approval before commitment: a nation's tiers; approving and returning its drafts (each
holding the order for its transaction, as every order action does); the approval queue; and
the rule ``submit`` meets (``before_submit``), pure in ``acsa.domain.approvals``.

A nation with no tiers recorded approves nothing: its drafts submit as they always did. Once
it records tiers, its drafts stay on its own node until submitted: the partner's node is sent
the order's document and its submission together, the submission naming who approved it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from acsa.clock import utc_now
from acsa.domain import limits
from acsa.domain.access import ForbiddenError, Principal, Role, parse_roles
from acsa.domain.approvals import (
    Approval,
    Approver,
    Tier,
    approval_violation,
    approver_violation,
    check_comment,
    parse_tiers,
    pending,
    refuse,
    required,
    required_violation,
    returned,
    tiers_from_setting,
    tiers_key,
    tiers_setting,
)
from acsa.domain.documents import Kind, order_body
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.money import Money
from acsa.domain.order import Action, Order, OrderStatus
from acsa.schemas.approvals import (
    ApprovalOut,
    BulkOut,
    BulkResult,
    DraftApprovalOut,
    QueueItem,
    QueueOut,
    QueueTotal,
    TierOut,
    TiersOut,
)
from acsa.services.ports import UnitOfWork

if TYPE_CHECKING:
    from acsa.commands import By


# --- tiers ------------------------------------------------------------------------------------


def tiers_in(uow: UnitOfWork, nation: str) -> list[Tier]:
    """``nation``'s tiers, inside an open unit of work (none: it approves nothing)."""
    return tiers_from_setting(uow.settings.get(tiers_key(nation)))


def _tiers_out(nation: str, tiers: Sequence[Tier]) -> TiersOut:
    return TiersOut(
        nation=nation,
        tiers=[
            TierOut(tier=t.number, threshold=t.threshold.amount, currency=t.threshold.currency)
            for t in tiers
        ],
    )


def get_tiers(uow: UnitOfWork, nation: str) -> TiersOut:
    """``nation``'s approval tiers (read by the people of that nation, or the operator)."""
    from acsa.services.rates import nation_code

    code = nation_code(nation)
    principal = uow.principal
    if principal is not None and principal.nation != code:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            "the approval tiers of {nation} are read by the people of {nation}",
            nation=code,
        )
    with uow:
        return _tiers_out(code, tiers_in(uow, code))


def set_tiers(
    uow: UnitOfWork,
    nation: str,
    thresholds: Sequence[object],
    currency: str,
    actor: str = "operator",
) -> TiersOut:
    """Set ``nation``'s approval tiers (the operator, or an admin of that nation; audited):
    a draft worth more than a threshold (converted into its currency at the nation's rate
    rule) needs one approver per tier it is above. No thresholds: the nation approves
    nothing."""
    from acsa.services.rates import nation_code

    code = nation_code(nation)
    who = limits.check_text("actor", actor)
    principal = uow.principal
    if principal is not None and not (Role.ADMIN in principal.roles and principal.nation == code):
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            "the approval tiers of {nation} are set by an admin of {nation}",
            nation=code,
        )
    tiers = parse_tiers(list(thresholds), currency)
    with uow:
        before = tiers_in(uow, code)
        key = tiers_key(code)
        if tiers or uow.settings.get(key) is not None:
            uow.settings.set(key, tiers_setting(tiers))
        uow.record(
            "approval.tiers",
            f"nation:{code}",
            who,
            {"tiers": _tiers_out(code, before).model_dump(mode="json")["tiers"]},
            {"tiers": _tiers_out(code, tiers).model_dump(mode="json")["tiers"]},
        )
        uow.commit()
    return _tiers_out(code, tiers)


# --- what a draft needs -----------------------------------------------------------------------


def _converter(uow: UnitOfWork, nation: str) -> Callable[[Money, str, date], Money]:
    from acsa.services.rates import Converter

    rates = Converter.open(uow)

    def convert(money: Money, currency: str, day: date) -> Money:
        return rates.convert(nation, money, currency, day, field="tiers").amount

    return convert


def _above(
    convert: Callable[[Money, str, date], Money], tiers: Sequence[Tier], order: Order
) -> list[Tier]:
    """The tiers ``order``'s value is above, converted at its requester's rate rule on its
    order date (so that what was approved is what is submitted, whatever the day)."""
    return required(tiers, order.total, lambda m, c: convert(m, c, order.order_date))


def needed(uow: UnitOfWork, order: Order) -> list[Tier]:
    """The tiers ``order``'s value is above (its requester's tiers)."""
    tiers = tiers_in(uow, order.requester)
    if not tiers:
        return []
    return _above(_converter(uow, order.requester), tiers, order)


def _placer(uow: UnitOfWork, order: Order) -> str | None:
    assert order.id is not None
    found = uow.orders.last_events([order.id], [Action.CREATE])
    event = found.get(order.id)
    return None if event is None else event.actor


def before_submit(uow: UnitOfWork, order: Order, approvals: object) -> list[dict[str, str]]:
    """What a submission of ``order`` records of its approvals, inside the submit's unit of
    work: a partner's submission (``approvals`` as its document names them) as it came; a
    local one is refused APPROVAL_REQUIRED until every tier it is above is approved, and
    then names its approvers. A draft kept from the partner sends its order document
    first."""
    if uow.incoming is not None:
        return [dict(a) for a in approvals] if isinstance(approvals, list) else []
    tiers = tiers_in(uow, order.requester)
    if not tiers:
        return []
    assert order.id is not None
    need = _above(_converter(uow, order.requester), tiers, order)
    active = uow.approvals.of_orders([order.id])
    missing = required_violation(order.id, need, active)
    if missing is not None:
        raise AcsaError([missing])
    done = {a.tier: a for a in active if a.kind == "approve"}
    return [done[t.number].document() for t in need if t.number in done]


def send_withheld(uow: UnitOfWork, order: Order, by: By) -> None:
    """Publish what the partner never received of a submitted draft kept on this node (its
    nation approves drafts before commitment), before the submission's own document: the
    order's document (its terms as submitted, dated and signed as placed), then the notes
    and files attached to the draft, in the order they were made."""
    if uow.incoming is not None or order.uid is None or order.id is None:
        return
    if uow.settings.get(tiers_key(order.requester)) is None:
        return  # never kept back: its documents went as it was placed
    if uow.documents.head(order.uid) is not None:
        return
    created = uow.orders.last_events([order.id], [Action.CREATE]).get(order.id)
    placer, placed = (by.actor, by.at) if created is None else (created.actor, created.at)
    uow.publish(order, Kind.ORDER, order_body(order), placer, placed)
    for at, actor, kind, body in _kept_back(uow, order.id):
        uow.publish(order, kind, body, actor, at)


def _kept_back(uow: UnitOfWork, order_id: int) -> list[tuple[datetime, str, Kind, dict[str, Any]]]:
    """The notes and files of a draft kept on this node, as their documents carry them."""
    import base64
    from typing import cast

    from acsa.adapters.db.attachment_repository import AttachmentRepository
    from acsa.adapters.db.unit_of_work import UnitOfWork as SqlUnitOfWork

    found: list[tuple[datetime, str, Kind, dict[str, Any]]] = [
        (n.at, n.actor, Kind.NOTE, {"note": n.text}) for n in uow.orders.notes(order_id)
    ]
    files = AttachmentRepository(cast(SqlUnitOfWork, uow).connection)
    for a in files.of_order(order_id):
        content = files.blob(a.sha256) or b""
        body: dict[str, Any] = {
            "sha256": a.sha256,
            "type": a.media_type,
            "size": a.size,
            "name": a.name,
            "step": a.step,
            "content": base64.b64encode(content).decode("ascii"),
        }
        found.append((a.at, a.actor, Kind.ATTACHMENT, body))
    return sorted(found, key=lambda f: f[0])


def cleared_by_edit(uow: UnitOfWork, order: Order, at: datetime) -> int:
    """Clear a draft's approvals and return when it is edited (its terms are no longer what
    was approved)."""
    if uow.incoming is not None or order.id is None:
        return 0
    if not tiers_in(uow, order.requester):
        return 0
    return uow.approvals.clear(order.id, at)


# --- approving and returning ------------------------------------------------------------------


def _approver(uow: UnitOfWork, actor: str) -> tuple[Approver, dict[str, str]]:
    """Who acts: their nation and roles (a signed-in person's; the operator's CLI: the user
    of that name), and their profile (full name, rank, position)."""
    row = uow.accounts.user(actor)
    principal: Principal | None = uow.principal
    profile = {
        "name": str((row.full_name if row is not None else None) or actor),
        "rank": str((row.rank if row is not None else None) or ""),
        "position": str((row.position if row is not None else None) or ""),
    }
    if principal is not None:
        return Approver(actor, principal.nation, principal.roles), profile
    if row is None:
        return Approver(actor, None, frozenset()), profile
    return Approver(actor, str(row.nation), parse_roles(str(row.roles))), profile


def approval_out(found: Approval) -> ApprovalOut:
    return ApprovalOut(
        order_id=found.order_id,
        kind=found.kind,
        tier=found.tier,
        threshold=found.threshold.amount if found.threshold else None,
        currency=found.threshold.currency if found.threshold else None,
        actor=found.actor,
        name=found.name,
        rank=found.rank,
        position=found.position,
        comment=found.comment,
        at=found.at,
        cleared_at=found.cleared_at,
    )


def _draft(uow: UnitOfWork, order_id: int) -> Order:
    """The draft ``order_id``, held for the transaction (the unit of work's order hold)."""
    from acsa.services.orders import load_order

    order = load_order(uow, order_id)
    if order.status is not OrderStatus.DRAFT:
        raise AcsaError.single(
            Code.INVALID_TRANSITION,
            "status",
            "order {order} is {status}: only a draft is approved or returned",
            order=order_id,
            status=order.status.value,
        )
    return order


def approve(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    tier: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> ApprovalOut:
    """Approve the next tier of the draft ``order_id`` (``tier``: the one meant; refused
    APPROVAL_NOT_PENDING when another approver took it first): an approver of the
    requester's nation (NOT_APPROVER), not its placer (SELF_APPROVAL), not an approver of an
    earlier tier (SAME_APPROVER). Dated, attributed, audited; nothing written when refused."""
    check_comment(comment)
    who = limits.check_text("actor", actor)
    with uow:
        order = _draft(uow, order_id)
        assert order.id is not None
        person, profile = _approver(uow, who)
        refuse(approver_violation(person, order.requester, _placer(uow, order), order.id))
        need = needed(uow, order)
        active = uow.approvals.of_orders([order.id])
        bad, nxt = approval_violation(person, order.id, need, active, tier)
        refuse(bad)
        assert nxt is not None
        made = Approval(
            order_id=order.id,
            kind="approve",
            actor=who,
            at=at or utc_now(),
            tier=nxt.number,
            threshold=nxt.threshold,
            comment=comment,
            name=profile["name"],
            rank=profile["rank"],
            position=profile["position"],
        )
        uow.approvals.add(made)
        uow.record("approval.approve", f"order:{order.id}", who, None, made.as_json(), order.id)
        uow.commit()
    return approval_out(made)


def return_draft(
    uow: UnitOfWork, order_id: int, actor: str, comment: str, at: datetime | None = None
) -> ApprovalOut:
    """Return the draft ``order_id`` to its requester with a comment (an approver of its
    nation, not its placer): its approvals are cleared, it leaves the queue until edited."""
    check_comment(comment)
    who = limits.check_text("actor", actor)
    if not comment.strip():
        raise AcsaError.single(
            Code.MISSING_FIELD, "comment", "say why the draft is returned (a comment)"
        )
    with uow:
        order = _draft(uow, order_id)
        assert order.id is not None
        person, profile = _approver(uow, who)
        refuse(approver_violation(person, order.requester, _placer(uow, order), order.id))
        active = uow.approvals.of_orders([order.id])
        if returned(active) is not None or not needed(uow, order):
            # An approved draft may still be returned (until submitted); one below the tiers
            # or returned already (not edited since) may not.
            raise AcsaError.single(
                Code.APPROVAL_NOT_PENDING,
                "order",
                "order {order} waits for no approval (below its nation's tiers, or returned "
                "and not edited since)",
                order=order.id,
            )
        when = at or utc_now()
        uow.approvals.clear(order.id, when)
        made = Approval(
            order_id=order.id,
            kind="return",
            actor=who,
            at=when,
            comment=comment,
            name=profile["name"],
            rank=profile["rank"],
            position=profile["position"],
        )
        uow.approvals.add(made)
        before = {"approvals": [a.as_json() for a in active]}
        uow.record("approval.return", f"order:{order.id}", who, before, made.as_json(), order.id)
        uow.commit()
    return approval_out(made)


def act_many(
    open_uow: Callable[[], UnitOfWork],
    action: str,
    targets: Sequence[tuple[int, int | None]],
    actor: str,
    comment: str = "",
    lang: str = "en",
) -> BulkOut:
    """Approve (``action`` approve) or return several drafts with one comment, each in its
    own transaction (``open_uow`` makes one per draft): a refusal of one does not stop the
    others; each draft's outcome is reported."""
    from acsa.i18n import violation_text

    results: list[BulkResult] = []
    for order_id, tier in targets[: limits.APPROVAL_BATCH_MAX]:
        try:
            if action == "approve":
                done = approve(open_uow(), order_id, actor, tier, comment)
            else:
                done = return_draft(open_uow(), order_id, actor, comment)
        except AcsaError as error:
            first: Violation = error.violations[0]
            results.append(
                BulkResult(
                    order_id=order_id,
                    ok=False,
                    code=first.code.value,
                    message=violation_text(first, lang),
                )
            )
            continue
        results.append(BulkResult(order_id=order_id, ok=True, approval=done))
    return BulkOut(results=results)


# --- the queue and an order's approvals -------------------------------------------------------


def order_approvals(uow: UnitOfWork, order_id: int, *, all_rounds: bool = False) -> list[Approval]:
    """The approvals and return of ``order_id`` not cleared (every one: ``all_rounds``)."""
    with uow:
        return uow.approvals.of_orders([order_id], active=not all_rounds)


def queue(uow: UnitOfWork, nation: str | None = None, actor: str | None = None) -> QueueOut:
    """The drafts of ``nation`` (a signed-in person: their own) waiting for an approval, with
    running totals per partner and currency; ``mine`` says whether ``actor`` may approve
    each now."""
    from acsa.domain.order_search import order_query
    from acsa.services.rates import nation_code

    principal = uow.principal
    code = nation_code(nation) if nation else (principal.nation if principal else None)
    if code is None:
        raise AcsaError.single(
            Code.MISSING_FIELD, "nation", "{name}: give a nation (e.g. JPN)", name="nation"
        )
    if principal is not None and principal.nation != code:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            "the approval queue of {nation} is read by the people of {nation}",
            nation=code,
        )
    items: list[QueueItem] = []
    with uow:
        tiers = tiers_in(uow, code)
        if not tiers:
            return QueueOut(nation=code, items=[], totals=[])
        convert = _converter(uow, code)
        query = order_query(status=OrderStatus.DRAFT.value, limit=limits.PAGE_LIMIT_MAX)
        drafts = [
            o for o in uow.orders.matching(query, False) if o.requester == code and o.id is not None
        ]
        ids = [o.id for o in drafts if o.id is not None]
        by_order: dict[int, list[Approval]] = {}
        for a in uow.approvals.of_orders(ids):
            by_order.setdefault(a.order_id, []).append(a)
        placers = uow.orders.last_events(ids, [Action.CREATE])
        person = _approver(uow, actor)[0] if actor else None
        for order in drafts:
            assert order.id is not None
            active = by_order.get(order.id, [])
            need = _above(convert, tiers, order)
            nxt = pending(need, active)
            if nxt is None or returned(active) is not None:
                continue
            placer = placers[order.id].actor if order.id in placers else None
            mine = person is not None and (
                approver_violation(person, code, placer, order.id) is None
                and approval_violation(person, order.id, need, active, None)[0] is None
            )
            items.append(
                QueueItem(
                    order_id=order.id,
                    version=order.version,
                    partner=order.supplier,
                    activity=order.activity,
                    currency=order.currency,
                    value=order.total.amount,
                    tier=nxt.number,
                    threshold=nxt.threshold.amount,
                    threshold_currency=nxt.threshold.currency,
                    placed_by=placer,
                    approvals=[approval_out(a) for a in active],
                    mine=mine,
                )
            )
    return QueueOut(nation=code, items=items, totals=totals(items))


def totals(items: Sequence[QueueItem]) -> list[QueueTotal]:
    """The running totals of ``items`` per partner and currency."""
    sums: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for item in items:
        key = (item.partner, item.currency)
        count, total = sums.get(key, (0, Decimal(0)))
        sums[key] = (count + 1, total + item.value)
    return [
        QueueTotal(partner=p, currency=c, count=n, total=s)
        for (p, c), (n, s) in sorted(sums.items())
    ]


def submitted_approvals(order: Order) -> list[Mapping[str, str]]:
    """Who approved ``order`` before it was submitted, as its submission recorded them (on
    both nations' nodes)."""
    found = [e for e in order.history if e.action is Action.SUBMIT]
    if not found:
        return []
    given = found[-1].details.get("approvals") or []
    return [dict(a) for a in given if isinstance(a, Mapping)]


def draft_state(uow: UnitOfWork, order_id: int) -> DraftApprovalOut | None:
    """Where the draft ``order_id`` stands with its approvals (the order page's panel), or
    None: not a draft, or it needs no approval."""
    from acsa.services.orders import load_order

    with uow:
        order = load_order(uow, order_id)
        if order.status is not OrderStatus.DRAFT:
            return None
        need = needed(uow, order)
        if not need:
            return None
        active = uow.approvals.of_orders([order_id])
    nxt = pending(need, active)
    back = returned(active)
    return DraftApprovalOut(
        order_id=order_id,
        tiers=_tiers_out(order.requester, need).tiers,
        waiting=None if nxt is None else nxt.number,
        approvals=[approval_out(a) for a in active if a.kind == "approve"],
        returned=None if back is None else approval_out(back),
    )
