"""Aware UTC time. Code asks the injected clock, never `datetime.now()`, so tests can pass time in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, the form every response uses."""
    if value is None:
        return None
    text = as_utc(value).isoformat()
    return text.replace("+00:00", "Z")
