"""Point lots: which credit each point still in a balance came from, and when it expires. Pure: no I/O.

A ledger credit (an `earn`, or a positive `adjust`) is a lot. Its points expire at the end of the local
day (the retailer's time zone) that is `months` calendar months after the day they were credited, or
after the day expiry was turned on for older credits (`Policy.since`): earned on 31 January with 1
month, usable through 28 (or 29) February, gone at midnight after it. The ledger says what happened;
`replay` says, entry by entry in ledger order, what each debit took from which lot:

- a credit first pays back what the balance owes (a take-back that went below zero), then is a lot
  with what is left of it;
- a debit takes from the lot it names first (`detail["lot"]`: the earning a return or void takes back,
  or the lot an expiry ends), then from the oldest lots not yet expired at its time, then from the
  oldest expired lots an expiry has not recorded yet (the balance let it spend them), and whatever is
  still missing is owed;
- an expiry entry ends its lot: nothing is taken from it afterwards.

So the lots' points less what is owed always equal the balance, and something is owed only when every
lot is empty: an expiry, which takes what is left of one lot, never takes the balance below zero.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

CREDIT_KINDS = ("earn", "adjust")


class Entry(Protocol):
    """What `replay` reads of a ledger entry (`repository.LedgerRow` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def available_delta(self) -> int: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def at(self) -> datetime: ...


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or the last day of that month if it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of local `day`, in UTC (a midnight skipped by a clock change: the first
    instant after it, which is what a wall time in the gap with fold=0 gives)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Policy:
    """A retailer's expiry: `months` after the credit's local day, counted from `since` at the earliest."""

    months: int
    zone: ZoneInfo
    since: datetime

    def expires_at(self, credited_at: datetime) -> datetime:
        """When points credited at `credited_at` expire: midnight at the end of the local day `months`
        after it (or after `since`, if later)."""
        day = max(credited_at, self.since).astimezone(self.zone).date()
        return start_of_day(add_months(day, self.months) + timedelta(days=1), self.zone)

    def cutoff(self, now: datetime) -> datetime:
        """The instant before which a credit has expired by `now`: `expires_at(t) <= now` exactly when
        `max(t, since) < cutoff(now)`. Lets the expiry run ask the database for due balances only."""
        last = now.astimezone(self.zone).date() - timedelta(days=1)  # the last local day fully past
        year, month = divmod(last.month - 1 - self.months, 12)
        year += last.year
        month += 1
        length = calendar.monthrange(year, month)[1]
        # Every day of a month adds up to that month's end when `last` is the end of its own month.
        month_end = last.day == calendar.monthrange(last.year, last.month)[1]
        latest = date(year, month, length if month_end else min(last.day, length))
        return start_of_day(latest + timedelta(days=1), self.zone)


@dataclass(slots=True)
class Lot:
    entry_id: int
    credited_at: datetime
    points: int  # what the credit added
    left: int  # what no debit has taken yet
    expires_at: datetime | None  # None: the retailer's points do not expire
    ended: bool = False  # an expiry entry recorded its end: nothing more is taken from it


@dataclass(slots=True)
class Book:
    """A balance's lots, oldest first, and what it owes."""

    lots: list[Lot] = field(default_factory=list)
    owed: int = 0

    def due(self, now: datetime) -> list[Lot]:
        """Lots with points left whose time is up by `now`: what an expiry run ends."""
        return [lot for lot in self.lots if lot.left > 0 and not lot.ended and _past(lot, now)]

    def oldest_left_at(self) -> datetime | None:
        """The credit time of the oldest lot still holding points (the balance's expiry bookmark)."""
        return min((lot.credited_at for lot in self.lots if lot.left > 0 and not lot.ended), default=None)

    def upcoming(self, now: datetime) -> list[tuple[datetime, int]]:
        """(when, points) still to expire after `now`, soonest first, one row per instant."""
        due: dict[datetime, int] = {}
        for lot in self.lots:
            if lot.left > 0 and not lot.ended and lot.expires_at is not None and lot.expires_at > now:
                due[lot.expires_at] = due.get(lot.expires_at, 0) + lot.left
        return sorted(due.items())


def replay(entries: Iterable[Entry], policy: Policy | None) -> Book:
    """The lots of one balance after `entries` (all of its ledger, in ledger order). Without a policy no
    lot is ever past its time, so debits take plainly from the oldest."""
    book = Book()
    by_id: dict[int, Lot] = {}
    for entry in entries:
        if entry.available_delta > 0:
            paid = min(book.owed, entry.available_delta)
            book.owed -= paid
            expires = policy.expires_at(entry.at) if policy is not None else None
            lot = Lot(entry.id, entry.at, entry.available_delta, entry.available_delta - paid, expires)
            book.lots.append(lot)
            by_id[entry.id] = lot
            continue
        named = by_id.get(int(entry.detail.get("lot") or 0))
        _take(book, -entry.available_delta, named, entry.at)
        if entry.kind == "expire" and named is not None:
            named.ended = True
    return book


def _past(lot: Lot, at: datetime) -> bool:
    return lot.expires_at is not None and lot.expires_at <= at


def _take(book: Book, points: int, named: Lot | None, at: datetime) -> None:
    first = [named] if named is not None and not named.ended else []
    order = sorted(
        (lot for lot in book.lots if lot is not named and not lot.ended and lot.left > 0),
        key=lambda lot: (_past(lot, at), lot.credited_at, lot.entry_id),
    )
    for lot in first + order:
        if points == 0:
            return
        taken = min(points, lot.left)
        lot.left -= taken
        points -= taken
    book.owed += points
