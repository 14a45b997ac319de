"""Coded errors: every refusal is a list of violations, each with a stable code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum

from acsa.domain.messages import fill


class Code(StrEnum):
    """Stable error codes. Scripts and the API depend on these strings: never rename one."""

    AGREEMENT_NOT_IN_FORCE = "AGREEMENT_NOT_IN_FORCE"
    PARTY_NOT_IN_AGREEMENT = "PARTY_NOT_IN_AGREEMENT"
    SAME_PARTY = "SAME_PARTY"
    ACTIVITY_NOT_COVERED = "ACTIVITY_NOT_COVERED"
    CATEGORY_NOT_COVERED = "CATEGORY_NOT_COVERED"
    CATEGORY_EXCLUDED = "CATEGORY_EXCLUDED"
    SETTLEMENT_METHOD_NOT_ALLOWED = "SETTLEMENT_METHOD_NOT_ALLOWED"
    #: Cash chosen for supplies under a text that settles them by return: give the reason.
    CASH_REASON_REQUIRED = "CASH_REASON_REQUIRED"
    #: An order under "other activities" cites no mutual determination of the governments.
    DETERMINATION_REQUIRED = "DETERMINATION_REQUIRED"
    #: Warnings a person confirms (the order's ``confirm``), not refusals of a rule: the
    #: order date lies where the version's entry into force is not known to the day, or the
    #: activity is reported covered but not verified.
    IN_FORCE_DATE_UNCERTAIN = "IN_FORCE_DATE_UNCERTAIN"
    ACTIVITY_UNVERIFIED = "ACTIVITY_UNVERIFIED"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_PRICE = "INVALID_PRICE"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    MIXED_CURRENCIES = "MIXED_CURRENCIES"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    INVALID_DATE = "INVALID_DATE"
    INVALID_FIELD = "INVALID_FIELD"
    MISSING_FIELD = "MISSING_FIELD"
    UNKNOWN_PARTY = "UNKNOWN_PARTY"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    UNKNOWN_SETTLEMENT_METHOD = "UNKNOWN_SETTLEMENT_METHOD"
    UNKNOWN_LINE = "UNKNOWN_LINE"
    QUANTITY_EXCEEDS_ACCEPTED = "QUANTITY_EXCEEDS_ACCEPTED"
    QUANTITY_EXCEEDS_DELIVERED = "QUANTITY_EXCEEDS_DELIVERED"
    NOTHING_TO_RECEIVE = "NOTHING_TO_RECEIVE"
    NOTHING_TO_DELIVER = "NOTHING_TO_DELIVER"
    AGREEMENT_NOT_FOUND = "AGREEMENT_NOT_FOUND"
    AGREEMENT_EXISTS = "AGREEMENT_EXISTS"
    INVALID_AGREEMENT = "INVALID_AGREEMENT"
    # Facts recorded on an agreement (issue 14): a notice of termination that ends it sooner
    # than its text allows; a second notice; a day of entry into force already known.
    TERMINATION_NOTICE_TOO_SHORT = "TERMINATION_NOTICE_TOO_SHORT"
    AGREEMENT_TERMINATED = "AGREEMENT_TERMINATED"
    IN_FORCE_DAY_KNOWN = "IN_FORCE_DAY_KNOWN"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"
    INVALID_INPUT = "INVALID_INPUT"
    # settlement and the ledger
    INVALID_AMOUNT = "INVALID_AMOUNT"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    OVERPAYMENT = "OVERPAYMENT"
    NOTHING_TO_INVOICE = "NOTHING_TO_INVOICE"
    INVOICE_NOT_FOUND = "INVOICE_NOT_FOUND"
    REPLACEMENT_MISMATCH = "REPLACEMENT_MISMATCH"
    EXCHANGE_EXCEEDS_OWED = "EXCHANGE_EXCEEDS_OWED"
    REPLACEMENT_EXCEEDS_OWED = "REPLACEMENT_EXCEEDS_OWED"
    SETTLEMENT_METHOD_MISMATCH = "SETTLEMENT_METHOD_MISMATCH"
    NOTHING_OWED_IN_KIND = "NOTHING_OWED_IN_KIND"
    NOT_SETTLED = "NOT_SETTLED"
    CEILING_EXCEEDED = "CEILING_EXCEEDED"
    RATE_MISSING = "RATE_MISSING"
    INVALID_RATE = "INVALID_RATE"
    LEDGER_MISMATCH = "LEDGER_MISMATCH"
    # The books' money check (ledger verify) over the stored records.
    OVER_INVOICED = "OVER_INVOICED"
    OVERPAID = "OVERPAID"
    OVER_SETTLED = "OVER_SETTLED"
    CONVERSION_MISMATCH = "CONVERSION_MISMATCH"
    OWED_BELOW_ZERO = "OWED_BELOW_ZERO"
    RECORDS_UNPOSTED = "RECORDS_UNPOSTED"
    # Corrections of invoices and payments (issue 19)
    INVOICE_VOIDED = "INVOICE_VOIDED"
    INVOICE_HAS_PAYMENTS = "INVOICE_HAS_PAYMENTS"
    PAYMENT_NOT_FOUND = "PAYMENT_NOT_FOUND"
    PAYMENT_REVERSED = "PAYMENT_REVERSED"
    CREDIT_EXCEEDS_UNPAID = "CREDIT_EXCEEDS_UNPAID"
    # Disputes of receipts, invoices and settlements (issue 19)
    DISPUTE_NOT_FOUND = "DISPUTE_NOT_FOUND"
    DISPUTE_CLOSED = "DISPUTE_CLOSED"
    DISPUTE_OPEN = "DISPUTE_OPEN"
    DISPUTE_WRONG_SIDE = "DISPUTE_WRONG_SIDE"
    DISPUTE_RESOLUTION_NOT_ALLOWED = "DISPUTE_RESOLUTION_NOT_ALLOWED"
    DISPUTE_EXCEEDS_WORTH = "DISPUTE_EXCEEDS_WORTH"
    DISPUTE_EVIDENCE_NOT_FOUND = "DISPUTE_EVIDENCE_NOT_FOUND"
    DISPUTE_NO_INVOICE = "DISPUTE_NO_INVOICE"
    # Implementing arrangements under an agreement (issue 20)
    ARRANGEMENT_NOT_FOUND = "ARRANGEMENT_NOT_FOUND"
    ARRANGEMENT_NOT_IN_FORCE = "ARRANGEMENT_NOT_IN_FORCE"
    ARRANGEMENT_CEILING_EXCEEDED = "ARRANGEMENT_CEILING_EXCEEDED"
    ARRANGEMENT_EXISTS = "ARRANGEMENT_EXISTS"
    ARRANGEMENT_ENDED = "ARRANGEMENT_ENDED"
    # accounts, access, the API and the audit log
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    USER_EXISTS = "USER_EXISTS"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND"  # noqa: S105 - an error code, not a secret
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PRECONDITION_REQUIRED = "PRECONDITION_REQUIRED"
    AUDIT_CHAIN_BROKEN = "AUDIT_CHAIN_BROKEN"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    REMOTE_ERROR = "REMOTE_ERROR"
    # National nodes, signed documents and the two books (issue 7)
    NODE_NOT_INITIALISED = "NODE_NOT_INITIALISED"
    NODE_EXISTS = "NODE_EXISTS"
    NOT_THIS_NODE = "NOT_THIS_NODE"
    INVALID_KEY = "INVALID_KEY"
    PARTNER_NOT_FOUND = "PARTNER_NOT_FOUND"
    DOCUMENT_INVALID = "DOCUMENT_INVALID"
    DOCUMENT_VERSION_UNSUPPORTED = "DOCUMENT_VERSION_UNSUPPORTED"
    DOCUMENT_UNKNOWN_KEY = "DOCUMENT_UNKNOWN_KEY"
    DOCUMENT_BAD_SIGNATURE = "DOCUMENT_BAD_SIGNATURE"
    DOCUMENT_KEY_RETIRED = "DOCUMENT_KEY_RETIRED"
    DOCUMENT_KEY_REVOKED = "DOCUMENT_KEY_REVOKED"
    DOCUMENT_NOT_PARTY = "DOCUMENT_NOT_PARTY"
    DOCUMENT_WRONG_SIDE = "DOCUMENT_WRONG_SIDE"
    DOCUMENT_REPLAYED = "DOCUMENT_REPLAYED"
    DOCUMENT_OUT_OF_ORDER = "DOCUMENT_OUT_OF_ORDER"
    DOCUMENT_CHAIN_BROKEN = "DOCUMENT_CHAIN_BROKEN"
    DOCUMENT_MISMATCH = "DOCUMENT_MISMATCH"
    BOOK_INVALID = "BOOK_INVALID"
    # The HTTP edge (issue 13): bodies, paths and methods the API does not take.
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BODY_TOO_DEEP = "BODY_TOO_DEEP"
    PATH_NOT_FOUND = "PATH_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    # Sign-in throttling (issue 13): too many failed sign-ins by a user name or an address.
    SIGN_IN_THROTTLED = "SIGN_IN_THROTTLED"
    SIGN_IN_LOCKED = "SIGN_IN_LOCKED"
    # The node inbox and outbox (issue 13): a document dated ahead of the receiver's clock;
    # one set aside after its bounded attempts; no such document in the outbox.
    DOCUMENT_FROM_THE_FUTURE = "DOCUMENT_FROM_THE_FUTURE"
    DOCUMENT_SET_ASIDE = "DOCUMENT_SET_ASIDE"
    PARTNER_UNREACHABLE = "PARTNER_UNREACHABLE"
    FORK_DUPLICATE = "FORK_DUPLICATE"
    FORK_OUTDATED = "FORK_OUTDATED"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    # One registry between two nodes (issue 17): a partner's document refused where the two
    # registries (agreement versions, official rates) differ.
    REGISTRY_DIFFERS = "REGISTRY_DIFFERS"
    # Tampering that cannot hide (issue 13): business rows that are not what the audit log
    # last recorded, and the chain against its signed checkpoints kept outside the database.
    AUDIT_ROW_CHANGED = "AUDIT_ROW_CHANGED"
    AUDIT_ROW_UNRECORDED = "AUDIT_ROW_UNRECORDED"
    AUDIT_ROW_MISSING = "AUDIT_ROW_MISSING"
    AUDIT_CHECKPOINT_MISMATCH = "AUDIT_CHECKPOINT_MISMATCH"
    CHECKPOINT_INVALID = "CHECKPOINT_INVALID"
    # Designated officials (issue 19): an act without a current designation of its role, one
    # above the official's authority limit, and the person who authorised an order acting
    # again on it where the nation separates duties.
    NOT_DESIGNATED = "NOT_DESIGNATED"
    AUTHORITY_EXCEEDED = "AUTHORITY_EXCEEDED"
    SEPARATION_OF_DUTIES = "SEPARATION_OF_DUTIES"
    DESIGNATION_NOT_FOUND = "DESIGNATION_NOT_FOUND"
    # Approval before commitment (issue 19): a draft above its nation's tiers is approved by
    # one approver per tier, in turn, before it is submitted to the partner.
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    NOT_APPROVER = "NOT_APPROVER"
    SELF_APPROVAL = "SELF_APPROVAL"
    SAME_APPROVER = "SAME_APPROVER"
    APPROVAL_NOT_PENDING = "APPROVAL_NOT_PENDING"
    # The command line's last resort (issue 13): an unexpected failure, a defect of acsa's own,
    # reported with a code and exit code 3 instead of a Python traceback.
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Source documents (issue 19): a file too large, not of the type it claims (or of no
    # type taken), a partner's file whose bytes do not hash to the hash its document names,
    # a file not held (or not visible), a step of the order that does not exist.
    ATTACHMENT_TOO_LARGE = "ATTACHMENT_TOO_LARGE"
    ATTACHMENT_TYPE_MISMATCH = "ATTACHMENT_TYPE_MISMATCH"
    ATTACHMENT_HASH_MISMATCH = "ATTACHMENT_HASH_MISMATCH"
    ATTACHMENT_NOT_FOUND = "ATTACHMENT_NOT_FOUND"
    ATTACHMENT_STEP_NOT_FOUND = "ATTACHMENT_STEP_NOT_FOUND"
    # Notices by e-mail and webhook (issue 20): no such webhook of the nation.
    WEBHOOK_NOT_FOUND = "WEBHOOK_NOT_FOUND"
    # Notices (issue 20): no such notice in the reader's inbox.
    NOTICE_NOT_FOUND = "NOTICE_NOT_FOUND"
    # The nation's general ledger (issue 20): a posting of an export no mapping rule maps; no
    # such rule to remove.
    GL_MAPPING_MISSING = "GL_MAPPING_MISSING"
    GL_MAPPING_NOT_FOUND = "GL_MAPPING_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule.

    Attributes:
        code: stable machine-readable code.
        field: the input field at fault, as a path (``lines[0].category``), or "" for the whole.
        template: the message's id: a sentence a person can act on, naming the field and the
            rule, in English with named placeholders (``"agreement {agreement} was not in force
            on {day}"``), written in the reader's language at the edge (``acsa.i18n.say``).
        clause: the agreement clause that sets the rule, or None where no clause applies.
        params: the placeholders' values, kept typed (money, days, words of the vocabulary)
            until the reader's language is known.
    """

    code: Code
    field: str
    template: str
    clause: str | None = None
    params: Mapping[str, object] = dataclass_field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """The message in English."""
        return fill(self.template, self.params)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code.value,
            "field": self.field,
            "message": self.message,
            "clause": self.clause,
        }


class AcsaError(Exception):
    """A refusal: one or more violations. Raised before anything is written."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        if not self.violations:
            raise ValueError("an AcsaError needs at least one violation")
        super().__init__("; ".join(f"{v.code}: {v.message}" for v in self.violations))

    @property
    def codes(self) -> list[str]:
        return [v.code.value for v in self.violations]

    @classmethod
    def single(
        cls, code: Code, field: str, template: str, clause: str | None = None, **params: object
    ) -> AcsaError:
        """A refusal of one violation; ``params`` fill ``template``'s placeholders."""
        return cls([Violation(code, field, template, clause, params)])


class NotFoundError(AcsaError):
    """The thing asked for does not exist (or, later, is not visible to the caller)."""
