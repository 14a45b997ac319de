"""The root ``acsa`` group imports and builds a sub-group (``acsa orders``, ``acsa ledger``...)
only when it is used: ``acsa orders list`` imports the ``orders`` modules and builds their
commands' parameters, not every group's. Listing the groups (``acsa --help``, shell completion
of the first word) shows each group's name and help line from a stand-in that has no commands
and needs no import of the group's module; any other look-up imports the group's modules and
builds the real group, exactly as Typer builds it, once per process.

``GROUPS`` says where each group lives and what its help line is. The help line repeats the
one its module gives its ``typer.Typer``; tests/unit/test_cli_imports.py checks that each
stand-in says what its real group says."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer._click import Command as ClickCommand
from typer._click import Context, HelpFormatter
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_command_name, get_group_from_info
from typer.models import CommandInfo, TyperInfo


@dataclass(frozen=True)
class Group:
    """A sub-group of ``acsa``: its name, its Typer app (``module:attribute``), the modules
    that attach more commands to it (imported after it, in this order), its help line."""

    name: str
    app: str
    help: str
    adds: tuple[str, ...] = ()
    hidden: bool = False
    deprecated: bool = False


_COURIER = "Signed documents sent to and received from partner nodes."

#: Every sub-group of ``acsa``, in the order ``acsa --help`` lists them.
GROUPS = (
    Group("agreements", "acsa.cli.agreements:app", "The registry of agreements."),
    Group(
        "arrangements",
        "acsa.cli.arrangements:app",
        "Implementing arrangements under an agreement: who bills whom and how.",
    ),
    Group(
        "orders",
        "acsa.cli.orders:app",
        "Orders for supplies and services under an agreement.",
        adds=("acsa.cli.order_forms",),
    ),
    Group(
        "attachments",
        "acsa.cli.attachments:app",
        "Source documents (PDF, images, spreadsheets, signed scans) attached to orders.",
    ),
    Group("invoices", "acsa.cli.settle:invoices_app", "Invoices for what is owed in cash."),
    Group("payments", "acsa.cli.settle:payments_app", "Payments against invoices."),
    Group(
        "settle",
        "acsa.cli.settle:settle_app",
        "Settlement in kind (replacement, equal value exchange) and the deadline sweep.",
    ),
    Group(
        "ledger",
        "acsa.cli.ledger:app",
        "The books: balances per partner, statements of account, aging, overdue debts.",
        adds=("acsa.cli.journal",),
    ),
    Group(
        "report",
        "acsa.cli.report:app",
        "Reports: annual activity, exceptions.",
        adds=("acsa.cli.report_annual", "acsa.cli.report_exceptions"),
    ),
    Group(
        "rates",
        "acsa.cli.rates:app",
        "ECB reference rates (units per 1 EUR by day): import, show, convert; each nation's "
        "rate rule and its official rates per fiscal year.",
    ),
    Group("import", "acsa.cli.history_import:app", "Load past records into acsa."),
    Group("users", "acsa.cli.users:users_app", "People who use acsa: nation, roles, password."),
    Group("tokens", "acsa.cli.users:tokens_app", "Personal API tokens for scripts and `--server`."),
    Group(
        "designations",
        "acsa.cli.designations:app",
        "Designated officials: who may submit, accept, receive and certify for a nation, up "
        "to what value.",
    ),
    Group(
        "approvals",
        "acsa.cli.approvals:app",
        "Approval before commitment: each nation's approval tiers, the approval queue, and "
        "approving or returning drafts.",
    ),
    Group(
        "disputes",
        "acsa.cli.disputes:app",
        "Disputes of receipts, invoices and settlements, and how they were resolved.",
    ),
    Group(
        "notices",
        "acsa.cli.notices:notices_app",
        "Your notices: what waits for you, deadlines, refusals.",
    ),
    Group(
        "webhooks",
        "acsa.cli.webhooks:app",
        "Webhooks: each notice of your nation POSTed, signed, to an address; the delivery log.",
    ),
    Group(
        "alerts",
        "acsa.cli.notices:alerts_app",
        "Notices of what waits for people and of deadlines: make those due (for cron).",
    ),
    Group("audit", "acsa.cli.audit:app", "The tamper-evident audit log of every change."),
    Group(
        "books",
        "acsa.cli.books:app",
        "The two books: export this node's book with a partner (signed), and reconcile the "
        "partner's book with ours.",
    ),
    Group("node", "acsa.cli.courier:node_app", "This installation as one nation's node."),
    Group(
        "partners",
        "acsa.cli.courier:partners_app",
        "Partner nations' nodes and their keys.",
        adds=("acsa.cli.partner_registry",),
    ),
    Group("courier", "acsa.cli.courier:courier_app", _COURIER),
    # The word of the previous release, kept for one release: `acsa exchange ...` is
    # `acsa courier ...`.
    Group("exchange", "acsa.cli.courier:courier_app", _COURIER, hidden=True, deprecated=True),
)


class _StandIn(TyperGroup):
    """A group's name and help, for a listing of the root's commands."""


class LazyRoot(TyperGroup):
    """A root group whose sub-groups ``defer`` listed, built when first used."""

    #: The sub-groups, by name, in the order they are listed (set by ``defer``).
    deferred: ClassVar[dict[str, Group]] = {}
    #: Typer's settings for building them (set by ``defer``).
    settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = 0
        for name, group in self.deferred.items():
            self.commands[name] = stand_in(group, self.rich_markup_mode)

    @contextmanager
    def listing(self) -> Iterator[None]:
        self._listing += 1
        try:
            yield
        finally:
            self._listing -= 1

    def get_command(self, ctx: Context, cmd_name: str) -> ClickCommand | None:  # noqa: ARG002
        command = self.commands.get(cmd_name)
        if isinstance(command, _StandIn) and not self._listing:
            command = self.commands[cmd_name] = build_group(
                group_info(self.deferred[cmd_name]), self.settings
            )
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with self.listing():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[Any]:
        with self.listing():
            return super().shell_complete(ctx, incomplete)


def stand_in(group: Group, rich_markup_mode: Any) -> _StandIn:
    return _StandIn(
        name=group.name,
        help=group.help,
        hidden=group.hidden,
        deprecated=group.deprecated,
        rich_markup_mode=rich_markup_mode,
    )


def group_info(group: Group) -> TyperInfo:
    """The group's Typer info as ``add_typer`` makes it, its modules imported."""
    module, _, attribute = group.app.partition(":")
    instance = getattr(importlib.import_module(module), attribute)
    for name in group.adds:
        importlib.import_module(name)
    holder = typer.Typer()
    if group.hidden or group.deprecated:  # else Typer's defaults, as a plain add_typer leaves
        holder.add_typer(
            instance, name=group.name, hidden=group.hidden, deprecated=group.deprecated
        )
    else:
        holder.add_typer(instance, name=group.name)
    return holder.registered_groups[0]


