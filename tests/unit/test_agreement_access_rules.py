"""The pure rules of who sees and changes agreements (domain/access.py), every principal kind
against an agreement of their nation and one of others."""

from __future__ import annotations

import pytest

from acsa.domain.access import (
    ForbiddenError,
    Principal,
    Role,
    may_change_agreement,
    require_registry_change,
    require_role_grant,
    sees_agreement,
)
from acsa.domain.errors import Code, NotFoundError, Violation

THEIRS = ("JPN", "ITA")
OURS = ("JPN", "AUS")
NOT_FOUND = Violation(Code.AGREEMENT_NOT_FOUND, "agreement", "no agreement 'X'")


def person(*roles: Role, nation: str = "AUS") -> Principal:
    return Principal(f"{nation}-someone", nation, frozenset(roles))


ADMIN = person(Role.ADMIN)
VIEWER = person(Role.VIEWER)
KEEPER = person(Role.REGISTRY_KEEPER, nation="NOR")
INSTALLATION = person(Role.ADMIN, Role.REGISTRY_KEEPER, nation="NOR")


@pytest.mark.parametrize(
    ("who", "ours", "theirs"),
    [
        (ADMIN, (True, True), (False, False)),
        (VIEWER, (True, False), (False, False)),
        (person(*Role, nation="AUS"), (True, True), (True, True)),
        (KEEPER, (True, True), (True, True)),
        (None, (True, True), (True, True)),  # the installation's operator
    ],
)
def test_who_sees_and_changes_an_agreement(
    who: Principal | None, ours: tuple[bool, bool], theirs: tuple[bool, bool]
) -> None:
    assert (sees_agreement(who, OURS), may_change_agreement(who, OURS)) == ours
    assert (sees_agreement(who, THEIRS), may_change_agreement(who, THEIRS)) == theirs


def test_a_change_of_another_nations_agreement_is_not_found_if_it_exists_else_forbidden() -> None:
    with pytest.raises(NotFoundError) as hidden:
        require_registry_change(ADMIN, THEIRS, NOT_FOUND)
    assert list(hidden.value.violations) == [NOT_FOUND]
    with pytest.raises(ForbiddenError) as new:
        require_registry_change(ADMIN, THEIRS)
    assert new.value.violations[0].code is Code.FORBIDDEN
    assert "ITA" in new.value.violations[0].message  # only what the caller sent
    with pytest.raises(ForbiddenError):
        require_registry_change(VIEWER, OURS, NOT_FOUND)
    require_registry_change(ADMIN, OURS, NOT_FOUND)
    require_registry_change(KEEPER, THEIRS, NOT_FOUND)


def test_only_an_installation_admin_grants_takes_or_touches_the_keeper_role() -> None:
    keeper, viewer = frozenset({Role.REGISTRY_KEEPER}), frozenset({Role.VIEWER})
    for who in (ADMIN, KEEPER, person(*[r for r in Role if r is not Role.REGISTRY_KEEPER])):
        for before, after in ((viewer, keeper), (keeper, viewer), (keeper, keeper)):
            with pytest.raises(ForbiddenError):
                require_role_grant(who, before, after)
        require_role_grant(who, viewer, frozenset({Role.ADMIN}))
    for operator in (INSTALLATION, None):
        require_role_grant(operator, viewer, keeper)
        require_role_grant(operator, keeper, viewer)
