"""(being written)"""

from __future__ import annotations

import typer

invoices_app = typer.Typer(no_args_is_help=True)
payments_app = typer.Typer(no_args_is_help=True)
settle_app = typer.Typer(no_args_is_help=True)
