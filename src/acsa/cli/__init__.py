"""The ``acsa`` command: thin. Parse, call one service, print."""

from __future__ import annotations

import typer

from acsa.cli import agreements, orders, system

app = typer.Typer(
    name="acsa",
    no_args_is_help=True,
    rich_markup_mode="rich",
    help=system.HELP,
)
system.register(app)
app.add_typer(agreements.app, name="agreements")
app.add_typer(orders.app, name="orders")


def main() -> None:
    app()
