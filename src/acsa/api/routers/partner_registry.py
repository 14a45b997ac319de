"""/api/v1/partners/{nation}/registry: where this node's registry (agreement versions,
official rates) differs from what the partner's node sent of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.services import registry_exchange as service
from acsa.services.registry_exchange import RegistryComparisonOut

router = APIRouter(prefix="/api/v1", tags=["courier"])


@router.get(
    "/partners/{nation}/registry",
    response_model=RegistryComparisonOut,
    responses=problem_responses(401, 404, 422),
)
def registry(
    ctx: CtxDep, nation: Annotated[str, Path(pattern=r"^[A-Za-z]{3}$")]
) -> RegistryComparisonOut:
    """Every agreement version and official rate on which this node's registry and the
    partner's differ (field by field), or that one side holds alone."""
    return service.registry_comparison(ctx.engine, nation)
