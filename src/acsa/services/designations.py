"""Designated officials: an admin designates, lists and ends them; and the one rule every
guarded act meets (``authorise``, called by ``handlers.handle`` for the commands ``GUARDED``
names), pure in ``acsa.domain.designations``.

A nation enforces its designations once it has recorded one (its policy, a row of settings,
is written then, with the separation of duties on); before, nothing changes. A partner's
document applied from the inbox is never checked against this nation's designations: the
partner's officials are the partner's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from acsa.clock import today, utc_now
from acsa.domain import limits
from acsa.domain.access import ForbiddenError, Principal, Role
from acsa.domain.designations import (
    ROLE_WORDS,
    Act,
    DesignatedRole,
    Designation,
    Policy,
    authority_violation,
    designation,
    policy_key,
    separation_violation,
)
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.money import Money, is_known_currency
from acsa.domain.order import Action, Order
from acsa.schemas.designations import DesignationIn, DesignationOut, PolicyOut
from acsa.schemas.orders import parse_model
from acsa.services.ports import UnitOfWork

if TYPE_CHECKING:
    from acsa.commands import By, Command

#: Each guarded command's designated role. Filled on first use (the commands import late).
_GUARDED: dict[type[Any], DesignatedRole] = {}


def guarded() -> Mapping[type[Any], DesignatedRole]:
    """Which commands need a designation, and of which role: submitting an order (ordering
    official), accepting it (accepting official), receiving it (receiving official), issuing
    an invoice and recording a payment (certifying finance official)."""
    if not _GUARDED:
        from acsa import commands as c

        _GUARDED.update(
            {
                c.SubmitOrder: DesignatedRole.ORDERING,
                c.AcceptOrder: DesignatedRole.ACCEPTING,
                c.ReceiveOrder: DesignatedRole.RECEIVING,
                c.IssueInvoice: DesignatedRole.CERTIFYING,
                c.RecordPayment: DesignatedRole.CERTIFYING,
            }
        )
    return _GUARDED


def checks(uow: UnitOfWork, command: Command) -> bool:
    """Whether ``command`` meets the designation rule in ``uow``: a guarded command asked by a
    person here (never a partner's document applied from the inbox)."""
    return type(command) in guarded() and uow.incoming is None


# --- the rule, applied ------------------------------------------------------------------------


def policy_in(uow: UnitOfWork, nation: str) -> Policy:
    """``nation``'s designation policy, inside an open unit of work."""
    return Policy.from_setting(uow.settings.get(policy_key(nation)))


def _order_value(order: Order, quantities: Mapping[int, Decimal] | None = None) -> Money:
    """What ``order`` commits: each line at the ``quantities`` given, else as accepted, else
    as requested."""
    given = quantities or {}
    total = Money.zero(order.currency)
    for line in order.lines:
        if line.number in given:
            quantity = given[line.number]
        elif line.quantity_accepted is not None:
            quantity = line.quantity_accepted
        else:
            quantity = line.quantity
        total = total + Money.of_product(quantity, line.unit_price, order.currency)
    return total


def _payment_target(uow: UnitOfWork, reference: str) -> tuple[int, str] | None:
    """The order and currency of the invoice a payment names, if there is one."""
    found = uow.invoices.locate(number=reference)
    if found is None and reference.isdigit() and int(reference) < 2**31:
        found = uow.invoices.locate(invoice_id=int(reference))
    return None if found is None else (found.order_id, found.currency)


def _acting_nation(uow: UnitOfWork, order: Order, command: Command, actor: str) -> str:
    """The nation the act commits: the person's; where no one is signed in (the operator's
    CLI), the user's of that name, else the side the step belongs to (the supplier accepts
    and invoices; the requester submits, receives and pays)."""
    from acsa import commands as c

    if uow.principal is not None:
        return uow.principal.nation
    row = uow.accounts.user(actor)
    if row is not None and row.nation in (order.requester, order.supplier):
        return str(row.nation)
    if isinstance(command, c.AcceptOrder | c.IssueInvoice):
        return order.supplier
    return order.requester


def _refused_anyway(order: Order, command: Command) -> None:
    """LookupError when the command's own checks refuse it whoever asks (a step the order's
    status does not allow, a line it does not have): its own code answers it, not ours."""
    from acsa import commands as c

    step = command.spec.action
    if step is not None and not order.allows(step):
        raise LookupError(step)
    if isinstance(command, c.AcceptOrder | c.ReceiveOrder):
        for number in command.quantities or {}:
            order.line(number)


def _act(uow: UnitOfWork, command: Command, by: By) -> tuple[Order, DesignatedRole, Money, date]:
    """The order ``command`` acts on (held, with its history), the role, value and day."""
    from acsa import commands as c

    role = guarded()[type(command)]
    day = by.at.date()
    if isinstance(command, c.RecordPayment):
        target = _payment_target(uow, command.invoice)
        if target is None:
            raise LookupError(command.invoice)
        order_id, currency = target
        code = command.currency or currency
        if not is_known_currency(code):
            raise LookupError(code)
        value = Money(command.amount, code)
        day = command.paid
    else:
        assert isinstance(command, c.OrderCommand)
        order_id = command.order_id
    order = uow.orders.get(order_id, with_history=True)
    if order is None:
        raise LookupError(order_id)
    uow.check(order)
    _refused_anyway(order, command)
    if isinstance(command, c.AcceptOrder):
        value = _order_value(order, command.quantities)
    elif isinstance(command, c.IssueInvoice):
        from acsa.services.settlement import load_account

        owed = load_account(uow, order).uninvoiced
        if owed <= 0:
            raise LookupError(order.id)  # NOTHING_TO_INVOICE, whoever asks
        value = Money(owed, order.currency)
        day = command.issued or day
    elif not isinstance(command, c.RecordPayment):
        value = _order_value(order)
    return order, role, value, day


def _either_enforces(uow: UnitOfWork, command: Command) -> bool:
    """Whether a party to the order ``command`` acts on enforces designations (read without
    the order's history; an order or invoice that is not there: no)."""
    from acsa import commands as c

    if isinstance(command, c.RecordPayment):
        target = _payment_target(uow, command.invoice)
        order_id = None if target is None else target[0]
    else:
        assert isinstance(command, c.OrderCommand)
        order_id = command.order_id
    order = None if order_id is None else uow.orders.get(order_id, with_history=False)
    if order is None:
        return False
    return any(policy_in(uow, n).required for n in (order.requester, order.supplier))


def authorise(uow: UnitOfWork, command: Command, by: By) -> None:
    """Refuse ``command`` unless its person may commit their nation to it, inside the open
    unit of work ``uow`` (before the command's handler writes anything): where the acting
    nation enforces designations, a designation of the command's role current on its
    business day whose limit covers its value (NOT_DESIGNATED, AUTHORITY_EXCEEDED), and,
    where it separates duties, not the person who authorised the order for that nation
    (SEPARATION_OF_DUTIES). What the command's own checks refuse (no such order, not yours
    to see, a malformed amount) is left to them."""
    principal = uow.principal
    if principal is not None and not policy_in(uow, principal.nation).required:
        return  # a signed-in person of a nation that does not enforce: nothing to read
    if principal is None and not _either_enforces(uow, command):
        return  # the operator, on an order of two nations that enforce nothing
    try:
        order, role, value, day = _act(uow, command, by)
    except (LookupError, AcsaError, ArithmeticError):
        return  # the handler refuses it with its own code
    nation = _acting_nation(uow, order, command, by.actor)
    policy = policy_in(uow, nation)
    if not policy.required:
        return
    from acsa.services.rates import Converter

    rates = Converter.open(uow)

    def convert(money: Money, currency: str) -> Money:
        return rates.convert(nation, money, currency, day, field="limit").amount

    act = Act(by.actor, nation, role, day, value)
    found: list[Violation] = []
    held = uow.designations.of_nation(nation, by.actor)
    missing = authority_violation(held, act, convert)
    if missing is not None:
        found.append(missing)
    if policy.separates and role in (DesignatedRole.RECEIVING, DesignatedRole.CERTIFYING):
        side = "requester" if nation == order.requester else "supplier"
        split = separation_violation(order.history, by.actor, side, role)
        if split is not None:
            found.append(split)
    if found:
        raise ForbiddenError(found)


# --- managing designations --------------------------------------------------------------------


def _may_manage(principal: Principal | None, nation: str) -> None:
    """The operator, or an admin of ``nation``; FORBIDDEN otherwise."""
    if principal is None or (Role.ADMIN in principal.roles and principal.nation == nation):
        return
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "nation",
        "designations of {nation} are made and ended by an admin of {nation}",
        nation=nation,
    )


