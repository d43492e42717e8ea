"""The dashboard's figures for one period, read across the domains' tables in one read transaction.

Definitions (docs/DECISIONS.md, "Programme reports"):
- issued: user offers acquired in the period;
- redeemed: redemptions that stand, by the moment they happened: a user offer's `redeemed` event in the
  period, when the offer is Redeemed now and nothing happened to it since (a reinstated or voided
  redemption no longer counts, as in `pos.read_model`); its discount is the amount that event recorded;
- checks with an offer: checks closed in the period, not voided, that redeemed at least one offer;
  their revenue is what was paid: subtotal minus every discount on the check;
- points earned, spent and expired: ledger entries of those kinds in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import String, and_, case, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from openoffers.kit.db import Database
from openoffers.reports.period import Period
from openoffers.tables.offers import offers
from openoffers.tables.points import point_ledger
from openoffers.tables.pos import pos_transactions
from openoffers.tables.rules import loyalty_rule_issuances, loyalty_rules
from openoffers.tables.tenancy import stores
from openoffers.tables.wallet import EventKind, UserOfferStatus, user_offer_events, user_offers

EXPIRE_KIND = "expire"  # written by the expiry run (loyalty/expiry.py), dated when each lot's time ran out


@dataclass(frozen=True, slots=True)
class Summary:
    issued: int
    redeemed: int
    discount: int  # minor units
    checks: int
    revenue: int  # minor units
    points_earned: int
    points_spent: int
    points_expired: int

    @property
    def rate_basis_points(self) -> int | None:
        """Redeemed per issued in the same period, in basis points (rounded down); None if none issued."""
        return self.redeemed * 10000 // self.issued if self.issued else None


@dataclass(frozen=True, slots=True)
class OfferFigures:
    root_offer_id: UUID
    title: str
    issued: int
    redeemed: int
    discount: int


@dataclass(frozen=True, slots=True)
class RuleFigures:
    rule_id: UUID
    name: str
    issued: int
    points_earned: int
    points_spent: int


@dataclass(frozen=True, slots=True)
class StoreFigures:
    store_id: UUID
    name: str
    redeemed: int
    discount: int
    checks: int
    revenue: int


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    summary: Summary
    offers: list[OfferFigures]
    rules: list[RuleFigures]
    stores: list[StoreFigures]
    days: list[tuple[date, int, int]]  # (local day, issued, redeemed)


def rate_text(basis_points: int | None) -> str:
    """A redemption rate for people: "12.5%", or "—" when nothing was issued."""
    if basis_points is None:
        return "—"
    whole, rest = divmod(basis_points, 100)
    return f"{whole}.{rest:02d}%".replace(".00%", "%")


# --- The building blocks ------------------------------------------------------------------------


def standing_redemptions(retailer_id: UUID, start: datetime, end: datetime) -> Select[Any]:
    """One row per redemption that stands, redeemed in [start, end): its event, user offer and amount."""
    e, later = user_offer_events, user_offer_events.alias("later")
    return (
        select(
            e.c.at,
            e.c.user_offer_id,
            user_offers.c.root_offer_id,
            user_offers.c.offer_id,
            user_offers.c.user_id,
            e.c.detail["store_id"].as_string().label("store_id"),
            e.c.detail["transaction_id"].as_string().label("transaction_id"),
            func.coalesce(e.c.detail["amount"].as_integer(), 0).label("amount"),
        )
        .select_from(
            e.join(user_offers, and_(user_offers.c.id == e.c.user_offer_id, user_offers.c.retailer_id == retailer_id))
        )
        .where(
            e.c.retailer_id == retailer_id,
            e.c.kind == EventKind.REDEEMED,
            e.c.at >= start,
            e.c.at < end,
            user_offers.c.status == UserOfferStatus.REDEEMED,
            ~exists().where(later.c.user_offer_id == e.c.user_offer_id, later.c.id > e.c.id),
        )
    )


def _checks_with_offer(retailer_id: UUID, start: datetime, end: datetime) -> list[Any]:
    t = pos_transactions
    return [
        t.c.retailer_id == retailer_id,
        t.c.is_closed.is_(True),
        t.c.is_voided.is_(False),
        t.c.closed_at >= start,
        t.c.closed_at < end,
        # The redeemed ids are a JSON list; its text is "[]" when the check redeemed none, on both engines.
        cast(t.c.redeemed, String) != "[]",
    ]


def _ledger_sum(kind: str) -> Any:
    return func.coalesce(func.sum(case((point_ledger.c.kind == kind, point_ledger.c.amount), else_=0)), 0)


def _n(value: Any) -> int:
    return int(value or 0)


# --- The report ---------------------------------------------------------------------------------


async def report(db: Database, retailer_id: UUID, period: Period) -> Report:
    """Every figure of the dashboard for one period, in one read transaction (they agree with each other)."""
    async with db.read() as conn:
        return await report_in(conn, retailer_id, period)


async def report_in(conn: AsyncConnection, retailer_id: UUID, period: Period) -> Report:
    start, end = period.start, period.end
    issued_by_offer = {
        row.root_offer_id: _n(row.n)
        for row in await conn.execute(
            select(user_offers.c.root_offer_id, func.count().label("n"))
            .where(
                user_offers.c.retailer_id == retailer_id,
                user_offers.c.acquired_at >= start,
                user_offers.c.acquired_at < end,
            )
            .group_by(user_offers.c.root_offer_id)
        )
    }
    redemptions = standing_redemptions(retailer_id, start, end).subquery()
    redeemed_by_offer: dict[UUID, tuple[int, int]] = {}
    redeemed_by_store: dict[str, tuple[int, int]] = {}
    for row in await conn.execute(
        select(
            redemptions.c.root_offer_id,
            redemptions.c.store_id,
            func.count().label("n"),
            func.sum(redemptions.c.amount).label("amount"),
        ).group_by(redemptions.c.root_offer_id, redemptions.c.store_id)
    ):
        n, amount = _n(row.n), _n(row.amount)
        before = redeemed_by_offer.get(row.root_offer_id, (0, 0))
        redeemed_by_offer[row.root_offer_id] = (before[0] + n, before[1] + amount)
        before = redeemed_by_store.get(str(row.store_id), (0, 0))
        redeemed_by_store[str(row.store_id)] = (before[0] + n, before[1] + amount)
    t = pos_transactions
    checks_by_store = {
        str(row.store_id): (_n(row.n), _n(row.revenue))
        for row in await conn.execute(
            select(t.c.store_id, func.count().label("n"), func.sum(t.c.subtotal - t.c.discount_total).label("revenue"))
            .where(*_checks_with_offer(retailer_id, start, end))
            .group_by(t.c.store_id)
        )
    }
    points = (
        await conn.execute(
            select(_ledger_sum("earn"), _ledger_sum("spend"), _ledger_sum(EXPIRE_KIND)).where(
                point_ledger.c.retailer_id == retailer_id, point_ledger.c.at >= start, point_ledger.c.at < end
            )
        )
    ).one()
    summary = Summary(
        issued=sum(issued_by_offer.values()),
        redeemed=sum(n for n, _ in redeemed_by_offer.values()),
        discount=sum(a for _, a in redeemed_by_offer.values()),
        checks=sum(n for n, _ in checks_by_store.values()),
        revenue=sum(r for _, r in checks_by_store.values()),
        points_earned=_n(points[0]),
        points_spent=_n(points[1]),
        points_expired=_n(points[2]),
    )
    return Report(
        period=period,
        summary=summary,
        offers=await _by_offer(conn, retailer_id, issued_by_offer, redeemed_by_offer),
        rules=await _by_rule(conn, retailer_id, start, end),
        stores=await _by_store(conn, retailer_id, redeemed_by_store, checks_by_store),
        days=await _by_day(conn, retailer_id, period),
    )


async def offer_titles(conn: AsyncConnection, retailer_id: UUID, root_ids: set[UUID]) -> dict[UUID, str]:
    """Each offer's title as its latest revision says it."""
    titles: dict[UUID, tuple[int, str]] = {}
    if not root_ids:
        return {}
    for row in await conn.execute(
        select(offers.c.root_offer_id, offers.c.revision, offers.c.title).where(
            offers.c.retailer_id == retailer_id, offers.c.root_offer_id.in_(list(root_ids))
        )
    ):
        if row.root_offer_id not in titles or row.revision > titles[row.root_offer_id][0]:
            titles[row.root_offer_id] = (row.revision, row.title)
    return {k: v[1] for k, v in titles.items()}


