"""Who a user is on a signed form: full name, rank or grade, position and unit.

The order form prints them beside each signature (ACSA.md, "The order form"); a field not
given falls back to the user's sign-in name there. Pure: the bounds are checked here, for the
CLI, the API and the page alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from acsa.domain.errors import AcsaError, Violation
from acsa.domain.limits import (
    POSITION_CHARS_MAX,
    PROFILE_NAME_CHARS_MAX,
    RANK_CHARS_MAX,
    UNIT_NAME_CHARS_MAX,
    text_violation,
)

#: The profile's fields and the most characters each may hold.
PROFILE_FIELDS: dict[str, int] = {
    "full_name": PROFILE_NAME_CHARS_MAX,
    "rank": RANK_CHARS_MAX,
    "position": POSITION_CHARS_MAX,
    "unit": UNIT_NAME_CHARS_MAX,
}


@dataclass(frozen=True, slots=True)
class Profile:
    """A user's profile; None where not given."""

    full_name: str | None = None
    rank: str | None = None
    position: str | None = None
    unit: str | None = None


def profile_changes(given: Mapping[str, str | None]) -> dict[str, str | None]:
    """The profile fields ``given`` changes, checked: each one line within its bound
    (INVALID_FIELD naming the field otherwise), spaces around it dropped; an empty text clears
    the field (None). A field not in ``given`` (or given as None) is left as it is."""
    changes: dict[str, str | None] = {}
    found: list[Violation] = []
    for field, bound in PROFILE_FIELDS.items():
        value = given.get(field)
        if value is None:
            continue
        text = value.strip()
        violation = text_violation(field, text, multiline=False, bound=bound)
        if violation is not None:
            found.append(violation)
            continue
        changes[field] = text or None
    if found:
        raise AcsaError(found)
    return changes


def signer_name(profile: Profile, login: str) -> str:
    """The name printed for a signature: the full name, else the sign-in name."""
    return profile.full_name or login
