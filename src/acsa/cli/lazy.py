"""The root ``acsa`` group builds a sub-group (``acsa orders``, ``acsa ledger``...) only when it
is used: ``acsa orders list`` builds the ``orders`` commands' parameters, not every group's.
Listing the groups (``acsa --help``, shell completion of the first word) shows each group's
name and help line from a stand-in that has no commands; any other look-up builds the real
group, exactly as Typer builds it, once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import typer
from typer._click import Command as ClickCommand
from typer._click import Context, HelpFormatter
from typer.core import TyperGroup
from typer.main import get_group_from_info, solve_typer_info_defaults
from typer.models import TyperInfo


class _StandIn(TyperGroup):
    """A group's name and help, for a listing of the root's commands."""


class LazyRoot(TyperGroup):
    """A root group whose sub-groups ``defer`` took from its Typer app."""

    #: The sub-groups' infos, by name, in the order they were added (set by ``defer``).
    deferred: ClassVar[dict[str, TyperInfo]] = {}
    #: Typer's settings for building them (set by ``defer``).
    settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = 0
        for name, info in self.deferred.items():
            self.commands[name] = stand_in(info, self.rich_markup_mode)

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
            command = self.commands[cmd_name] = get_group_from_info(
                self.deferred[cmd_name], **self.settings
            )
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with self.listing():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[Any]:
        with self.listing():
            return super().shell_complete(ctx, incomplete)


def stand_in(info: TyperInfo, rich_markup_mode: Any) -> _StandIn:
    solved = solve_typer_info_defaults(info)
    return _StandIn(
        name=solved.name or "",
        help=solved.help,
        short_help=solved.short_help,
        hidden=bool(solved.hidden),
        deprecated=bool(solved.deprecated),
        rich_markup_mode=rich_markup_mode,
        rich_help_panel=solved.rich_help_panel,
    )


def defer(app: typer.Typer) -> None:
    """Take ``app``'s sub-groups (its ``add_typer`` calls so far) to be built on first use by
    its root group, which must be a ``LazyRoot``."""
    LazyRoot.deferred = {info.name: info for info in app.registered_groups if info.name}
    assert len(LazyRoot.deferred) == len(app.registered_groups), "every sub-group has a name"
    LazyRoot.settings = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
        "suggest_commands": app.suggest_commands,
    }
    app.registered_groups.clear()
