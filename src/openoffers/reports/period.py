"""A report's date range: whole local days in the retailer's time zone, as UTC instants.

Pure: the caller passes today's local date. A range is inclusive of both days; its UTC end is the start
of the day after `last`, so a day across a daylight-saving change is 23 or 25 hours long, as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openoffers.kit.errors import ValidationFailed

MAX_DAYS = 732  # two years: one CASE branch a day groups the chart in the database

PRESETS: dict[str, str] = {
    "today": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_year": "This year",
}


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date
    timezone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def day_starts(self) -> list[datetime]:
        """The UTC instant each local day starts, plus the end of the last day."""
        zone = ZoneInfo(self.timezone)
        return [
            datetime.combine(self.first + timedelta(days=n), time(0), zone).astimezone(UTC)
            for n in range(self.days + 1)
        ]

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), ZoneInfo(self.timezone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the day after `last`."""
        return datetime.combine(self.last + timedelta(days=1), time(0), ZoneInfo(self.timezone)).astimezone(UTC)


def preset(name: str, today: date, timezone: str) -> Period:
    """One of `PRESETS`, ending today (a month preset covers its whole month)."""
    if name == "today":
        return Period(today, today, timezone)
    if name == "7d":
        return Period(today - timedelta(days=6), today, timezone)
    if name == "30d":
        return Period(today - timedelta(days=29), today, timezone)
    if name == "this_month":
        return Period(today.replace(day=1), today, timezone)
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, timezone)
    if name == "this_year":
        return Period(date(today.year, 1, 1), today, timezone)
    raise ValidationFailed("unknown date range", fields={"range": [f"one of {', '.join(PRESETS)} or custom dates"]})


def parse_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{field} is not a date", fields={field: ["a date as YYYY-MM-DD"]}) from None


def custom(first: date, last: date, timezone: str) -> Period:
    """A custom range, both days included; refused when it ends before it starts or is too long."""
    if last < first:
        raise ValidationFailed("the range ends before it starts", fields={"to": ["on or after the first day"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed("the range is too long", fields={"to": [f"at most {MAX_DAYS} days after the first"]})
    return Period(first, last, timezone)


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()
