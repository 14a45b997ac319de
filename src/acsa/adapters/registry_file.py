"""Agreement files: the shipped registry (YAML) and users' add/amend files (YAML or JSON)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code

REGISTRY_RESOURCE = "agreements.yaml"


def read_document(path: Path) -> Any:
    """A JSON or YAML document from ``path``; numbers in JSON are read as exact decimals.

    Any file is refused with a code rather than failing: one larger than DOCUMENT_BYTES_MAX
    (checked before it is read), not UTF-8 text, not JSON or YAML, or nested deeper than
    JSON_DEPTH_MAX (checked before a JSON file is parsed)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.DOCUMENT_BYTES_MAX + 1)
    except OSError as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "file",
            "cannot read {path}: {reason}",
            path=str(path),
            reason=exc.strerror or str(exc),
        ) from None
    if len(data) > limits.DOCUMENT_BYTES_MAX:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "file",
            "{path} is larger than {most} bytes, the most a document file may hold",
            path=str(path),
            most=Decimal(limits.DOCUMENT_BYTES_MAX),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "file",
            "{path} is not UTF-8 text (byte {byte} cannot be read); give a JSON or YAML document",
            path=str(path),
            byte=Decimal(exc.start),
        ) from None
    return parse_document(text, str(path))


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a document acsa takes needs none, and aliases can
    make a small file stand for billions of nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        return super().compose_node(parent, index)


def parse_document(text: str, name: str = "document") -> Any:
    """The JSON (or, for a ``.yaml``/``.yml`` name, YAML) document ``text``; INVALID_INPUT
    naming ``file`` when it cannot be read or nests deeper than JSON_DEPTH_MAX."""

    def refuse(reason: str) -> AcsaError:
        return AcsaError.single(
            Code.INVALID_INPUT, "file", "{name} is not valid: {reason}", name=name, reason=reason
        )

    too_deep = AcsaError.single(
        Code.INVALID_INPUT,
        "file",
        "{name} is not valid: it nests deeper than {depth} levels of lists and maps",
        name=name,
        depth=limits.JSON_DEPTH_MAX,
    )

    yaml_file = name.endswith((".yaml", ".yml"))
    if not yaml_file and limits.json_text_depth(text.encode("utf-8")) > limits.JSON_DEPTH_MAX:
        raise too_deep
    try:
        if yaml_file:
            value = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
        else:
            value = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise too_deep from None
    except (ValueError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        raise refuse(str(exc)[:300]) from None
    if limits.json_depth(value) > limits.JSON_DEPTH_MAX:
        raise too_deep
    return value


def shipped_registry() -> list[dict[str, Any]]:
    """The agreements acsa ships, as plain documents (see ``data/agreements.yaml``)."""
    text = resources.files("acsa.data").joinpath(REGISTRY_RESOURCE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    agreements: list[dict[str, Any]] = data["agreements"]
    return agreements
