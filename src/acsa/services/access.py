"""Access, enforced in one place for the API and the web UI: the guards a unit of work runs on
every order it loads, and the nation a signed-in person's lists and reports are limited to."""

from __future__ import annotations

from acsa.domain.access import Permission, Principal, require
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.order import Order
from acsa.services.ports import OrderGuard


def order_guard(
    principal: Principal, permission: Permission, expected_version: int | None = None
) -> OrderGuard:
    """Refuse an order ``principal`` may not see (as not found) or not act on (FORBIDDEN), and,
    given ``expected_version`` (If-Match), one that changed since it was read."""

    def check(order: Order) -> None:
        not_found = Violation(
            Code.ORDER_NOT_FOUND, "id", "no order {order}", params={"order": order.id}
        )
        require(principal, permission, order.requester, order.supplier, not_found)
        if expected_version is not None and order.version != expected_version:
            raise AcsaError.single(
                Code.CONCURRENT_UPDATE,
                "If-Match",
                "order {order} is at version {version}, not {expected}: it changed since you "
                "read it; read it again and retry",
                order=order.id,
                version=order.version,
                expected=expected_version,
            )

    return check


def scope(principal: Principal | None) -> str | None:
    """The nation whose rows a person may list (None: the local operator, who sees all)."""
    return principal.nation if principal is not None else None
