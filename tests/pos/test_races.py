"""Races against `openoffers serve --workers 2` (two server processes on one database), on SQLite and
PostgreSQL, with exact counts after: many terminals fighting over one user offer redeem it once; duplicates
of one send_transaction apply once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.tables.points import point_ledger
from openoffers.tables.pos import pos_transactions
from openoffers.tables.wallet import user_offer_events
from tests.conftest import QUEUEING_ENV, FrozenClock, Tenant, _truncate_pg, make_tenant
from tests.pos.pos_support import (
    LOCK,
    REDEEM,
    SEND,
    api,
    as_discount,
    check,
    customer_with_offer,
    envelope,
    lock_body,
    status_of,
)
from tests.serve_support import serving

TERMINALS = 50
DUPLICATES = 100


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    # Small pools, so that a hundred concurrent requests also queue for connections.
    with serving(url, tmp_path, workers=2, env={"OPENOFFERS_DB_POOL_SIZE": "5", **QUEUEING_ENV}) as base_url:
        yield base_url, url


@pytest.fixture
async def world(two_workers: tuple[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient, Database, Tenant]]:
    base_url, url = two_workers
    db = Database(url, pool_size=2)
    tenant = await make_tenant(db, FrozenClock(utc_now()))
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        yield client, db, tenant
    await db.dispose()


async def _count(db: Database, query: Any) -> int:
    async with db.read() as conn:
        return int((await conn.execute(query)).scalar_one())


async def test_fifty_terminals_fighting_over_one_user_offer_redeem_it_once(
    world: tuple[httpx.AsyncClient, Database, Tenant],
) -> None:
    client, db, tenant = world
    _, uo = await customer_with_offer(client, tenant)

    async def terminal(index: int) -> tuple[str, int]:
        """Half lock then close their check with the discount (locked or not); half redeem at once."""
        transaction = check(f"T-{index}")
        if index % 2:
            response = await client.post(
                REDEEM, json=envelope(tenant, lock_body(uo, transaction)), headers=tenant.pos_auth
            )
            return "redeem", response.status_code
        locked = await client.post(LOCK, json=envelope(tenant, lock_body(uo, transaction)), headers=tenant.pos_auth)
        discount = (
            as_discount(locked.json()["payload"])
            if locked.status_code == 200
            else {"reference_id": uo, "discount_source": "sessionm", "amount": 5, "discounted_line_ids": ["0", "1"]}
        )
        closed = {**transaction, "discounts": [discount], "is_closed": True}
        sent = await client.post(SEND, json=envelope(tenant, closed), headers=tenant.pos_auth)
        return "close", sent.status_code

    outcomes = Counter(await asyncio.gather(*(terminal(i) for i in range(TERMINALS))))
    assert {status for _, status in outcomes} <= {200, 409, 422}, outcomes
    assert outcomes[("redeem", 200)] + outcomes[("close", 200)] == 1, outcomes
    assert await status_of(db, uo) == 3
    redeemed = select(func.count()).where(
        user_offer_events.c.user_offer_id == UUID(uo), user_offer_events.c.kind == "redeemed"
    )
    assert await _count(db, redeemed) == 1
    closed = select(func.count()).select_from(pos_transactions).where(pos_transactions.c.is_closed.is_(True))
    assert await _count(db, closed) == outcomes[("close", 200)]


async def test_a_hundred_duplicates_of_one_send_transaction_apply_once(
    world: tuple[httpx.AsyncClient, Database, Tenant],
) -> None:
    client, db, tenant = world
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    user_id, uo = await customer_with_offer(client, tenant)
    locked = await client.post(LOCK, json=envelope(tenant, lock_body(uo)), headers=tenant.pos_auth)
    assert locked.status_code == 200, locked.text
    closed = check(items=[check()["items"][0], {**check()["items"][1], "subtotal": "21"}], is_closed=True)
    closed["discounts"] = [as_discount(locked.json()["payload"])]
    duplicate = envelope(tenant, closed, request_id="close-once")
    # The POS retrying with the same request_id, and a few retries that made new request_ids.
    bodies = [duplicate] * DUPLICATES + [envelope(tenant, closed) for _ in range(10)]
    responses = await asyncio.gather(*(client.post(SEND, json=b, headers=tenant.pos_auth) for b in bodies))
    assert Counter(r.status_code for r in responses) == {200: DUPLICATES + 10}, {r.text for r in responses}
    assert {r.content for r in responses} == {b'{"status":"OK","payload":null,"errors":null}'}
    assert await status_of(db, uo) == 3
    redeemed = select(func.count()).where(
        user_offer_events.c.user_offer_id == UUID(uo), user_offer_events.c.kind == "redeemed"
    )
    assert await _count(db, redeemed) == 1
    earned = select(func.count()).where(point_ledger.c.user_id == UUID(user_id), point_ledger.c.kind == "earn")
    assert await _count(db, earned) == 1
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert balances["available_points"] == 26  # 10.00 + 21.00 - 5.00
