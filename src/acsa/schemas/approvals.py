"""The wire shapes of approval before commitment: a nation's tiers, an approval or return,
the approval queue with its running totals, and the answer of a bulk approval."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from acsa.domain import limits
from acsa.schemas.limits import Amount, Text


class TiersIn(BaseModel):
    """A nation's approval tiers: thresholds in one currency (none: approve nothing)."""

    model_config = ConfigDict(extra="forbid")
    thresholds: Annotated[list[Amount], Field(max_length=limits.APPROVAL_TIERS_MAX)]
    currency: Annotated[str, Text("currency")] = ""


class TierOut(BaseModel):
    tier: int
    threshold: Decimal
    currency: str


class TiersOut(BaseModel):
    nation: str
    tiers: list[TierOut]


class ApprovalOut(BaseModel):
    """One approval (kind ``approve``, of a tier) or return of a draft."""

    order_id: int
    kind: str
    tier: int | None = None
    threshold: Decimal | None = None
    currency: str | None = None
    actor: str
    name: str = ""
    rank: str = ""
    position: str = ""
    comment: str = ""
    at: datetime
    cleared_at: datetime | None = None


class QueueItem(BaseModel):
    """A draft waiting for an approver: its value, the tier it waits for, its approvals."""

    order_id: int
    version: int
    partner: str
    activity: str
    currency: str
    value: Decimal
    tier: int
    threshold: Decimal
    threshold_currency: str
    placed_by: str | None
    approvals: list[ApprovalOut]
    #: Whether the reader may approve it (an approver who is neither its placer nor an
    #: approver of an earlier tier).
    mine: bool


class QueueTotal(BaseModel):
    partner: str
    currency: str
    count: int
    total: Decimal


class QueueOut(BaseModel):
    nation: str
    items: list[QueueItem]
    totals: list[QueueTotal]


class ApprovalTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: Annotated[int, Field(ge=1, le=limits.ID_MAX)]
    #: The tier meant (its approval is refused when another approver took it first).
    tier: Annotated[int, Field(ge=1, le=limits.APPROVAL_TIERS_MAX)] | None = None


class BulkIn(BaseModel):
    """Approve or return several drafts at once, with one comment."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "return"]
    orders: Annotated[
        list[ApprovalTarget], Field(min_length=1, max_length=limits.APPROVAL_BATCH_MAX)
    ]
    comment: Annotated[str, Text("comment")] = ""


class BulkResult(BaseModel):
    order_id: int
    ok: bool
    code: str | None = None
    message: str | None = None
    approval: ApprovalOut | None = None


class BulkOut(BaseModel):
    results: list[BulkResult]


class DraftApprovalOut(BaseModel):
    """Where a draft stands with its approvals: the tiers its value is above, the tier it
    waits for (None: every one approved), its approvals, and the return that sent it back
    (not edited since)."""

    order_id: int
    tiers: list[TierOut]
    waiting: int | None
    approvals: list[ApprovalOut]
    returned: ApprovalOut | None = None
