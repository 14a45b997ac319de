"""The shipped registry as domain objects, for tests that need no database."""

from __future__ import annotations

from functools import cache

from acsa.adapters.registry_file import shipped_registry
from acsa.domain.agreement import Agreement
from acsa.schemas.orders import AgreementDoc, agreement_from_doc


@cache
def registry() -> dict[str, Agreement]:
    agreements = [agreement_from_doc(AgreementDoc.model_validate(d)) for d in shipped_registry()]
    return {a.id: a for a in agreements}
