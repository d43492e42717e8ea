"""Housekeeping: expiry events, stale locks released, old POS replies forgotten; a second round is a no-op."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from openoffers.kit.db import Database
from openoffers.maintenance import Report, run_once
from openoffers.settings import Settings
from openoffers.tables.pos import pos_requests
from openoffers.wallet.lifecycle import EXPIRED, ISSUED
from tests.conftest import FrozenClock, Tenant
from tests.pos.pos_support import create_offer, create_user, events_of, issue, lock, status_of


async def _replies(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(pos_requests))).scalar_one())


async def test_one_round_records_expiry_releases_locks_and_purges_replies(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    short: dict[str, Any] = {"validity_unit": "days", "validity_period": 30}
    long: dict[str, Any] = {"validity_unit": "days", "validity_period": 365}
    expiring = await issue(client, tenant, user_id, await create_offer(client, tenant, common_config=short))
    locked = await issue(client, tenant, user_id, await create_offer(client, tenant, common_config=long))
    await lock(client, tenant, locked)
    assert await _replies(db) == 1

    clock.advance(days=31)
    settings = Settings(database_url=db.url, idempotency_ttl_hours=24)
    report = await run_once(db, settings, clock)

    assert report == Report(expired_user_offers=1, released_locks=1, purged_replies=1, expired_point_lots=0)
    assert await status_of(db, expiring) == EXPIRED
    assert await events_of(db, expiring) == ["issued", "expired"]
    assert await status_of(db, locked) == ISSUED
    assert await events_of(db, locked) == ["issued", "locked", "lock_expired"]
    assert await _replies(db) == 0
    assert await run_once(db, settings, clock) == Report(0, 0, 0, 0)


async def test_nothing_due_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    user_offer = await issue(client, tenant, user_id, await create_offer(client, tenant))
    await lock(client, tenant, user_offer)
    report = await run_once(db, Settings(database_url=db.url), clock)
    assert report == Report(0, 0, 0, 0)
    assert await events_of(db, user_offer) == ["issued", "locked"]
    assert await _replies(db) == 1
