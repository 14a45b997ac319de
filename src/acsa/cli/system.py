"""acsa info, init, demo, serve."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from acsa import __version__
from acsa.cli.common import DbOption, JsonOption, engine_for, out, refusals, uow_for
from acsa.cli.render import show_result
from acsa.config import database_url, default_database_path
from acsa.domain.errors import AcsaError, Code

HELP = (
    "acsa: mutual logistics support under Acquisition and Cross-Servicing Agreements.\n\n"
    f"Database: --db URL, else ACSA_DATABASE_URL, else the SQLite file "
    f"{default_database_path()}\n\n"
    "Server: --server URL and --token TOKEN (or ACSA_SERVER and ACSA_TOKEN) work through an "
    "acsa server's API instead, as the token's user; commands that need the database itself "
    "(info, init, demo, serve, rates, import) refuse then."
)


def register(app: typer.Typer) -> None:
    app.command()(info)
    app.command()(init)
    app.command()(demo)
    app.command()(serve)


def info(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Where the database is, its schema revision and what it holds."""
    from acsa.adapters.db.migrate import current_revision, head_revision

    url = database_url(db)
    with refusals(as_json):
        engine = engine_for(db, check_schema=False)
        revision = current_revision(engine)
        counts: dict[str, int] = {}
        agreements = 0
        if revision is not None:
            with uow_for(engine, read_only=True) as uow:
                counts = uow.orders.count_by_status()
                agreements = len(uow.agreements.find())
    facts = {
        "version": __version__,
        "database_url": engine.url.render_as_string(hide_password=True),
        "default_database": str(default_database_path()),
        "schema_revision": revision,
        "schema_head": head_revision(),
        "agreements": agreements,
        "orders": counts,
    }
    if as_json:
        sys.stdout.write(json.dumps(facts, indent=2) + "\n")
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("acsa", __version__)
    table.add_row("database", url)
    table.add_row("default database", str(default_database_path()))
    table.add_row("schema", f"{revision or 'none (run `acsa init`)'} (newest: {head_revision()})")
    table.add_row("agreements", str(agreements))
    table.add_row("orders", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none")
    show_result(table)


def init(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create or migrate the database and load the agreement registry. Safe to run again."""
    from acsa.services.setup import init_database

    with refusals(as_json):
        report = init_database(engine_for(db, check_schema=False))
    if as_json:
        sys.stdout.write(json.dumps(report.__dict__, indent=2) + "\n")
        return
    out.print(
        f"database ready at schema {report.revision}; registry: {report.agreements_added} "
        f"agreements and {report.versions_added} versions added"
        + (
            f", {report.versions_corrected} versions corrected as this release's registry says"
            if report.versions_corrected
            else ""
        )
    )
    if report.kept_as_amended:
        out.print(
            "kept as your people amended them (the shipped registry corrects them; compare "
            "with `acsa agreements show`): " + ", ".join(report.kept_as_amended)
        )


def demo(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Fill the database with the demo scenario (initialising it first). Loads once."""
    from acsa.services.demo import load_demo
    from acsa.services.setup import init_database

    with refusals(as_json):
        engine = engine_for(db, check_schema=False)
        init_database(engine)
        report = load_demo(engine)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
        return
    if not report.loaded:
        out.print("the demo scenario is already loaded; nothing changed")
        return
    out.print(f"demo scenario loaded: {len(report.orders)} orders")
    for line in report.summary():
        out.print(f"  {line}", markup=False)


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (PostgreSQL; SQLite is served by one process, its writes "
            "being serialized anyway).",
        ),
    ] = 1,
) -> None:
    """Serve the REST API (/api/v1, docs at /docs) and the pages over HTTP."""
    import os

    import uvicorn

    from acsa.api.body_limit import limits_from_environment
    from acsa.api.checkpointer import checkpoint_interval_s
    from acsa.bootstrap import ENV_SERVE_URL, api_app
    from acsa.config import sign_in_policy, token_max_days
    from acsa.i18n import DEFAULT
    from acsa.schemas.language import set_reader_language

    url = database_url(db)
    with refusals(False):
        limits_from_environment()  # a bound that is no number of bytes stops here, coded
        checkpoint_interval_s()  # so does an audit checkpoint interval out of its bounds
        sign_in_policy()  # and a sign-in threshold or a token lifetime out of its bounds
        token_max_days()
        engine = engine_for(db)
        if workers > 1 and engine.dialect.name == "sqlite":
            raise AcsaError.single(
                Code.INVALID_INPUT,
                "--workers",
                "several workers need PostgreSQL; SQLite is served by one",
            )
    out.print(f"acsa serving {url} on http://{host}:{port} (API docs at /docs)")
    # The server answers each request in its reader's language (Accept-Language, the visitor's
    # setting), never in the language of the shell that started it.
    set_reader_language(DEFAULT)
    if workers > 1:
        os.environ[ENV_SERVE_URL] = url
        uvicorn.run(
            "acsa.bootstrap:worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            # Importing the app takes seconds on a busy machine; uvicorn's default 5 s
            # health check would kill and restart workers that are only starting.
            timeout_worker_healthcheck=30,
        )
        return
    uvicorn.run(api_app(db), host=host, port=port, log_level="info")
