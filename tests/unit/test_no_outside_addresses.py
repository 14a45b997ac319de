"""No page of acsa asks anything of another host: its templates and static files name no
address outside the server (an SVG's XML namespace is a name, never fetched), and the API's
documentation loads Swagger UI from the files acsa serves itself."""

from __future__ import annotations

import re
from pathlib import Path

import acsa
from acsa.api import docs

WEB = Path(acsa.__file__).parent / "web"
#: An address on another host: a scheme's or a protocol-relative one (``//cdn.example``).
OUTSIDE = re.compile(r"(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
#: Names that look like addresses but are never fetched.
NAMESPACES = frozenset({"http://www.w3.org"})


def test_templates_and_static_files_name_no_outside_address() -> None:
    found = [
        f"{path.relative_to(WEB)}: {match}"
        for folder in ("templates", "static")
        for path in sorted((WEB / folder).rglob("*"))
        if path.is_file()
        for match in OUTSIDE.findall(path.read_text(encoding="utf-8", errors="replace"))
        if match not in NAMESPACES
    ]
    assert found == []


def test_the_api_documentation_ships_with_acsa() -> None:
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert (docs.ASSETS / name).stat().st_size > 10_000, name
