"""acsa approvals tiers|queue|approve|return: approval before commitment (the local
operator's, acting as ``--actor``; or through a server, the signed-in person's for their own
nation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from acsa.cli.common import (
    EXIT_REFUSED,
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
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, label, said, show_result, term
from acsa.config import actor as acting
from acsa.domain.money import money_text

if TYPE_CHECKING:
    from acsa.schemas.approvals import BulkOut, QueueOut, TiersOut

app = typer.Typer(
    no_args_is_help=True,
    help="Approval before commitment: each nation's approval tiers, the approval queue, and "
    "approving or returning drafts.",
)

IdsArgument = Annotated[
    list[int], typer.Argument(min=ID_MIN, max=ID_MAX, help="The drafts' order ids.")
]


def _tiers_line(found: TiersOut) -> str:
    """The nation's tiers in the command line's language (--lang)."""
    from acsa.cli.render import say_now

    if not found.tiers:
        none = "No approval tiers: your nation's drafts are submitted without approval."
        return f"{found.nation}: {say_now(none)}"
    said = ", ".join(
        say_now(
            "Tier %(tier)s: above %(threshold)s",
            tier=t.tier,
            threshold=money_text(t.threshold, t.currency),
        )
        for t in found.tiers
    )
    return f"{found.nation}: {said}"


@app.command("tiers")
def tiers(
    nation: Annotated[
        str | None, typer.Argument(help="The nation (through a server: yours).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="A tier's threshold (repeat for each tier, e.g. --set 1000000 --set "
            "10000000); a draft worth more needs that tier's approver.",
            show_default=False,
        ),
    ] = None,
    currency: Annotated[
        str, typer.Option("--currency", help="ISO 4217 code of the thresholds.")
    ] = "",
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove every tier (approve nothing).")
    ] = False,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a nation's approval tiers, or set them (an admin of that nation); a value in
    another currency is converted at the nation's rate rule on the order's date."""
    from acsa.schemas.approvals import TiersOut
    from acsa.services import approvals as service

    change = bool(set_) or clear
    thresholds = [] if clear else list(set_ or [])
    found: TiersOut
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            api.own_nation(nation, "nation", "you read the approvals")
            if change:
                body = {"thresholds": thresholds, "currency": currency}
                found = api.one(TiersOut, "PUT", "/approvals/tiers", body=body)
            else:
                found = api.one(TiersOut, "GET", "/approvals/tiers")
        else:
            code = nation or ""
            if change:
                uow = uow_for(engine_for(db))
                found = service.set_tiers(uow, code, thresholds, currency, acting(actor))
            else:
                found = service.get_tiers(uow_for(engine_for(db), True), code)
    if as_json:
        print_json(found)
    else:
        out.print(_tiers_line(found))


def _queue_table(found: QueueOut) -> Table:
    table = Table(title=said("Approval queue of %(nation)s", nation=found.nation))
    for column in ("order", "partner", "activity", "value", "waits for", "approved", "yours"):
        table.add_column(column)
    for item in found.items:
        approved = ", ".join(f"{a.tier}: {a.actor}" for a in item.approvals if a.kind == "approve")
        table.add_row(
            str(item.order_id),
            item.partner,
            term(item.activity),
            money_text(item.value, item.currency),
            said(
                "tier %(tier)s (above %(threshold)s)",
                tier=item.tier,
                threshold=money_text(item.threshold, item.threshold_currency),
            ),
            approved or "-",
            term("yes" if item.mine else "no"),
        )
    for total in found.totals:
        table.add_row(
            label("total"),
            total.partner,
            said("%(n)s drafts", n=total.count),
            money_text(total.total, total.currency),
            "",
            "",
            "",
        )
    return table


@app.command("queue")
def queue(
    nation: Annotated[
        str | None, typer.Option(help="The nation (through a server: your own).")
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The drafts waiting for an approval (``yours``: you may approve it now), with running
    totals per partner and currency."""
    from acsa.schemas.approvals import QueueOut
    from acsa.services import approvals as service

    found: QueueOut
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            api.own_nation(nation, "nation", "you read the approvals")
            found = api.one(QueueOut, "GET", "/approvals")
        else:
            uow = uow_for(engine_for(db), True)
            found = service.queue(uow, nation, acting(actor))
    if as_json:
        print_json(found)
    else:
        show_result(_queue_table(found), output_format)


def _act(
    action: str,
    ids: list[int],
    comment: str,
    tier: int | None,
    db: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    from acsa.schemas.approvals import BulkOut
    from acsa.services import approvals as service

    targets = [(i, tier) for i in ids]
    done: BulkOut
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            body = {
                "action": action,
                "orders": [{"order_id": i, "tier": t} for i, t in targets],
                "comment": comment,
            }
            done = api.one(BulkOut, "POST", "/approvals", body=body)
        else:
            engine = engine_for(db)
            done = service.act_many(
                lambda: uow_for(engine), action, targets, acting(actor), comment
            )
    _report(done, action, as_json)


def _report(done: BulkOut, action: str, as_json: bool) -> None:
    """Each draft's outcome, in the command line's language (--lang)."""
    from acsa.cli.render import say_now

    if as_json:
        print_json(done)
    else:
        for r in done.results:
            if r.ok and r.approval is not None and action == "approve":
                tier = r.approval.tier
                out.print(
                    say_now("Order %(order)s: tier %(tier)s approved", order=r.order_id, tier=tier)
                )
            elif r.ok:
                out.print(say_now("Order %(order)s: returned to its requester", order=r.order_id))
            else:
                refused = say_now("Order %(order)s: refused", order=r.order_id)
                out.print(f"{refused} ({r.code}): {r.message}")
    if not all(r.ok for r in done.results):
        raise typer.Exit(EXIT_REFUSED)


@app.command("approve")
def approve(
    ids: IdsArgument,
    comment: Annotated[str, typer.Option(help="A comment for the record.")] = "",
    tier: Annotated[
        int | None,
        typer.Option(min=1, max=5, help="The tier meant (refused if another approved it)."),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve the next tier of each draft named (each on its own: one refused does not stop
    the others; exit code 2 when any was refused)."""
    _act("approve", ids, comment, tier, db, actor, as_json)


@app.command("return")
def return_(
    ids: IdsArgument,
    comment: Annotated[
        str, typer.Option(help="Why the drafts go back to their requester.", show_default=False)
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Return each draft named to its requester with a comment (its approvals cleared)."""
    _act("return", ids, comment, None, db, actor, as_json)
