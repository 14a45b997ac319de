"""Who may see and do what: roles, permissions and the per-nation rule, as pure functions.

A person acts for one nation. They see an order, an invoice or a posting only where their nation
is a party to it; everything else is answered as if it did not exist (NotFoundError), so that
its existence does not leak. Among what they see, their roles decide what they may do, and some
actions belong to one side only: the supplying nation accepts, rejects and delivers; the
requesting nation places, submits, cancels and receives.

Agreements follow the same rule: a nation sees the agreements it is party to, and one it is
not party to is answered exactly as one that does not exist. An agreement is added or amended
only by an admin of one of its two parties, or by a registry keeper: a separate, explicit role
an installation admin grants on a shared installation (see :func:`require_role_grant`), which
sees and may change every agreement. ``None`` as principal is the installation's operator (the
CLI on the installation's own database), who may do everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import Message, Term, t


class Role(StrEnum):
    VIEWER = "viewer"
    REQUESTER = "requester"
    APPROVER = "approver"
    LOGISTICS = "logistics"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"
    #: Keeps the registry of a shared installation: sees and changes every agreement. Only an
    #: installation admin grants or takes it (see require_role_grant).
    REGISTRY_KEEPER = "registry_keeper"


class Permission(StrEnum):
    VIEW = "view"
    PLACE = "place"
    SUBMIT = "submit"
    CANCEL = "cancel"
    ACCEPT = "accept"
    REJECT = "reject"
    DELIVER = "deliver"
    RECEIVE = "receive"
    INVOICE = "invoice"
    PAY = "pay"
    REPLACE = "replace"
    EXCHANGE = "exchange"
    SWEEP = "sweep"
    CLOSE = "close"
    NOTE = "note"
    DISPUTE = "dispute"
    READ_AUDIT = "read_audit"
    MANAGE_USERS = "manage_users"
    MANAGE_REGISTRY = "manage_registry"


class Side(StrEnum):
    """Which party to an order a permission is exercised for."""

    REQUESTER = "requester"
    SUPPLIER = "supplier"
    EITHER = "either"


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role]
    side: Side


def _rule(side: Side, *roles: Role) -> Rule:
    return Rule(frozenset(roles), side)


#: The whole policy. Admins manage users and their nation's agreements (registry keepers: every
#: agreement, see require_registry_change); they act on orders only through the roles they
#: also hold.
RULES: dict[Permission, Rule] = {
    Permission.VIEW: _rule(Side.EITHER, *Role),
    Permission.PLACE: _rule(Side.REQUESTER, Role.REQUESTER),
    Permission.SUBMIT: _rule(Side.REQUESTER, Role.REQUESTER),
    Permission.CANCEL: _rule(Side.REQUESTER, Role.REQUESTER),
    Permission.ACCEPT: _rule(Side.SUPPLIER, Role.APPROVER),
    Permission.REJECT: _rule(Side.SUPPLIER, Role.APPROVER),
    Permission.DELIVER: _rule(Side.SUPPLIER, Role.LOGISTICS),
    Permission.RECEIVE: _rule(Side.REQUESTER, Role.LOGISTICS),
    Permission.INVOICE: _rule(Side.SUPPLIER, Role.FINANCE),
    Permission.PAY: _rule(Side.EITHER, Role.FINANCE),
    Permission.REPLACE: _rule(Side.EITHER, Role.FINANCE, Role.LOGISTICS),
    Permission.EXCHANGE: _rule(Side.EITHER, Role.FINANCE),
    Permission.SWEEP: _rule(Side.EITHER, Role.FINANCE),
    Permission.CLOSE: _rule(Side.EITHER, Role.FINANCE),
    # A remark on an order is for those who act on orders, on either side; viewers, auditors
    # and admins (without an acting role) read the order and its notes but do not add to them.
    Permission.NOTE: _rule(
        Side.EITHER, Role.REQUESTER, Role.APPROVER, Role.LOGISTICS, Role.FINANCE
    ),
    # Either side's logistics (a receipt) or finance (an invoice, a settlement) disputes a
    # step of an order, and answers the other side's dispute.
    Permission.DISPUTE: _rule(Side.EITHER, Role.LOGISTICS, Role.FINANCE),
    Permission.READ_AUDIT: _rule(Side.EITHER, Role.AUDITOR, Role.ADMIN),
    Permission.MANAGE_USERS: _rule(Side.EITHER, Role.ADMIN),
    Permission.MANAGE_REGISTRY: _rule(Side.EITHER, Role.ADMIN, Role.REGISTRY_KEEPER),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in person (or a script with their token): name, nation and roles."""

    name: str
    nation: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    user_id: int | None = None

    def has(self, permission: Permission) -> bool:
        return bool(self.roles & RULES[permission].roles)


