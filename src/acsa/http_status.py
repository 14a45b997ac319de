"""The HTTP status of each kind of refusal, for both HTTP edges (the API's problem+json and
the pages): 400 a request that cannot be read, 401 no valid credentials, 403 a visible thing not
yours to do, 404 nothing there (or nothing you may see), 409 a conflict with the current state,
428 a precondition required, 422 a well-formed request the rules refuse, 503 the database
cannot be used."""

from __future__ import annotations

from acsa.domain.access import ForbiddenError, UnauthenticatedError
from acsa.domain.errors import AcsaError, Code, NotFoundError

CONFLICTS = frozenset(
    {
        Code.CONCURRENT_UPDATE,
        Code.INVALID_TRANSITION,
        Code.IDEMPOTENCY_KEY_REUSED,
        Code.AGREEMENT_EXISTS,
        Code.USER_EXISTS,
        Code.NOT_SETTLED,
        Code.NOTHING_TO_INVOICE,
        Code.NOTHING_TO_DELIVER,
        Code.NOTHING_TO_RECEIVE,
        Code.NOTHING_OWED_IN_KIND,
        # What the order's account no longer allows: a racing request that lost sees these.
        Code.OVERPAYMENT,
        Code.EXCHANGE_EXCEEDS_OWED,
        Code.REPLACEMENT_EXCEEDS_OWED,
        # A correction the invoice or payment no longer allows (a racing one won).
        Code.INVOICE_VOIDED,
        Code.INVOICE_HAS_PAYMENTS,
        Code.PAYMENT_REVERSED,
        Code.CREDIT_EXCEEDS_UNPAID,
        # A dispute answered already (a racing answer won), or one of the step still open.
        Code.DISPUTE_CLOSED,
        Code.DISPUTE_OPEN,
        Code.NODE_EXISTS,
        Code.DOCUMENT_REPLAYED,
        Code.DOCUMENT_OUT_OF_ORDER,
        Code.DOCUMENT_CHAIN_BROKEN,
        # A fact about an agreement already recorded: a second notice, a day already known.
        Code.AGREEMENT_TERMINATED,
        Code.IN_FORCE_DAY_KNOWN,
        # A draft's approvals: not yet complete, or a tier another approver took first.
        Code.APPROVAL_REQUIRED,
        Code.APPROVAL_NOT_PENDING,
        # An arrangement's reference taken, or one ended already.
        Code.ARRANGEMENT_EXISTS,
        Code.ARRANGEMENT_ENDED,
    }
)
BAD_REQUESTS = frozenset({Code.INVALID_INPUT})


def status_of(error: AcsaError) -> int:
    if isinstance(error, UnauthenticatedError):
        return 401
    if isinstance(error, ForbiddenError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    codes = {v.code for v in error.violations}
    if codes & CONFLICTS:
        return 409
    if codes & {Code.PRECONDITION_REQUIRED}:
        return 428
    if codes <= BAD_REQUESTS:
        return 400
    if codes & {Code.SERVICE_UNAVAILABLE}:
        return 503
    return 422
