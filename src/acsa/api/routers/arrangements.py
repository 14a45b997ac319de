"""/api/v1/agreements/{agreement_id}/arrangements: the implementing arrangements under an
agreement your nation is party to (a registry keeper: any). Its admins (or a registry keeper)
add one (POST, the document `acsa arrangements add --file` takes), amend one (PUT, the fields
that change) and end one (POST .../end). Who sees and changes what is decided by the service
(services/arrangements.py), for the API, the pages and the CLI alike."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from acsa.adapters.db.unit_of_work import UnitOfWork as SqlUnitOfWork
from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.agreements import AgreementId
from acsa.api.routers.commands import _body
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.api.routers.orders import RawBody
from acsa.clock import today, utc_now
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.domain.errors import AcsaError, Code
from acsa.schemas.arrangements import ArrangementOut, arrangement_out
from acsa.schemas.limits import Day
from acsa.services import arrangements as service
from acsa.services.ports import UnitOfWork

router = APIRouter(prefix="/api/v1/agreements", tags=["arrangements"])

Reference = Annotated[
    str, Path(pattern=rf"^[^\x00-\x1f\x7f]{{1,{limits.ARRANGEMENT_REF_CHARS_MAX}}}$")
]
AsOf = Annotated[
    Day | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="Status on this day (default: today)."),
]
WRITE_RESPONSES = problem_responses(400, 401, 403, 404, 409, 422, 503)


class EndIn(BaseModel):
    ended: Day


def _document(body: bytes) -> dict[str, Any]:
    data = _body(body)
    if not isinstance(data, dict):
        raise AcsaError.single(Code.INVALID_FIELD, "", "the body must be a JSON object")
    return data


@router.get(
    "/{agreement_id}/arrangements",
    response_model=list[ArrangementOut],
    responses=problem_responses(400, 401, 404),
)
def list_arrangements(
    ctx: CtxDep, agreement_id: AgreementId, as_of: AsOf = None
) -> list[ArrangementOut]:
    """The agreement's implementing arrangements, by the day they entered into force, each
    with its offices, points of contact, payment term and ceilings, and its status."""
    _agreement, found = service.list_arrangements(ctx.reader(), agreement_id)
    on = as_of or today()
    return [arrangement_out(a, on) for a in found]


@router.get(
    "/{agreement_id}/arrangements/{reference}",
    response_model=ArrangementOut,
    responses=problem_responses(400, 401, 404),
)
def show_arrangement(
    ctx: CtxDep, agreement_id: AgreementId, reference: Reference, as_of: AsOf = None
) -> ArrangementOut:
    """One arrangement (ARRANGEMENT_NOT_FOUND: none of that reference)."""
    found = service.get_arrangement(ctx.reader(), agreement_id, reference)
    return arrangement_out(found, as_of or today())


def _writer(ctx: CtxDep) -> SqlUnitOfWork:
    ctx.need(Permission.MANAGE_REGISTRY)
    return ctx.writer(Permission.MANAGE_REGISTRY, check_version=False)


@router.post(
    "/{agreement_id}/arrangements",
    status_code=201,
    response_model=ArrangementOut,
    responses=WRITE_RESPONSES,
)
def add_arrangement(ctx: CtxDep, agreement_id: AgreementId, body: RawBody) -> Response:
    """Add an arrangement (an admin of one of the agreement's parties, or a registry keeper):
    every wrong field is named at once; a reference the agreement has already is 409
    ARRANGEMENT_EXISTS."""
    doc = _document(body)
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> ArrangementOut:
        added = service.add_arrangement(uow, agreement_id, doc, actor, utc_now())
        return arrangement_out(added, today())

    return ctx.write(_writer(ctx), body, change, 201)


@router.put(
    "/{agreement_id}/arrangements/{reference}",
    response_model=ArrangementOut,
    responses=WRITE_RESPONSES,
)
def amend_arrangement(
    ctx: CtxDep, agreement_id: AgreementId, reference: Reference, body: RawBody
) -> Response:
    """Amend an arrangement: the fields given replace its own (the rest stay), checked as a
    new one is; its reference stays."""
    doc = _document(body)
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> ArrangementOut:
        after = service.amend_arrangement(uow, agreement_id, reference, doc, actor, utc_now())
        return arrangement_out(after, today())

    return ctx.write(_writer(ctx), body, change)


@router.post(
    "/{agreement_id}/arrangements/{reference}/end",
    response_model=ArrangementOut,
    responses=WRITE_RESPONSES,
)
def end_arrangement(
    ctx: CtxDep, agreement_id: AgreementId, reference: Reference, doc: EndIn, body: RawBody
) -> Response:
    """End an arrangement from ``ended`` on (409 ARRANGEMENT_ENDED: ended already); orders
    dated then are refused under it."""
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> ArrangementOut:
        after = service.end_arrangement(uow, agreement_id, reference, doc.ended, actor, utc_now())
        return arrangement_out(after, today())

    return ctx.write(_writer(ctx), body, change)