class ForbiddenError(AcsaError):
    """Visible to the caller, but not theirs to do."""


class UnauthenticatedError(AcsaError):
    """No valid credentials came with the request."""


def parse_roles(values: list[str] | tuple[str, ...] | str) -> frozenset[Role]:
    """Roles from names (a list, or one comma-separated string); unknown names are refused."""
    names = values.split(",") if isinstance(values, str) else list(values)
    roles: set[Role] = set()
    known = tuple(r.value for r in Role)
    for name in (n.strip() for n in names):
        try:
            roles.add(Role(name))
        except ValueError:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "role",
                "unknown role {role}; one of: {known}",
                role=repr(name),
                known=known,
            ) from None
    if not roles:
        raise AcsaError.single(
            Code.MISSING_FIELD, "role", "give at least one role: {known}", known=known
        )
    return frozenset(roles)


def either(words: Iterable[str]) -> Term | Message:
    """Words of the vocabulary as ``a or b or c`` (sorted), in the reader's language."""
    names = sorted(words)
    said: Term | Message = Term(names[0])
    for name in names[1:]:
        said = Message(t("{first} or {second}"), {"first": said, "second": Term(name)})
    return said


def held(principal: Principal) -> tuple[Term, ...] | Message:
    """The roles ``principal`` holds, for a message (``no role`` when none)."""
    roles = tuple(Term(r) for r in sorted(r.value for r in principal.roles))
    return roles or Message(t("no role"), {})


def sees(principal: Principal, parties: tuple[str, str] | list[str]) -> bool:
    """Whether ``principal``'s nation is one of ``parties``."""
    return principal.nation in parties


def require_visible(principal: Principal, parties: tuple[str, str], not_found: Violation) -> None:
    """Refuse with ``not_found`` (a 404, as if it did not exist) unless the nation is a party."""
    if not sees(principal, parties):
        raise NotFoundError([not_found])


def _side_nation(rule: Rule, requester: str, supplier: str) -> str | None:
    return {Side.REQUESTER: requester, Side.SUPPLIER: supplier}.get(rule.side)


def allowed(principal: Principal, permission: Permission, requester: str, supplier: str) -> bool:
    """Whether ``principal`` may exercise ``permission`` on an order between the two: a party,
    holding a role that grants it, on the side it belongs to."""
    if not sees(principal, (requester, supplier)):
        return False
    side = _side_nation(RULES[permission], requester, supplier)
    return principal.has(permission) and side in (None, principal.nation)


def require(
    principal: Principal,
    permission: Permission,
    requester: str,
    supplier: str,
    not_found: Violation,
) -> None:
    """Refuse unless ``principal`` may exercise ``permission`` on an order between ``requester``
    and ``supplier``: not a party -> ``not_found``; a party without the role or on the wrong
    side -> FORBIDDEN, naming the role and the side needed."""
    require_visible(principal, (requester, supplier), not_found)
    if allowed(principal, permission, requester, supplier):
        return
    rule = RULES[permission]
    params = {
        "permission": Term(permission.value),
        "roles": either(r.value for r in rule.roles),
        "name": principal.name,
        "nation": principal.nation,
        "held": held(principal),
    }
    if rule.side is Side.EITHER:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "permission",
            "{permission} needs the role {roles}; {name} ({nation}) holds {held}",
            None,
            **params,
        )
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "permission",
        "{permission} needs the role {roles} of the {side} nation ({side_nation}); {name} "
        "({nation}) holds {held}",
        None,
        side=Term(rule.side.value),
        side_nation=_side_nation(rule, requester, supplier),
        **params,
    )


