"""acsa node init|show, acsa partners add|list, acsa courier status|deliver|resend (the
previous release's `acsa exchange`, kept as a hidden alias)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group
from rich.table import Table

from acsa.cli import language
from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
)
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, show_result
from acsa.config import actor as acting
from acsa.config import default_database_path
from acsa.domain.keys import DEFAULT_GRACE_DAYS
from acsa.domain.messages import words
from acsa.i18n import gettext, say

if TYPE_CHECKING:
    from acsa.services import courier as service
    from acsa.services.keys import KeyOut


node_app = typer.Typer(no_args_is_help=True, help="This installation as one nation's node.")
partners_app = typer.Typer(no_args_is_help=True, help="Partner nations' nodes and their keys.")
courier_app = typer.Typer(
    no_args_is_help=True, help="Signed documents sent to and received from partner nodes."
)


def _show_node(node: service.NodeOut) -> None:
    out.print(f"node of {node.nation}")
    out.print(f"public key   {node.public_key}")
    out.print(f"fingerprint  {node.fingerprint}")
    if len(node.keys) > 1:
        show_result(_keys_table("Keys of this node", node.keys))


def _keys_table(title: str, keys: list[KeyOut]) -> Table:
    """Each key and its state: current, in grace until ..., retired, revoked since ..."""
    from acsa.services.keys import key_state_text

    table = Table(title=title)
    for column in ("fingerprint", "state", "since"):
        table.add_column(column, overflow="fold")
    for k in keys:
        since = "" if k.since is None else k.since.isoformat()[:19]
        table.add_row(k.fingerprint, say(key_state_text(k), language.current()), since)
    return table


@node_app.command("rotate-key")
def rotate_key(
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Where to write the new private key (owner-only); default: beside the "
            "old one, named with the new key's fingerprint.",
        ),
    ] = None,
    grace_days: Annotated[
        int,
        typer.Option(
            "--grace-days", help="Days the partners still take documents signed by the old key."
        ),
    ] = DEFAULT_GRACE_DAYS,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """A new key pair for this node; it signs with the new key from now on. A key_rollover
    document signed by the old key, naming the new one, goes to every partner through the
    outbox; they take the old key's documents until the grace period ends. Audited."""
    from acsa.services import keys as keys_service

    with refusals(as_json):
        done = keys_service.rotate_key(engine_for(db), acting(actor), key_file, grace_days)
    if as_json:
        print_json(done)
        return
    out.print(f"node of {done.nation}: new key {done.fingerprint} in {done.key_file}")
    out.print(f"old key {done.previous} signs until {done.grace_until.isoformat()}")
    out.print(f"key rollover queued for: {', '.join(done.partners) or '-'}")