async def _by_offer(
    conn: AsyncConnection,
    retailer_id: UUID,
    issued: dict[UUID, int],
    redeemed: dict[UUID, tuple[int, int]],
) -> list[OfferFigures]:
    roots = set(issued) | set(redeemed)
    titles = await offer_titles(conn, retailer_id, roots)
    rows = [
        OfferFigures(
            root_offer_id=root,
            title=titles.get(root, ""),
            issued=issued.get(root, 0),
            redeemed=redeemed.get(root, (0, 0))[0],
            discount=redeemed.get(root, (0, 0))[1],
        )
        for root in roots
    ]
    return sorted(rows, key=lambda r: (-r.redeemed, -r.issued, r.title, str(r.root_offer_id)))


async def _by_rule(conn: AsyncConnection, retailer_id: UUID, start: datetime, end: datetime) -> list[RuleFigures]:
    i = loyalty_rule_issuances
    issued = {
        str(row.rule_id): _n(row.n)
        for row in await conn.execute(
            select(i.c.rule_id, func.count().label("n"))
            .where(i.c.retailer_id == retailer_id, i.c.created_at >= start, i.c.created_at < end)
            .group_by(i.c.rule_id)
        )
    }
    rule_id = point_ledger.c.detail["rule_id"].as_string()
    points: dict[str, tuple[int, int]] = {}
    for row in await conn.execute(
        select(rule_id.label("rule_id"), _ledger_sum("earn").label("earned"), _ledger_sum("spend").label("spent"))
        .where(
            point_ledger.c.retailer_id == retailer_id,
            point_ledger.c.at >= start,
            point_ledger.c.at < end,
            rule_id.is_not(None),
        )
        .group_by(rule_id)
    ):
        points[str(row.rule_id)] = (_n(row.earned), _n(row.spent))
    names = {
        str(row.id): (row.id, row.name)
        for row in await conn.execute(
            select(loyalty_rules.c.id, loyalty_rules.c.name).where(loyalty_rules.c.retailer_id == retailer_id)
        )
    }
    rows = [
        RuleFigures(
            rule_id=names[key][0],
            name=names[key][1],
            issued=issued.get(key, 0),
            points_earned=points.get(key, (0, 0))[0],
            points_spent=points.get(key, (0, 0))[1],
        )
        for key in (set(issued) | set(points)) & set(names)
    ]
    return sorted(rows, key=lambda r: (-r.points_earned, -r.issued, r.name, str(r.rule_id)))


