"""Time in the rules core: aware-UTC checks, rule active windows, and store-local clock windows.

Nothing here reads a clock. The event carries `occurred_at` (an aware datetime, normally UTC) and, for a
closed check, the store's time zone; day-of-week and time-of-day conditions are judged on
`occurred_at` converted to that zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time


def require_aware(value: datetime | None, field: str) -> None:
    """Reject naive datetimes: comparing a naive and an aware time raises, or worse, silently lies."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{field} must be an aware datetime (UTC)")


def require_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    require_aware(starts_at, "starts_at")
    require_aware(ends_at, "ends_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")


def is_active(starts_at: datetime | None, ends_at: datetime | None, at: datetime) -> bool:
    """Inside the window: start inclusive, end exclusive; a missing bound is open."""
    if starts_at is not None and at < starts_at:
        return False
    return ends_at is None or at < ends_at


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A store-local wall-clock window, end exclusive.

    A window whose end is before its start spans midnight (22:00-02:00), as in PRICING.md. A window
    whose start equals its end is rejected: it would be either empty or the whole day, and a rule
    author who means "all day" should leave the time condition out.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("time windows are store-local wall-clock times; give naive times")
        if self.start == self.end:
            raise ValueError("a time window must not start where it ends")

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"
