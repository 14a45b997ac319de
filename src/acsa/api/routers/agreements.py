"""/api/v1/agreements: the registry your nation is party to; its admins add and amend those
agreements and record what they learn of them (the day a text entered into force, a notice of
termination); a registry keeper sees and changes them all. Who sees and changes what is decided
by the service (services/agreements.py) for the API, the web pages and the CLI alike."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.api.routers.orders import RawBody
from acsa.clock import today
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.schemas.limits import Day
from acsa.schemas.orders import (
    AgreementDoc,
    AgreementOut,
    AgreementVersionDoc,
    InForceDayIn,
    TerminationIn,
    agreement_out,
)
from acsa.services import agreements as service

router = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])

#: Any id up to 64 characters (an unknown one answers 404); control characters, which no id
#: holds and PostgreSQL refuses in text, are a request that cannot be read.
AgreementId = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]{1,64}$")]
AsOf = Annotated[
    Day | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="Status and text on this day (default: today)."),
]

#: Bounds the document models leave open but the database and date arithmetic do not.
MAX_LABEL = 200
MAX_DAYS = 36_500
MAX_VERSION = 2**31 - 1


def _check_version(doc: AgreementVersionDoc, where: str) -> list[Violation]:
    found: list[Violation] = []
    if len(doc.label) > MAX_LABEL:
        found.append(
            Violation(Code.INVALID_FIELD, f"{where}label", f"a label has at most {MAX_LABEL} chars")
        )
    for name in ("replacement_deadline_days", "payment_term_days"):
        if getattr(doc, name) > MAX_DAYS:
            found.append(
                Violation(Code.INVALID_FIELD, f"{where}{name}", f"{name} is at most {MAX_DAYS}")
            )
    if doc.version is not None and not 1 <= doc.version <= MAX_VERSION:
        found.append(
            Violation(Code.INVALID_FIELD, f"{where}version", f"version is from 1 to {MAX_VERSION}")
        )
    return found


def _refuse_unstorable(data: Any, versions: list[tuple[str, AgreementVersionDoc]]) -> None:
    """Refuse (422, every problem at once) what the document models let through but the
    database or the date arithmetic would choke on."""
    # NUL and other control characters, refused alike on SQLite and PostgreSQL.
    found = limits.json_text_violations(data)
    for where, version in versions:
        found.extend(_check_version(version, where))
    if found:
        raise AcsaError(found)


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


def _created(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, AgreementOut)
    return {"Location": f"{router.prefix}/{result.id}"}


@router.post(
    "",
    status_code=201,
    response_model=AgreementOut,
    responses=problem_responses(400, 401, 403, 409, 422, 503),
)
def add_agreement(ctx: CtxDep, doc: AgreementDoc, body: RawBody) -> Response:
    """Add an agreement with its versions: an admin of one of its two parties, or a registry
    keeper (403 otherwise). An id that is taken is refused (409 AGREEMENT_EXISTS), telling
    nothing of the agreement that holds it."""
    ctx.need(Permission.MANAGE_REGISTRY)
    data = doc.model_dump(mode="json", exclude_unset=True)
    _refuse_unstorable(data, [(f"versions.{i}.", v) for i, v in enumerate(doc.versions)])
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> AgreementOut:
        return agreement_out(service.add_agreement(uow, data, actor=actor), today())

    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, body, change, 201, _created)


@router.post(
    "/{agreement_id}/versions",
    status_code=201,
    response_model=AgreementOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def amend_agreement(
    ctx: CtxDep, agreement_id: AgreementId, doc: AgreementVersionDoc, body: RawBody
) -> Response:
    """Append a version (a new text or an amendment, with its own dates) to an agreement: an
    admin of one of its parties, or a registry keeper; the agreement as it now stands, today.
    One your nation is not party to answers 404 as one that does not exist, before any check
    of the version against it."""
    ctx.need(Permission.MANAGE_REGISTRY)
    data = doc.model_dump(mode="json", exclude_unset=True)
    _refuse_unstorable(data, [("", doc)])
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> AgreementOut:
        amended = service.amend_agreement(uow, agreement_id, data, actor=actor)
        return agreement_out(amended, today())

    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, body, change, 201)


@router.post(
    "/{agreement_id}/in-force-days",
    status_code=201,
    response_model=AgreementOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def record_in_force_day(
    ctx: CtxDep, agreement_id: AgreementId, doc: InForceDayIn, body: RawBody
) -> Response:
    """Record the day a version entered into force, once learnt: it must lie in the month or
    year the registry gives (422 INVALID_DATE naming that window); a version known to the day
    is not changed (409 IN_FORCE_DAY_KNOWN). The version is not edited: the day is a record of
    its own, which closes the version's uncertain window. An admin of one of its parties, or a
    registry keeper; one your nation is not party to answers 404."""
    ctx.need(Permission.MANAGE_REGISTRY)
    data = doc.model_dump(mode="json")
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> AgreementOut:
        recorded = service.record_in_force_day(uow, agreement_id, data, actor=actor)
        return agreement_out(recorded, today())

    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, body, change, 201)


@router.post(
    "/{agreement_id}/termination",
    status_code=201,
    response_model=AgreementOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def record_termination(
    ctx: CtxDep, agreement_id: AgreementId, doc: TerminationIn, body: RawBody
) -> Response:
    """Record a notice of termination: from ``effective`` the agreement has ended and orders
    dated then are refused (AGREEMENT_NOT_IN_FORCE naming the notice). ``effective`` is at
    least the text's notice (one year) after ``notice_date``, or the end of the term running
    then if notice came by its renewal-notice deadline (422 TERMINATION_NOTICE_TOO_SHORT); a
    second notice is refused (409 AGREEMENT_TERMINATED). An admin of one of its parties, or a
    registry keeper; one your nation is not party to answers 404."""
    ctx.need(Permission.MANAGE_REGISTRY)
    data = doc.model_dump(mode="json")
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> AgreementOut:
        ended = service.record_termination(uow, agreement_id, data, actor=actor)
        return agreement_out(ended, today())

    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, body, change, 201)
