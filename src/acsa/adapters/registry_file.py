"""Agreement files: the shipped registry (YAML) and users' add/amend files (YAML or JSON)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from acsa.domain.errors import AcsaError, Code

REGISTRY_RESOURCE = "agreements.yaml"


def read_document(path: Path) -> Any:
    """A JSON or YAML document from ``path``; numbers in JSON are read as exact decimals."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT, "file", f"cannot read {path}: {exc.strerror}"
        ) from None
    return parse_document(text, str(path))


def parse_document(text: str, name: str = "document") -> Any:
    try:
        if name.endswith((".yaml", ".yml")):
            return yaml.safe_load(text)
        return json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise AcsaError.single(Code.INVALID_INPUT, "file", f"{name} is not valid: {exc}") from None


def shipped_registry() -> list[dict[str, Any]]:
    """The agreements acsa ships, as plain documents (see ``data/agreements.yaml``)."""
    text = resources.files("acsa.data").joinpath(REGISTRY_RESOURCE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    agreements: list[dict[str, Any]] = data["agreements"]
    return agreements
