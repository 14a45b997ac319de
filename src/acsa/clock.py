"""The one clock: timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utc_now().date()