def _may_read(principal: Principal | None, nation: str) -> None:
    if principal is None or principal.nation == nation:
        return
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "nation",
        "the designations of {nation} are read by the people of {nation}",
        nation=nation,
    )


def designation_out(found: Designation, on: date | None = None) -> DesignationOut:
    assert found.id is not None
    return DesignationOut(
        id=found.id,
        nation=found.nation,
        user=found.user,
        role=found.role.value,
        role_words=ROLE_WORDS[found.role],
        limit=found.limit.amount,
        currency=found.limit.currency,
        valid_from=found.valid_from,
        valid_until=found.valid_until,
        reference=found.reference,
        reference_date=found.reference_date,
        ended_on=found.ended_on,
        ended_reason=found.ended_reason,
        current=found.current_on(on or today()),
        at=found.at,
        actor=found.actor,
    )


def _user_not_found(name: str) -> NotFoundError:
    return NotFoundError(
        [Violation(Code.USER_NOT_FOUND, "user", "no user {user}", params={"user": repr(name)})]
    )


def add_designation(uow: UnitOfWork, data: Any, actor: str = "operator") -> DesignationOut:
    """Designate a user of a nation for a role (the operator, or an admin of that nation); a
    user of another nation is answered as one that does not exist. The nation's first
    designation turns its policy on (designations enforced, duties separated)."""
    doc = parse_model(DesignationIn, data)
    who = limits.check_text("actor", actor)
    with uow:
        row = uow.accounts.user(doc.user)
        principal = uow.principal
        if row is None or (principal is not None and principal.nation != row.nation):
            raise _user_not_found(doc.user)
        nation = str(row.nation)
        _may_manage(principal, nation)
        made = designation(
            nation=nation,
            user=doc.user,
            role=doc.role,
            limit=doc.limit,
            currency=doc.currency,
            valid_from=doc.valid_from,
            valid_until=doc.valid_until,
            reference=doc.reference,
            reference_date=doc.reference_date,
        )
        at = utc_now()
        new_id = uow.designations.add(made, int(row.id), at, who)
        stored = uow.designations.get(new_id)
        assert stored is not None
        uow.record("designation.add", f"designation:{new_id}", who, None, stored.as_json())
        if uow.settings.get(policy_key(nation)) is None:
            policy = Policy(required=True, separation=True)
            uow.settings.set(policy_key(nation), policy.to_setting())
            uow.record(
                "designation.policy",
                f"nation:{nation}",
                who,
                None,
                {"required": True, "separation": True},
            )
        result = designation_out(stored)
        uow.commit()
    return result


