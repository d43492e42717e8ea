"""Point expiry: the retailer's setting (`loyalty_settings.points_expiry_months`), and the run that
records what has expired (every server's housekeeping, and `openoffers points expire`).

The model is `points/lots.py`'s: each credit is a lot, debits take from the oldest lots still live,
and a lot's expiry takes only what is left of it. The run writes one ledger `expire` entry per lot
through `ledger.post` (its reference `lot:{credit entry id}` makes it once, however many processes
run), dated when the lot's time ran out, by `system`; the ledger publishes `points.expired`.

Concurrency: a batch holds the balances it works on (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write
lock on SQLite) before it reads their ledgers, so every change to them either committed before the
read or waits for the batch and applies after it: the expiry takes what was left, never what a
concurrent spend took, and the balance never goes below zero. A batch waits for no lock while it holds
one (rows held elsewhere are skipped), so it cannot deadlock with a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.driver import insert_ignore
from openoffers.kit.errors import ValidationFailed
from openoffers.loyalty.points import ledger
from openoffers.loyalty.points import lots as lot_book
from openoffers.loyalty.points import repository as repo
from openoffers.loyalty.rules import clawback
from openoffers.tables.rules import loyalty_settings
from openoffers.tables.tenancy import retailers
from openoffers.wallet.lifecycle import SYSTEM_ACTOR

MAX_MONTHS = 120
REASON = "points expired"
BATCH = 100  # balances per transaction: a batch holds them (and on SQLite the write lock) while it works

_MONTHS_PROBLEM = f"must be a whole number of months from 1 to {MAX_MONTHS}, or 0 for never"


@dataclass(frozen=True, slots=True)
class Setting:
    months: int | None  # None: points never expire
    since: datetime | None  # when expiry was last turned on

    def as_json(self) -> dict[str, Any]:
        return {"points_expiry_months": self.months or 0}


NEVER = Setting(None, None)


async def setting_of(conn: AsyncConnection, retailer_id: UUID) -> Setting:
    row = (
        await conn.execute(
            select(loyalty_settings.c.points_expiry_months, loyalty_settings.c.points_expiry_since).where(
                loyalty_settings.c.retailer_id == retailer_id
            )
        )
    ).first()
    if row is None or not row.points_expiry_months:
        return NEVER
    return Setting(int(row.points_expiry_months), row.points_expiry_since)


def months_of(value: int | None) -> int | None:
    """The stored form of a setting as given: None (never) for None or 0; refused outside 0..MAX_MONTHS."""
    if value is None or value == 0:
        return None
    if not 1 <= value <= MAX_MONTHS:
        raise ValidationFailed.field("points_expiry_months", _MONTHS_PROBLEM)
    return value


async def set_setting(
    conn: AsyncConnection, retailer_id: UUID, months: int | None, now: datetime
) -> tuple[Setting, Setting]:
    """Set the expiry (None or 0: never) and answer (before, after). Turning it on starts `since` now, so
    points credited earlier get the full period from today rather than expiring at once; changing the
    number of months while on keeps `since` (the new period applies to every lot)."""
    stored = months_of(months)
    await insert_ignore(
        conn,
        loyalty_settings,
        {"retailer_id": retailer_id, "points_clawback": clawback.NEGATIVE, "updated_at": now},
        ["retailer_id"],
    )
    before = await setting_of(conn, retailer_id)
    since = None if stored is None else (before.since if before.months else now)
    await conn.execute(
        loyalty_settings.update()
        .where(loyalty_settings.c.retailer_id == retailer_id)
        .values(points_expiry_months=stored, points_expiry_since=since, updated_at=now)
    )
    return before, Setting(stored, since)


async def policy_of(conn: AsyncConnection, retailer_id: UUID) -> lot_book.Policy | None:
    """The retailer's expiry in its time zone, or None when its points never expire."""
    row = (
        await conn.execute(
            select(
                loyalty_settings.c.points_expiry_months, loyalty_settings.c.points_expiry_since, retailers.c.timezone
            )
            .select_from(loyalty_settings.join(retailers, retailers.c.id == loyalty_settings.c.retailer_id))
            .where(loyalty_settings.c.retailer_id == retailer_id)
        )
    ).first()
    if row is None or not row.points_expiry_months or row.points_expiry_since is None:
        return None
    return lot_book.Policy(int(row.points_expiry_months), ZoneInfo(row.timezone), row.points_expiry_since)


async def book_of(
    conn: AsyncConnection, retailer_id: UUID, account_id: UUID, user_id: UUID, policy: lot_book.Policy | None
) -> lot_book.Book:
    """One balance's lots as its ledger has them now."""
    return lot_book.replay(await repo.balance_entries(conn, retailer_id, account_id, user_id), policy)


async def expire_batch(conn: AsyncConnection, retailer_id: UUID, now: datetime, limit: int) -> tuple[int, int]:
    """Record the expiry of every due lot of up to `limit` of the retailer's balances, in the caller's
    transaction: (balances looked at, lots expired). Fewer looked at than `limit`: no more are due."""
    policy = await policy_of(conn, retailer_id)
    if policy is None:
        return 0, 0
    cutoff = policy.cutoff(now)
    if policy.since >= cutoff:  # turned on too recently for anything to have expired
        return 0, 0
    due = await repo.due_balances(conn, retailer_id, cutoff, limit)
    ended = 0
    for account_id, user_id in due:
        book = await book_of(conn, retailer_id, account_id, user_id, policy)
        for lot in book.due(now):
            assert lot.expires_at is not None
            await ledger.post(
                conn,
                retailer_id=retailer_id,
                user_id=user_id,
                account_id=account_id,
                kind="expire",
                amount=lot.left,
                now=lot.expires_at,
                actor=SYSTEM_ACTOR,
                reason=REASON,
                reference_id=repo.lot_reference(lot.entry_id),
                detail={"lot": lot.entry_id, "credited": lot.points, "credited_at": iso_z(lot.credited_at)},
            )
            lot.left, lot.ended = 0, True
            ended += 1
        await repo.set_oldest_lot(conn, retailer_id, account_id, user_id, book.oldest_left_at())
    return len(due), ended


async def expiring_retailers(db: Database) -> list[UUID]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(loyalty_settings.c.retailer_id)
            .where(loyalty_settings.c.points_expiry_months > 0)
            .order_by(loyalty_settings.c.retailer_id)
        )
        return [r.retailer_id for r in rows]


async def expire_due(db: Database, now: datetime, *, batch: int = BATCH) -> int:
    """Record every expiry due by `now`, for every retailer whose points expire: one short transaction
    per batch of balances. How many lots expired."""
    expired = 0
    for retailer_id in await expiring_retailers(db):
        while True:
            async with db.write() as conn:
                seen, ended = await expire_batch(conn, retailer_id, now, batch)
            expired += ended
            if seen < batch:
                break
    return expired