@node_app.command("revoke-key")
def revoke_own_key(
    fingerprint: Annotated[str, typer.Argument(help="The node's old key to revoke.")],
    since: Annotated[
        datetime, typer.Option("--since", help="Documents it signed after this time are refused.")
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke one of this node's old keys (a compromised one) from --since on, and tell every
    partner in a key_revocation document signed by the current key. Audited."""
    from acsa.services import keys as keys_service

    with refusals(as_json):
        keys = keys_service.revoke_own_key(engine_for(db), fingerprint, since, acting(actor))
    if as_json:
        print_json(keys)
        return
    show_result(_keys_table("Keys of this node", keys))


@node_app.command("init")
def init(
    nation: Annotated[str, typer.Option("--nation", help="The node's nation (ISO alpha-3).")],
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Where to write the private key (owner-only); default: node-NATION.key "
            "in the data directory.",
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make this installation the node of NATION: a new Ed25519 key pair. Give the printed
    public key to each partner, who checks its fingerprint with you by another channel."""
    from acsa.services import courier as service

    with refusals(as_json):
        path = key_file or default_database_path().parent / f"node-{nation.upper()}.key"
        node = service.init_node(engine_for(db), nation, path, acting(actor))
    if as_json:
        print_json(node)
        return
    _show_node(node)


@node_app.command("show")
def show(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The node's nation, public key and fingerprint (never the private key)."""
    from acsa.services import courier as service

    with refusals(as_json):
        api = remote(db)
        node = api.node() if api is not None else service.node_info(engine_for(db))
    if as_json:
        print_json(node)
        return
    _show_node(node)


@partners_app.command("add")
def add(
    nation: Annotated[str, typer.Argument(help="The partner nation (ISO alpha-3).")],
    url: Annotated[str, typer.Option("--url", help="The partner node's address.")],
    key: Annotated[str, typer.Option("--key", help="Its public key (ed25519:...).")],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a partner's node (or change its address or key). Check the fingerprint printed
    here with the partner by telephone or in person before trusting its documents."""
    from acsa.services import courier as service

    with refusals(as_json):
        partner = service.add_partner(engine_for(db), nation, url, key, acting(actor))
    if as_json:
        print_json(partner)
        return
    out.print(f"partner {partner.nation} at {partner.url}")
    out.print(f"fingerprint  {partner.fingerprint}  (check it with {partner.nation})")


@partners_app.command("revoke-key")
def revoke_key(
    nation: Annotated[str, typer.Argument(help="The partner nation (ISO alpha-3).")],
    fingerprint: Annotated[str, typer.Argument(help="The fingerprint of its key to revoke.")],
    since: Annotated[
        datetime, typer.Option("--since", help="Documents it signed after this time are refused.")
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a partner's key from --since on (a key known to be compromised): its documents
    dated later are refused (DOCUMENT_KEY_REVOKED); earlier ones still verify. Audited."""
    from acsa.services import keys as keys_service

    with refusals(as_json):
        keys = keys_service.revoke_partner_key(
            engine_for(db), nation.upper(), fingerprint, since, acting(actor)
        )
    if as_json:
        print_json(keys)
        return
    show_result(_keys_table("Partner keys", keys))


@partners_app.command("list")
def list_(
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """The registered partner nodes."""
    from acsa.services import courier as service
    from acsa.services.keys import key_state_text

    with refusals(as_json):
        partners = service.list_partners(engine_for(db))
    if as_json:
        print_json(partners)
        return
    table = Table(title="Partner nodes")
    for column in ("nation", "url", "fingerprint", "since"):
        table.add_column(column, overflow="fold")
    for p in partners:
        table.add_row(p.nation, p.url, p.fingerprint, p.added_at.date().isoformat())
    if all(k.state == "current" for p in partners for k in p.keys):
        show_result(table, output_format)
        return
    keys = Table(title="Partner keys")
    for column in ("nation", "fingerprint", "state", "since"):
        keys.add_column(column, overflow="fold")
    for p in partners:
        for k in p.keys:
            since = "" if k.since is None else k.since.isoformat()[:19]
            keys.add_row(p.nation, k.fingerprint, say(key_state_text(k), language.current()), since)
    show_result(Group(table, keys), output_format)


@courier_app.command("status")
def status(
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Per partner: documents pending, delivered, refused and received, why the oldest
    pending one waits; then the latest refusals with their codes (through a server: the
    server's node). Not a node: NODE_NOT_INITIALISED, as `acsa node show`."""
    from acsa.services import courier as service

    with refusals(as_json):
        api = remote(db)
        found = api.courier_status() if api is not None else service.courier_status(engine_for(db))
        report = service.require_node(found)
    if as_json:
        print_json(report)
        return
    tables = [_partners_table(report)]
    if report.refused:
        tables.append(_refused_table(report))
    if report.forks:
        tables.append(_forks_table(report))
    show_result(Group(*tables) if len(tables) > 1 else tables[0], output_format)


def _partners_table(report: service.CourierStatusOut) -> Table:
    """Per partner: what is pending, held, delivered, refused and received, and why it waits."""
    table = Table(title="Exchange with partner nodes")
    for column in ("partner", "pending", "held", "delivered", "refused", "received", "waiting"):
        table.add_column(column, overflow="fold")
    for p in report.partners:
        table.add_row(
            p.partner,
            str(p.pending),
            str(p.held),
            str(p.delivered),
            str(p.refused),
            str(p.received),
            _waiting(p),
        )
    return table


def _waiting(p: service.PartnerStatusOut) -> str:
    """Why the oldest document pending for a partner waits (empty when it does not)."""
    if not p.registered:
        return "no node registered (acsa partners add)"
    if p.next_attempt_at is not None:
        when = p.next_attempt_at.isoformat()[:19]
        return f"{p.attempts} attempts; next {when}; {p.last_error or ''}".strip("; ")
    if p.held:
        return "held behind a refused document of their order (acsa courier resend)"
    return ""


def _refused_table(report: service.CourierStatusOut) -> Table:
    """The latest documents refused by a partner or set aside."""
    refused = Table(title="Refused by the partner or set aside (acsa courier resend ID)")
    for column in ("partner", "document", "kind", "order", "attempts", "code", "detail"):
        refused.add_column(column, overflow="fold")
    for r in report.refused:
        refused.add_row(
            r.partner,
            r.document,
            f"{r.kind} #{r.seq}",
            r.order,
            str(r.attempts),
            r.code or "",
            r.error or "",
        )
    return refused


def _forks_table(report: service.CourierStatusOut) -> Table:
    """The latest documents that lost their place in an order's chain, and their fate."""
    lang = language.current()
    counts = ", ".join(
        f"{gettext(lang, words(fate))} {n}" for fate, n in sorted(report.fork_counts.items())
    )
    forks = Table(title="Forks resolved by the supplier's chain", caption=counts)
    for column in ("order", "place", "kind", "issuer", "fate", "winner", "reissued as", "code"):
        forks.add_column(column, overflow="fold")
    for f in report.forks:
        forks.add_row(
            f.order,
            str(f.seq),
            f.kind,
            f.issuer,
            gettext(lang, words(f.fate)),
            f.winner,
            f.reissued_as or "",
            f.code or "",
        )
    return forks


@courier_app.command("deliver")
def deliver(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Send what is due in the outbox now (a running server does this by itself)."""
    from acsa.adapters.transport import http_sender
    from acsa.services import courier as service

    with refusals(as_json):
        result = service.deliver_pending(engine_for(db), http_sender())
    if as_json:
        print_json(result)
        return
    out.print(
        f"{result.delivered} delivered, {result.refused} refused, {result.set_aside} set aside"
    )
    for nation, why in result.waiting.items():
        out.print(f"{nation} waits: {why}")


@courier_app.command("resend")
def resend(
    document: Annotated[
        str,
        typer.Argument(
            help="The document's id (as `courier status` lists it), or its first 8 "
            "characters at least."
        ),
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send again a document the partner refused or the outbox set aside: it is pending
    again, its attempts from zero, and the later documents of its order follow it. Audited."""
    from acsa.services import courier as service

    with refusals(as_json):
        entry = service.resend(engine_for(db), document, acting(actor))
    if as_json:
        print_json(entry)
        return
    out.print(
        f"document {entry.document} ({entry.kind} #{entry.seq} of order {entry.order}) is "
        f"queued for {entry.partner} again"
    )