def require_permission(principal: Principal, permission: Permission) -> None:
    """Refuse with FORBIDDEN unless ``principal`` holds a role that grants ``permission``."""
    if principal.has(permission):
        return
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "permission",
        "{permission} needs the role {roles}",
        permission=Term(permission.value),
        roles=either(r.value for r in RULES[permission].roles),
    )


# --- agreements ----------------------------------------------------------------------------


def keeps_registry(principal: Principal | None) -> bool:
    """Whether ``principal`` sees and may change every agreement: the installation's operator
    (None) or a registry keeper."""
    return principal is None or Role.REGISTRY_KEEPER in principal.roles


def sees_agreement(principal: Principal | None, parties: tuple[str, str] | list[str]) -> bool:
    """Whether ``principal`` may see an agreement between ``parties``: its nation is one of
    them, or it keeps the registry."""
    return keeps_registry(principal) or (principal is not None and sees(principal, parties))


def require_agreement_visible(
    principal: Principal | None, parties: tuple[str, str] | list[str], not_found: Violation
) -> None:
    """Refuse with ``not_found`` (as if it did not exist) an agreement ``principal`` may not
    see."""
    if not sees_agreement(principal, parties):
        raise NotFoundError([not_found])


def may_change_agreement(principal: Principal | None, parties: tuple[str, str] | list[str]) -> bool:
    """Whether ``principal`` may add or amend an agreement between ``parties``: an admin of one
    of them, or one who keeps the registry."""
    if keeps_registry(principal):
        return True
    assert principal is not None
    return Role.ADMIN in principal.roles and sees(principal, parties)


def require_registry_change(
    principal: Principal | None,
    parties: tuple[str, str] | list[str],
    not_found: Violation | None = None,
) -> None:
    """Refuse a change of an agreement between ``parties`` unless ``principal`` may make it.
    With ``not_found`` (the agreement exists), one ``principal`` may not see is answered as
    not found; otherwise (a new agreement, whose parties the caller gave) FORBIDDEN, naming
    only those parties."""
    if not_found is not None:
        require_agreement_visible(principal, parties, not_found)
    if may_change_agreement(principal, parties):
        return
    assert principal is not None
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "parties",
        "an agreement between {first} and {second} is added or amended by an admin of {first} "
        "and {second} or by a registry keeper; {name} ({nation}) holds {held}",
        first=parties[0],
        second=parties[-1],
        name=principal.name,
        nation=principal.nation,
        held=held(principal),
    )


def installation_admin(principal: Principal | None) -> bool:
    """The installation's operator (None), or an admin who also keeps the registry."""
    return principal is None or {Role.ADMIN, Role.REGISTRY_KEEPER} <= principal.roles


def require_role_grant(
    principal: Principal | None, before: frozenset[Role], after: frozenset[Role]
) -> None:
    """Refuse a change of an account that holds or would hold the registry-keeper role (its
    roles, password or state) unless ``principal`` is an installation admin: a nation's admin
    may not make themselves or anyone a keeper of other nations' agreements, nor take over a
    keeper's account."""
    if Role.REGISTRY_KEEPER not in before | after or installation_admin(principal):
        return
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "roles",
        "{role} is granted, taken or its account changed only by an installation admin (the "
        "operator on the installation, or an admin who is a registry keeper)",
        role=Role.REGISTRY_KEEPER.value,
    )
