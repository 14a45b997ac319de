"""Creating and describing a database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from acsa.adapters.db.migrate import current_revision, head_revision
from acsa.domain.errors import AcsaError, Code

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class InitReport:
    revision_before: str | None
    revision: str | None
    agreements_added: int
    versions_added: int
    #: Shipped versions this release corrects, rewritten (in the audit log as
    #: registry.correct), and agreements left as they are because people amended them.
    versions_corrected: int = 0
    kept_as_amended: tuple[str, ...] = ()


def init_database(engine: Engine) -> InitReport:
    """Create or migrate the schema and load the shipped registry. Idempotent."""
    # Loaded here, not with the module: every command checks the schema (below), few set it up.
    from acsa.adapters.db.migrate import upgrade
    from acsa.adapters.db.unit_of_work import UnitOfWork
    from acsa.services.agreements import load_registry
    from acsa.services.audit import ROW_DIGESTS_REVISION, baseline_rows

    before = current_revision(engine)
    upgrade(engine)
    if before is not None and before < ROW_DIGESTS_REVISION:
        # The rows written before the audit log recorded them: vouched for as they stand.
        baseline_rows(UnitOfWork(engine), "acsa init")
    loaded = load_registry(UnitOfWork(engine))
    return InitReport(
        before,
        current_revision(engine),
        loaded.agreements,
        loaded.versions,
        loaded.corrected,
        loaded.kept,
    )


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that `acsa init` has not brought up to date."""
    have, want = current_revision(engine), head_revision()
    if have != want:
        if have is None:
            raise AcsaError.single(
                Code.INVALID_INPUT, "db", "the database has no acsa schema; run `acsa init` first"
            )
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "db",
            "the database is at schema {have}, not {want}; run `acsa init` first",
            have=have,
            want=want,
        )
