"""acsa webhooks add|list|remove|log: a nation's webhooks and the delivery log of its notices
(the local operator names the nation with --nation; through a server, an admin's own nation).
acsa alerts deliver: one delivery pass for cron (e-mail and webhooks, on the local database).
acsa users notify: a person's e-mail address and how notices reach it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
    uow_for,
)
from acsa.cli.options import ID_MAX, ID_MIN
from acsa.cli.render import Said, show_result
from acsa.config import actor as acting
from acsa.i18n import gettext

if TYPE_CHECKING:
    from acsa.schemas.webhooks import AttemptOut, NotifyOut, WebhookOut

app = typer.Typer(
    no_args_is_help=True,
    help="Webhooks: each notice of your nation POSTed, signed, to an address; the delivery log.",
)

NationOption = Annotated[
    str | None,
    typer.Option(
        "--nation",
        help="The nation (on a local database; through a server, yours).",
        show_default=False,
    ),
]


def _nation(nation: str | None) -> str:
    from acsa.domain.errors import AcsaError, Code
    from acsa.services.ledger import party_code

    code = party_code(nation, "--nation")
    if code is None:
        raise AcsaError.single(Code.INVALID_INPUT, "--nation", "give --nation on a local database")
    return code


def _word(english: str) -> Said:
    """A word of these tables (``active``, ``sent``) in the reader's language; English in CSV."""
    return Said(english, lambda lang: gettext(lang, english))


def _webhooks_table(rows: list[WebhookOut]) -> Table:
    table = Table(title="Webhooks")
    for column in ("id", "url", "kinds", "key", "state", "added", "by"):
        table.add_column(column)
    for w in rows:
        table.add_row(
            str(w.id),
            w.url,
            ", ".join(w.kinds) or "*",
            w.secret_prefix,
            _word("active" if w.active else "removed"),
            w.created_at.strftime("%Y-%m-%d %H:%M"),
            w.actor,
        )
    return table


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The https address notices are POSTed to.")],
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="A kind of notice it takes (repeat; none: every kind)."),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            help="Its key (at least 16 characters); made by acsa when left out.",
            show_default=False,
        ),
    ] = None,
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a webhook: each notice of the nation (of the kinds given) is POSTed to URL as
    JSON, signed in X-Acsa-Signature (sha256=HMAC of "<X-Acsa-Timestamp>.<body>" under the
    key). The key is printed once: keep it now."""
    from acsa.schemas.webhooks import WebhookMadeOut
    from acsa.services import notice_delivery as service

    body: dict[str, Any] = {"url": url, "kinds": kinds or [], "secret": secret}
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            made = api.one(WebhookMadeOut, "POST", "/webhooks", body=body)
        else:
            raw = service.add_webhook(
                uow_for(engine_for(db)), _nation(nation), url, kinds or [], acting(actor), secret
            )
            made = WebhookMadeOut(**raw)
    if as_json:
        print_json(made)
        return
    show_result(_webhooks_table([made]))
    out.print(f"key: {made.secret}", markup=False)


@app.command("list")
def list_(
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """The nation's webhooks, removed ones too (each key only by its first characters)."""
    from acsa.schemas.webhooks import WebhookOut
    from acsa.services import notice_delivery as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            rows = api.many(WebhookOut, "/webhooks")
        else:
            found = service.list_webhooks(uow_for(engine_for(db)), _nation(nation))
            rows = [WebhookOut(**w) for w in found]
    if as_json:
        print_json(rows)
        return
    show_result(_webhooks_table(rows))


