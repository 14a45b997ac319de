"""The audit log for auditors and administrators: the records of the visitor's nation (the
changes its people made and those of orders it is party to), or of one order, with who did
what when and what it changed; and the check of the whole hash chain. Others are refused
(403); an order of another nation is not found (404)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from acsa.domain.access import Permission, require_permission
from acsa.services.audit import AuditRecordOut, AuditVerifyOut, audit_log, verify_audit
from acsa.services.orders import get_order
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, visitor
from acsa.web.tables import N_
from acsa.web.views import parse_order_id, parse_page

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]

PAGE_SIZE = 100
#: Changes shown per record before "and N more".
MAX_CHANGES = 24
#: Longest value shown in full.
MAX_TEXT = 240


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Row:
    """A record as the page shows it: what changed, field by field, where the record keeps
    the same thing before and after (an order's state); else what it kept before and after."""

    record: AuditRecordOut
    at: datetime
    changes: list[Change]
    before: list[tuple[str, str]]
    after: list[tuple[str, str]]
    more: int


@dataclass(frozen=True)
class AuditPage:
    order: int | None
    page: int
    rows: list[Row]
    has_next: bool
    check: AuditVerifyOut

    def link(self, page: int) -> str:
        query = f"page={page}" + (f"&order={self.order}" if self.order else "")
        return f"/audit?{query}"


def _flat(value: Any, path: str, out: dict[str, Any]) -> None:
    """Nested values as ``path: value`` (the lines of an order keyed by their number)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(inner, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, inner in enumerate(value, start=1):
            number = inner.get("number", inner.get("line", index))
            _flat(inner, f"{path} {number}" if path else str(number), out)
    else:
        out[path] = value


def _text(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _flattened(value: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if value is not None:
        _flat(value, "", found)
    return found


def changes(before: Any, after: Any) -> list[Change]:
    """What a record changed: every field whose value differs, before → after."""
    old, new = _flattened(before), _flattened(after)
    keys = list(dict.fromkeys([*old, *new]))
    return [
        Change(key, _text(old.get(key)), _text(new.get(key)))
        for key in keys
        if old.get(key) != new.get(key)
    ]


def _same_shape(before: Any, after: Any) -> bool:
    """Whether before and after are the same kind of thing (most of their fields shared)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return False
    shared = set(before) & set(after)
    return len(shared) * 2 >= max(len(before), len(after))


def _fields(value: Any) -> list[tuple[str, str]]:
    return [(key, _text(v)) for key, v in _flattened(value).items()]


def _row(record: AuditRecordOut) -> Row:
    at = datetime.fromisoformat(record.at)
    if _same_shape(record.before, record.after):
        found = changes(record.before, record.after)
        return Row(record, at, found[:MAX_CHANGES], [], [], max(0, len(found) - MAX_CHANGES))
    before, after = _fields(record.before), _fields(record.after)
    more = max(0, len(before) - MAX_CHANGES) + max(0, len(after) - MAX_CHANGES)
    return Row(record, at, [], before[:MAX_CHANGES], after[:MAX_CHANGES], more)


def audit_page(who: Visitor, order: str | None, page: str | None) -> AuditPage:
    require_permission(who.principal, Permission.READ_AUDIT)
    oid = parse_order_id(order) if order and order.strip() else None
    if oid is not None:
        get_order(who.reader(), oid)  # not found unless the nation is party to it
    number = parse_page(page)
    records = audit_log(
        who.reader(),
        oid,
        nation=who.nation,
        limit=PAGE_SIZE + 1,
        offset=(number - 1) * PAGE_SIZE,
        newest_first=True,
    )
    return AuditPage(
        order=oid,
        page=number,
        rows=[_row(r) for r in records[:PAGE_SIZE]],
        has_next=len(records) > PAGE_SIZE,
        check=verify_audit(who.reader(), nation=who.nation),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """The audit log of the nation or of one order, newest first, and the chain check."""
    view = audit_page(who, order, page)
    return pages.render(request, "audit_log.html", who, title=N_("Audit log"), view=view)
