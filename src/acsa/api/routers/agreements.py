"""/api/v1/agreements: the registry your nation is party to; its admins add and amend those
agreements and record what they learn of them (the day a text entered into force, a notice of
termination: commands, whose routes api/routers/commands.py makes from the command table); a
registry keeper sees and changes them all. Who sees and changes what is decided by the service
(services/agreements.py) for the API, the web pages and the CLI alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.clock import today
from acsa.schemas.limits import Day
from acsa.schemas.orders import AgreementOut, agreement_out
from acsa.services import agreements as service

router = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])

#: Any id up to 64 characters (an unknown one answers 404); control characters, which no id
#: holds and PostgreSQL refuses in text, are a request that cannot be read.
AgreementId = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]{1,64}$")]
AsOf = Annotated[
    Day | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="Status and text on this day (default: today)."),
]


@router.get("", response_model=list[AgreementOut], responses=problem_responses(400, 401, 422))
def list_agreements(
    ctx: CtxDep,
    as_of: Annotated[
        Day | None,
        Query(
            ge=FIRST_DAY,
            le=LAST_DAY,
            description="Agreements signed by this day, with their status then.",
        ),
    ] = None,
    party: Annotated[
        str | None,
        Query(pattern=r"^[^\x00-\x1f\x7f]{3}$", description="Only those of this party."),
    ] = None,
) -> list[AgreementOut]:
    """Agreements your nation is party to (a registry keeper: every agreement), with their
    status today or on ``as_of``; ``party`` keeps those with that nation."""
    found = service.list_agreements(ctx.reader(), party, as_of)
    on = as_of or today()
    return [agreement_out(a, on) for a in found]


@router.get(
    "/{agreement_id}", response_model=AgreementOut, responses=problem_responses(400, 401, 404)
)
def show_agreement(ctx: CtxDep, agreement_id: AgreementId, as_of: AsOf = None) -> AgreementOut:
    """One agreement: dates, status, scope, settlement terms, versions and sources; the text
    governing ``as_of``. An agreement your nation is not party to answers 404 exactly as one
    that does not exist (a registry keeper sees all)."""
    agreement = service.get_agreement(ctx.reader(), agreement_id)
    return agreement_out(agreement, as_of or today())
