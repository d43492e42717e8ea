"""The data behind the offer detail page's activity chart.

A read-only report over the wallet's tables, kept here because only the admin UI draws it; if the
API ever needs it, it moves to `wallet/repository.py` unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from openoffers.admin.charts import Point
from openoffers.kit.db import Database
from openoffers.tables.wallet import user_offers
from openoffers.wallet.lifecycle import REDEEMED


def day_bounds(first: date, last: date, timezone: str) -> list[datetime]:
    """The UTC instants at which each local day from `first` to `last` starts, plus the end of `last`
    (days are 23 or 25 hours long across a daylight-saving change)."""
    zone = ZoneInfo(timezone)
    days = (last - first).days + 2
    return [datetime.combine(first + timedelta(days=n), time(0), zone).astimezone(UTC) for n in range(days)]


async def activity_series(
    db: Database, retailer_id: UUID, root_offer_id: UUID, *, first: date, last: date, timezone: str
) -> list[Point]:
    """(day, issued, redeemed) for each local day from `first` to `last`, every revision of one offer.

    Issued counts user offers by the day they were acquired; redeemed counts user offers that are
    redeemed now, by the day of their redemption (a redeemed user offer changes no more, so its
    `updated_at` is that moment). Summed over all time they are `offer_details`' counts. An empty
    list when nothing happened in the window, so the chart says so instead of drawing zeros.
    """
    bounds = day_bounds(first, last, timezone)
    acquired, changed = user_offers.c.acquired_at, user_offers.c.updated_at
    redeemed = user_offers.c.status == REDEEMED
    columns = []
    for start, end in pairwise(bounds):
        columns.append(func.sum(case((and_(acquired >= start, acquired < end), 1), else_=0)))
        columns.append(func.sum(case((and_(redeemed, changed >= start, changed < end), 1), else_=0)))
    query = select(*columns).where(
        user_offers.c.retailer_id == retailer_id,
        user_offers.c.root_offer_id == root_offer_id,
        or_(
            and_(acquired >= bounds[0], acquired < bounds[-1]),
            and_(redeemed, changed >= bounds[0], changed < bounds[-1]),
        ),
    )
    async with db.read() as conn:
        row = (await conn.execute(query)).one()
    counts = [int(value or 0) for value in row]
    if not any(counts):
        return []
    return [(first + timedelta(days=n), counts[2 * n], counts[2 * n + 1]) for n in range(len(bounds) - 1)]
