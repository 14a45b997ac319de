"""acsa attachments add|list|get|required: source documents attached to orders and their steps."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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
from acsa.config import actor as acting
from acsa.domain.attachments import EXTENSIONS, TYPES
from acsa.domain.errors import AcsaError, Code

if TYPE_CHECKING:
    from acsa.services.attachments import AttachmentOut

HELP = "Source documents (PDF, images, spreadsheets, signed scans) attached to orders."
app = typer.Typer(no_args_is_help=True, help=HELP)

OrderArgument = Annotated[
    int, typer.Argument(metavar="ORDER", min=ID_MIN, max=ID_MAX, help="The order's number.")
]


def _media_type(path: Path) -> str:
    """The media type a file's name says (the content must be that type too)."""
    kind = EXTENSIONS.get(path.suffix.lower().lstrip("."))
    return "" if kind is None else TYPES[kind]


def _read(path: Path) -> bytes:
    from acsa.services.attachments import max_bytes

    most = max_bytes()
    try:
        with path.open("rb") as handle:
            return handle.read(most + 1)
    except OSError as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "FILE",
            "cannot read {path}: {problem}",
            path=str(path),
            problem=exc.strerror or str(exc),
        ) from None


def _show(found: list[AttachmentOut], as_json: bool) -> None:
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    from acsa.cli.render import show_result

    table = Table("sha256", "type", "size", "name", "step", "by", "at", title="source documents")
    for a in found:
        at = a.at.isoformat(timespec="seconds")
        who = f"{a.actor} ({a.nation})" if a.nation else a.actor
        table.add_row(a.sha256, a.type, str(a.size), a.name, a.step or "", who, at)
    show_result(table)


@app.command()
def add(
    order_id: OrderArgument,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to attach.")],
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            help="The step it backs: delivery:N or receipt:N (the order's history event N), "
            "invoice:NUMBER, payment:N or settlement:N; none: the order as a whole.",
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Attach a file (PDF, PNG, JPEG, XLSX, CSV) to an order or one of its steps; kept by its
    SHA-256, its type checked by its content, and sent to the partner's node."""
    with refusals(as_json):
        content = _read(file)
        api = remote(db, actor)
        if api is not None:
            from acsa.cli.client import refusal_of
            from acsa.services.attachments import AttachmentOut

            files = {"file": (file.name, content, _media_type(file) or "application/octet-stream")}
            response = api._http.post(
                f"/orders/{order_id}/attachments",
                files=files,
                data={"step": step} if step else {},
            )
            if not response.is_success:
                raise refusal_of(response)
            result = AttachmentOut.model_validate_json(response.content)
        else:
            from acsa.commands import AttachFile
            from acsa.services.handlers import handle

            command = AttachFile(
                order_id=order_id,
                name=file.name,
                media_type=_media_type(file),
                content=content,
                step=step,
            )
            result = handle(uow_for(engine_for(db)), command, acting(actor))
    if as_json:
        print_json(result)
        return
    _show([result], as_json)


@app.command("list")
def list_(order_id: OrderArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The files attached to an order, oldest first."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            from acsa.services.attachments import AttachmentOut

            found = api.many(AttachmentOut, f"/orders/{order_id}/attachments")
        else:
            from acsa.services.attachments import attachments_of

            found = attachments_of(uow_for(engine_for(db), read_only=True), order_id)
    _show(found, as_json)


@app.command()
def get(
    sha256: Annotated[str, typer.Argument(metavar="HASH", help="The file's SHA-256.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the file ('-': stdout).")
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the file with this SHA-256 (attached to an order you may see) to --output."""
    from acsa.domain.attachments import check_sha256
    from acsa.domain.attachments import sha256 as digest

    with refusals(as_json):
        check_sha256("HASH", sha256)
        api = remote(db)
        if api is not None:
            content = api.download(f"/attachments/{sha256}")
        else:
            from acsa.services.attachments import file_of

            _attached, content = file_of(uow_for(engine_for(db), read_only=True), sha256)
        if digest(content) != sha256:
            raise AcsaError.single(
                Code.ATTACHMENT_HASH_MISMATCH,
                "HASH",
                "the file's bytes hash to {actual}, not to {named} as its document says; "
                "nothing was recorded",
                actual=digest(content),
                named=sha256,
            )
        if str(output) == "-":
            sys.stdout.buffer.write(content)
            return
        output.write_bytes(content)
    if as_json:
        sys.stdout.write(
            json.dumps({"sha256": sha256, "size": len(content), "output": str(output)}) + "\n"
        )


@app.command()
def required(
    nation: Annotated[str, typer.Argument(metavar="NATION", help="The nation's code.")],
    steps: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[STEP]...",
            help="Set the steps NATION requires a source document for (delivery, receipt, "
            "invoice, payment, settlement); --none for none; neither: show them.",
        ),
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Require none.")] = False,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or set which steps NATION requires a source document for; the exceptions report
    lists the steps without one (default: none required)."""
    from acsa.services.attachments import required_steps, set_required_steps

    with refusals(as_json):
        engine = engine_for(db)
        code = nation.upper()
        if steps or none:
            found = set_required_steps(uow_for(engine), code, steps or [], acting(actor))
        else:
            found = required_steps(uow_for(engine, read_only=True), code)
    shown: dict[str, Any] = {"nation": code, "steps": found}
    if as_json:
        sys.stdout.write(json.dumps(shown) + "\n")
    else:
        out.print(f"{code}: {', '.join(found) or '-'}")