async def _by_store(
    conn: AsyncConnection,
    retailer_id: UUID,
    redeemed: dict[str, tuple[int, int]],
    checks: dict[str, tuple[int, int]],
) -> list[StoreFigures]:
    names = {
        str(row.id): (row.id, row.name)
        for row in await conn.execute(select(stores.c.id, stores.c.name).where(stores.c.retailer_id == retailer_id))
    }
    rows = [
        StoreFigures(
            store_id=names[key][0],
            name=names[key][1],
            redeemed=redeemed.get(key, (0, 0))[0],
            discount=redeemed.get(key, (0, 0))[1],
            checks=checks.get(key, (0, 0))[0],
            revenue=checks.get(key, (0, 0))[1],
        )
        for key in (set(redeemed) | set(checks)) & set(names)
    ]
    return sorted(rows, key=lambda r: (-r.discount, -r.checks, r.name, str(r.store_id)))


def _day_index(column: Any, bounds: list[datetime]) -> Any:
    """Which local day an instant falls on, as a number from 0, computed by the database (one CASE
    over the day starts), so a year of rows is grouped there, not fetched."""
    return case(*[(column < bound, index) for index, bound in enumerate(bounds[1:])], else_=None)


async def _by_day(conn: AsyncConnection, retailer_id: UUID, period: Period) -> list[tuple[date, int, int]]:
    bounds = period.day_starts()
    counts = [[0, 0] for _ in range(period.days)]
    acquired = _day_index(user_offers.c.acquired_at, bounds).label("day")
    for row in await conn.execute(
        select(acquired, func.count().label("n"))
        .where(
            user_offers.c.retailer_id == retailer_id,
            user_offers.c.acquired_at >= bounds[0],
            user_offers.c.acquired_at < bounds[-1],
        )
        .group_by(acquired)
    ):
        counts[int(row.day)][0] = _n(row.n)
    redemptions = standing_redemptions(retailer_id, bounds[0], bounds[-1]).subquery()
    redeemed = _day_index(redemptions.c.at, bounds).label("day")
    for row in await conn.execute(select(redeemed, func.count().label("n")).group_by(redeemed)):
        counts[int(row.day)][1] = _n(row.n)
    return [(period.first + timedelta(days=n), c[0], c[1]) for n, c in enumerate(counts)]