def _designation_not_found(designation_id: int) -> NotFoundError:
    return NotFoundError(
        [
            Violation(
                Code.DESIGNATION_NOT_FOUND,
                "id",
                "no designation {id}",
                params={"id": designation_id},
            )
        ]
    )


def end_designation(
    uow: UnitOfWork,
    designation_id: int,
    on: date | None = None,
    reason: str = "",
    actor: str = "operator",
) -> DesignationOut:
    """End (revoke) a designation from ``on`` (default today): from that day its official
    may not act by it. Kept, never deleted; one ended already is refused (INVALID_TRANSITION).
    One of another nation is answered as one that does not exist."""
    who = limits.check_text("actor", actor)
    limits.check_text("reason", reason)
    day = on or today()
    limits.check_date("on", day)
    with uow:
        found = uow.designations.get(designation_id) if 0 < designation_id < 2**31 else None
        principal = uow.principal
        if found is None or (principal is not None and principal.nation != found.nation):
            raise _designation_not_found(designation_id)
        _may_manage(principal, found.nation)
        if found.ended_on is not None:
            raise AcsaError.single(
                Code.INVALID_TRANSITION,
                "id",
                "designation {id} was ended on {day}",
                id=designation_id,
                day=found.ended_on,
            )
        uow.designations.end(designation_id, day, reason, utc_now(), who)
        after = uow.designations.get(designation_id)
        assert after is not None
        uow.record(
            "designation.end",
            f"designation:{designation_id}",
            who,
            found.as_json(),
            after.as_json(),
        )
        result = designation_out(after)
        uow.commit()
    return result


