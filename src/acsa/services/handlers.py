"""The one handler table: which service function carries out each command, and ``handle``,
the single door through which every entry point (CLI, API, web forms, a partner's documents,
the history import) has acsa act."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from acsa import commands as c
from acsa.clock import utc_now
from acsa.commands import By, Command
from acsa.services import agreements, attachments, designations, disputes, orders, settlement
from acsa.services.ports import UnitOfWork

Handler = Callable[[UnitOfWork, Any, By], Any]

#: Every command's handler.
HANDLERS: Mapping[type[Command], Handler] = {
    c.PlaceOrder: orders.place_order,
    c.EditDraft: orders.edit_draft,
    c.SubmitOrder: orders.submit,
    c.AcceptOrder: orders.accept,
    c.RejectOrder: orders.reject,
    c.CancelOrder: orders.cancel,
    c.DeliverOrder: orders.deliver,
    c.ReceiveOrder: orders.receive,
    c.CloseOrder: settlement.close,
    c.AddNote: orders.note,
    c.AttachFile: attachments.attach,
    c.IssueInvoice: settlement.issue_invoice,
    c.RecordPayment: settlement.record_payment,
    c.ReturnInKind: settlement.replace,
    c.ExchangeEqualValue: settlement.exchange,
    c.ConvertToCash: settlement.convert_one,
    c.VoidInvoice: settlement.void_invoice,
    c.ReversePayment: settlement.reverse_payment,
    c.IssueCreditNote: settlement.issue_credit_note,
    c.OpenDispute: disputes.open_dispute,
    c.AnswerDispute: disputes.answer_dispute,
    c.AddAgreement: agreements.add_agreement,
    c.AmendAgreement: agreements.amend_agreement,
    c.RecordInForceDay: agreements.record_in_force_day,
    c.RecordTermination: agreements.record_termination,
}

_missing = set(c.COMMANDS) ^ set(HANDLERS)
if _missing:  # pragma: no cover - caught by any import in the tests
    raise RuntimeError(f"commands and handlers differ: {sorted(c.__name__ for c in _missing)}")


def handle(uow: UnitOfWork, command: Command, actor: str, at: datetime | None = None) -> Any:
    """Carry out ``command`` for ``actor`` in one transaction of ``uow`` (its guard decides
    whether ``actor`` may), stamped ``at`` (default now); the command's handler answers with
    what it made (the order, an invoice, a settlement in kind, a conversion, the agreement as
    it now stands). Refusals are raised as coded errors and leave nothing written. A step
    that commits the nation (``designations.guarded``) needs its person's designation first,
    where the acting nation enforces designations."""
    handler = HANDLERS[type(command)]
    by = By(actor, at or utc_now())
    if designations.checks(uow, command):
        # The one rule of designated officials (acsa.domain.designations), for every guarded
        # command alike, in the transaction the handler then writes in: refused, nothing is.
        with uow:
            designations.authorise(uow, command, by)
            return handler(uow, command, by)
    return handler(uow, command, by)
