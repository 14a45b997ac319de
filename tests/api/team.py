"""Just the people a test needs, with tokens (no passwords: hashing those is slow)."""

from __future__ import annotations

from collections.abc import Iterable

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users
from tests.api.server import ROLES, Person


def add_team(db_url: str, names: Iterable[str]) -> dict[str, Person]:
    """Users named ``NATION-role`` (``JPN-approver``) with that one role, or ``NATION-all``
    with every role, each with an API token; keyed by name."""
    engine = make_engine(db_url)
    people: dict[str, Person] = {}
    try:
        for name in names:
            nation, role = name.split("-", 1)
            roles = ROLES if role == "all" else (role,)
            users.add_user(
                UnitOfWork(engine),
                {"name": name, "nation": nation, "roles": list(roles)},
                actor="test",
            )
            token = users.issue_token(UnitOfWork(engine), name, actor="test").token
            people[name] = Person(name, nation, roles, token)
    finally:
        engine.dispose()
    return people