def list_designations(
    uow: UnitOfWork,
    nation: str | None = None,
    user: str | None = None,
    on: date | None = None,
) -> list[DesignationOut]:
    """``nation``'s designations (a signed-in person: their own nation's), oldest first;
    ``current`` says whether each lets its official act on ``on`` (default today)."""
    from acsa.services.rates import nation_code

    principal = uow.principal
    code = nation_code(nation) if nation else (principal.nation if principal else None)
    if code is None:
        raise AcsaError.single(
            Code.MISSING_FIELD, "nation", "{name}: give a nation (e.g. JPN)", name="nation"
        )
    _may_read(principal, code)
    with uow:
        return [designation_out(d, on) for d in uow.designations.of_nation(code, user)]


def get_policy(uow: UnitOfWork, nation: str) -> PolicyOut:
    from acsa.services.rates import nation_code

    code = nation_code(nation)
    _may_read(uow.principal, code)
    with uow:
        found = policy_in(uow, code)
    return PolicyOut(nation=code, required=found.required, separation=found.separation)


def set_policy(
    uow: UnitOfWork,
    nation: str,
    required: bool | None = None,
    separation: bool | None = None,
    actor: str = "operator",
) -> PolicyOut:
    """Turn ``nation``'s enforcement of designations or its separation of duties on or off
    (the operator, or an admin of that nation; audited). Only what is given changes."""
    from acsa.services.rates import nation_code

    code = nation_code(nation)
    who = limits.check_text("actor", actor)
    _may_manage(uow.principal, code)
    with uow:
        before = policy_in(uow, code)
        after = Policy(
            before.required if required is None else required,
            before.separation if separation is None else separation,
        )
        stored = uow.settings.get(policy_key(code))
        if after != before or stored is None:
            uow.settings.set(policy_key(code), after.to_setting())
            uow.record(
                "designation.policy",
                f"nation:{code}",
                who,
                {"required": before.required, "separation": before.separation},
                {"required": after.required, "separation": after.separation},
            )
            uow.commit()
    return PolicyOut(nation=code, required=after.required, separation=after.separation)


#: The role a signed step of an order is taken in (the order form's signatures).
STEP_ROLES: Mapping[Action, DesignatedRole] = {
    Action.SUBMIT: DesignatedRole.ORDERING,
    Action.ACCEPT: DesignatedRole.ACCEPTING,
    Action.RECEIVE: DesignatedRole.RECEIVING,
    Action.CLOSE: DesignatedRole.CERTIFYING,
}


def designations_of_order(
    uow: UnitOfWork, order: Order
) -> dict[tuple[str, str], list[Designation]]:
    """The designations of the two nations of ``order``, by nation and user."""
    found: dict[tuple[str, str], list[Designation]] = {}
    with uow:
        for nation in (order.requester, order.supplier):
            for d in uow.designations.of_nation(nation):
                found.setdefault((nation, d.user), []).append(d)
    return found


def designation_fields(held: Iterable[Designation], step: Action, on: date) -> dict[str, Any]:
    """The designation a signer held for ``step`` on ``on``, as the order form's signature
    carries it (its role's words, reference and date; the one with the widest limit where
    several were current), or nothing."""
    role = STEP_ROLES.get(step)
    current = [d for d in held if d.role is role and d.current_on(on)]
    if not current:
        return {}
    widest = max(current, key=lambda d: (d.limit.currency, d.limit.amount))
    return {
        "designation_role": ROLE_WORDS[widest.role],
        "designation_reference": widest.reference,
        "designation_date": widest.reference_date,
    }
