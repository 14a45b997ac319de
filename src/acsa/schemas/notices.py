"""Notices as the API, the command line and the pages show them (acsa.services.notices)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from acsa.domain import limits


class NoticeOut(BaseModel):
    """One notice in a reader's inbox, in the reader's language."""

    id: int
    kind: str
    nation: str
    subject: str = Field(description="What it is about: order:12, invoice:<number>, audit...")
    order: int | None = None
    title: str = Field(description="The subject line, in the reader's language.")
    text: str = Field(description="What it says, in the reader's language.")
    params: dict[str, str]
    due: date | None = None
    as_of: date
    created_at: datetime
    read_at: datetime | None = None


class InboxOut(BaseModel):
    """A reader's notices, newest first, and how many are unread."""

    unread: int
    total: int
    items: list[NoticeOut]


class ReadAllOut(BaseModel):
    """Notices marked read by one "mark all read", and what is unread after."""

    marked: int
    unread: int


class CreatedNoticeOut(BaseModel):
    """A notice an alerts run made, and how many inboxes it went to."""

    id: int
    key: str
    kind: str
    nation: str
    roles: list[str]
    subject: str
    order: int | None = None
    due: date | None = None
    recipients: int


class AlertsIn(BaseModel):
    """POST /api/v1/alerts/run: the day (default today, UTC) and whether to run the deadline
    sweep first."""

    as_of: date | None = Field(default=None, ge=limits.DATE_MIN, le=limits.DATE_MAX)
    sweep: bool = Field(default=False, strict=True)


class SweptOut(BaseModel):
    """What the deadline sweep converted to cash."""

    as_of: date
    converted: list[int] = Field(description="The orders converted to cash.")


class AlertsOut(BaseModel):
    """What one alerts run made: the notices new on ``as_of``, and the sweep's outcome."""

    as_of: date
    created: list[CreatedNoticeOut]
    inbox_rows: int
    sweep: SweptOut | None = None