class Commands(MutableMapping[str, ClickCommand]):
    """A group's commands by name, in Typer's order, each built when it is first looked up:
    ``acsa orders list`` builds the parameters of ``list`` alone. Listing the names builds
    nothing; listing the commands (a group's help) builds them all."""

    def __init__(self, build: Callable[[CommandInfo], ClickCommand]) -> None:
        self._build = build
        self._entries: dict[str, ClickCommand | CommandInfo] = {}

    def add_info(self, info: CommandInfo) -> None:
        assert info.callback is not None, "a command has a callback function"
        self._entries[info.name or get_command_name(info.callback.__name__)] = info

    def __getitem__(self, name: str) -> ClickCommand:
        entry = self._entries[name]
        if isinstance(entry, CommandInfo):
            entry = self._entries[name] = self._build(entry)
        return entry

    def __setitem__(self, name: str, command: ClickCommand) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def built(self) -> list[str]:
        """The names of the commands built so far, in order."""
        return [name for name, entry in self._entries.items() if not isinstance(entry, CommandInfo)]


def build_group(info: TyperInfo, settings: dict[str, Any]) -> TyperGroup:
    """The group Typer's ``get_group_from_info`` builds from ``info``, its sub-groups built, its
    own commands built when looked up (``Commands``), in the order Typer gives them."""
    instance = info.typer_instance
    assert instance is not None, "a group has a Typer app"
    bare_instance = copy.copy(instance)
    bare_instance.registered_commands = []
    bare = copy.copy(info)
    bare.typer_instance = bare_instance
    group = get_group_from_info(bare, **settings)
    commands = Commands(
        lambda command: get_command_from_info(
            command,
            pretty_exceptions_short=settings["pretty_exceptions_short"],
            rich_markup_mode=settings["rich_markup_mode"],
        )
    )
    for command in instance.registered_commands:  # Typer's order: commands, then sub-groups
        commands.add_info(command)
    for name, sub_group in group.commands.items():
        commands[name] = sub_group
    group.commands = commands
    return group


def defer(app: typer.Typer, groups: tuple[Group, ...] = GROUPS) -> None:
    """Give ``app``'s root group, which must be a ``LazyRoot``, ``groups`` to build on first
    use (each group's modules are imported then)."""
    assert not app.registered_groups, "the sub-groups are the deferred ones"
    LazyRoot.deferred = {group.name: group for group in groups}
    LazyRoot.settings = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
        "suggest_commands": app.suggest_commands,
    }
