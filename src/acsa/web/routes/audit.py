"""The audit log for auditors and administrators: the records of the visitor's nation (the
changes its people made and those of orders it is party to), or of one order, with who did
what when and what it changed; and the check of the hash chain: of what it gained since its
latest signed checkpoint on every load, of the whole chain on demand (``?full=1``). Others are
refused (403); an order of another nation is not found (404)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from acsa.domain.access import Permission, require_permission
from acsa.services.audit import (
    AuditRecordOut,
    AuditVerifyOut,
    FullCheckOut,
    RecentCheckOut,
    audit_log,
    verify_audit,
    verify_recent,
)
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
    #: The whole chain's check, when it ran for this page (asked for, or no checkpoint yet).
    check: AuditVerifyOut | None
    #: Else the check since the latest signed checkpoint.
    recent: RecentCheckOut | None = None
    #: When the whole chain was last checked (before this page, when it was not checked now).
    last_full: FullCheckOut | None = None

    @property
    def ok(self) -> bool:
        found = self.check if self.check is not None else self.recent
        return found is not None and found.ok

    @property
    def checkpoint_at(self) -> datetime | None:
        """When the checkpoint the recent check started from was taken."""
        if self.recent is None:
            return None
        return datetime.fromisoformat(self.recent.checkpoint.checkpoint.at)

    @property
    def full_at(self) -> datetime | None:
        """When the whole chain was last checked (before this page)."""
        return None if self.last_full is None else datetime.fromisoformat(self.last_full.at)

    @property
    def full_link(self) -> str:
        """This page with the whole chain checked."""
        return "/audit?full=1" + (f"&order={self.order}" if self.order else "")

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


def audit_page(who: Visitor, order: str | None, page: str | None, full: bool = False) -> AuditPage:
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
    recent = None if full else verify_recent(who.reader(), nation=who.nation)
    check = (
        verify_audit(who.reader(), nation=who.nation, keep_outcome=True) if recent is None else None
    )
    return AuditPage(
        order=oid,
        page=number,
        rows=[_row(r) for r in records[:PAGE_SIZE]],
        has_next=len(records) > PAGE_SIZE,
        check=check,
        recent=recent,
        last_full=None if recent is None else recent.last_full,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[str | None, Query(max_length=40)] = None,
    full: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    """The audit log of the nation or of one order, newest first, and the chain check: since
    the latest signed checkpoint, or of the whole chain with ``full=1``."""
    view = audit_page(who, order, page, full=full not in (None, "", "0"))
    return pages.render(request, "audit_log.html", who, title=N_("Audit log"), view=view)