@app.command("remove")
def remove(
    webhook_id: Annotated[int, typer.Argument(min=ID_MIN, max=ID_MAX, help="The webhook's id.")],
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop a webhook: nothing more is sent to it; it is kept with its log."""
    from acsa.schemas.webhooks import WebhookOut
    from acsa.services import notice_delivery as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            gone = api.one(WebhookOut, "POST", f"/webhooks/{webhook_id}/remove")
        else:
            raw = service.remove_webhook(
                uow_for(engine_for(db)), _nation(nation), webhook_id, acting(actor)
            )
            gone = WebhookOut(**raw)
    if as_json:
        print_json(gone)
        return
    show_result(_webhooks_table([gone]))


def _log_table(rows: list[AttemptOut]) -> Table:
    table = Table(title="Delivery log")
    for column in ("at", "notice", "order", "channel", "target", "result", "status", "ms"):
        table.add_column(column)
    for a in rows:
        table.add_row(
            a.at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{a.notice_id} {a.kind}",
            "" if a.order_id is None else str(a.order_id),
            a.channel,
            a.target,
            _word("sent") if a.ok else (a.error or _word("failed")),
            "" if a.status is None else str(a.status),
            str(a.duration_ms),
        )
    return table


@app.command("log")
def log(
    webhook: Annotated[
        int | None,
        typer.Option("--webhook", min=ID_MIN, max=ID_MAX, help="Only this webhook's attempts."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most.")] = 100,
    nation: NationOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every attempt to deliver the nation's notices by e-mail and webhook, newest first:
    when, to where, what came of it (the HTTP status, the error) and how long it took."""
    from acsa.schemas.webhooks import AttemptOut
    from acsa.services import notice_delivery as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            params: dict[str, Any] = {"limit": limit}
            if webhook is not None:
                params["webhook"] = webhook
            rows = api.many(AttemptOut, "/webhooks/log", params=params)
        else:
            found = service.delivery_log(uow_for(engine_for(db)), _nation(nation), webhook, limit)
            rows = [AttemptOut(**a) for a in found]
    if as_json:
        print_json(rows)
        return
    show_result(_log_table(rows))


def deliver(
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deliver the notices due now by e-mail (ACSA_SMTP_URL) and webhook, once (for cron; the
    server does it on every tick): plan new notices' deliveries, send what is due, retry what
    failed, send the daily digests. Safe beside a running server: nothing is sent twice."""
    from acsa.schemas.webhooks import DeliveryReportOut
    from acsa.services import notice_delivery as service

    with refusals(as_json):
        report = service.delivery_pass(engine_for(db), datetime.now(UTC))
    if as_json:
        print_json(
            DeliveryReportOut(
                planned=report.planned,
                sent=report.sent,
                failed=report.failed,
                abandoned=report.abandoned,
                digests=report.digests,
                errors=report.errors,
            )
        )
        return
    table = Table("planned", "sent", "failed", "abandoned", "digests", title="Deliveries")
    table.add_row(
        str(report.planned),
        str(report.sent),
        str(report.failed),
        str(report.abandoned),
        str(report.digests),
    )
    show_result(table)
    for error in report.errors:
        out.print(error, markup=False)


def notify(
    email: Annotated[
        str | None,
        typer.Option("--email", help='Your e-mail address ("" clears it).', show_default=False),
    ] = None,
    choice: Annotated[
        str | None,
        typer.Option(
            "--notify",
            help="off, each (a mail per notice) or digest (one mail a day).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or set your e-mail address and how notices reach it (off, each, digest). Only
    what is given changes."""
    from acsa.schemas.webhooks import NotifyOut
    from acsa.services import notice_delivery as service

    body = {k: v for k, v in (("email", email), ("notify", choice)) if v is not None}
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            if body:
                result: NotifyOut = api.one(NotifyOut, "PATCH", "/profile/notify", body=body)
            else:
                result = api.one(NotifyOut, "GET", "/profile/notify")
        else:
            uow = uow_for(engine_for(db))
            who = acting(actor)
            if body:
                raw = service.set_notify(uow, who, who, email, choice)
            else:
                raw = service.notify_choice(uow, who)
            result = NotifyOut(**raw)
    if as_json:
        print_json(result)
        return
    out.print(f"email: {result.email or '-'}", markup=False)
    out.print(f"notify: {result.notify}", markup=False)
