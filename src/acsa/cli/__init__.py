"""The ``acsa`` command: thin. Parse, call one service (or, with ``--server``, the same
operation of the REST API), print."""

from __future__ import annotations

import typer

from acsa.cli import (
    agreements,
    audit,
    books,
    exchange,
    history_import,
    ledger,
    order_forms,  # noqa: F401  (adds `acsa orders form`)
    orders,
    rates,
    report,
    report_annual,  # noqa: F401  (adds `acsa report annual`)
    report_exceptions,  # noqa: F401  (adds `acsa report exceptions`)
    settle,
    system,
    users,
)
from acsa.cli.common import ServerOption, TokenOption, close_server, use_server

app = typer.Typer(
    name="acsa",
    no_args_is_help=True,
    rich_markup_mode="rich",
    help=system.HELP,
)


@app.callback()
def _options(ctx: typer.Context, server: ServerOption = None, token: TokenOption = None) -> None:
    use_server(server, token)
    ctx.call_on_close(close_server)


system.register(app)
app.add_typer(agreements.app, name="agreements")
app.add_typer(orders.app, name="orders")
app.add_typer(settle.invoices_app, name="invoices")
app.add_typer(settle.payments_app, name="payments")
app.add_typer(settle.settle_app, name="settle")
app.add_typer(ledger.app, name="ledger")
app.add_typer(report.app, name="report")
app.add_typer(rates.app, name="rates")
app.add_typer(history_import.app, name="import")
app.add_typer(users.users_app, name="users")
app.add_typer(users.tokens_app, name="tokens")
app.add_typer(audit.app, name="audit")
app.add_typer(books.app, name="books")
app.add_typer(exchange.node_app, name="node")
app.add_typer(exchange.partners_app, name="partners")
app.add_typer(exchange.exchange_app, name="exchange")


def main() -> None:
    app()
