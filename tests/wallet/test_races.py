"""Concurrent requests through the ASGI app, exact counts after, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, select

from openoffers.kit.db import Database
from openoffers.kit.ids import new_id
from openoffers.loyalty.points import repository as loyalty_repo
from openoffers.tables.wallet import offer_inventory, user_offers
from openoffers.wallet import users_repository as users_repo
from tests.conftest import FrozenClock, Tenant
from tests.wallet.wallet_support import create_offer, create_user, deposit, post


async def _users(db: Database, tenant: Tenant, clock: FrozenClock, count: int) -> list[UUID]:
    ids = [new_id() for _ in range(count)]
    async with db.write() as conn:
        for user_id in ids:
            await users_repo.insert_user(
                conn, users_repo.UserRow(user_id, tenant.retailer_id, None, "", "", None, None, {}, clock(), clock())
            )
    return ids


async def _gather(
    client: httpx.AsyncClient, tenant: Tenant, path: str, bodies: list[dict[str, Any]]
) -> list[httpx.Response]:
    base = {"retailer_id": str(tenant.retailer_id)}
    return list(await asyncio.gather(*(client.post(path, json=base | b, headers=tenant.auth) for b in bodies)))


async def _issued_per_user(db: Database, tenant: Tenant, root: str) -> Counter[UUID]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(user_offers.c.user_id, func.count())
            .where(user_offers.c.retailer_id == tenant.retailer_id, user_offers.c.root_offer_id == UUID(root))
            .group_by(user_offers.c.user_id)
        )
        return Counter({r[0]: int(r[1]) for r in rows})


async def test_200_concurrent_issues_never_oversell_an_inventory_of_50(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    offer_id = await create_offer(
        client, tenant, issuance=[{"type": "inventory", "total": 50}, {"type": "per_customer", "max": 3}]
    )
    users = await _users(db, tenant, clock, 20)
    bodies = [{"user_id": str(users[i % 20]), "offer_id": offer_id, "quantity": 1} for i in range(200)]
    responses = await _gather(client, tenant, "/api/2.0/offers/acquisition/issue", bodies)
    assert {r.status_code for r in responses} == {200}, {r.text for r in responses if r.status_code != 200}
    entries = [r.json()["payload"]["status_list"][0] for r in responses]
    outcomes = Counter(e["fail_reason_code"] for e in entries)
    assert outcomes[None] == 50
    assert set(outcomes) <= {None, "INVENTORY_EXHAUSTED", "PER_CUSTOMER_LIMIT"}
    per_user = await _issued_per_user(db, tenant, offer_id)
    assert sum(per_user.values()) == 50
    assert max(per_user.values()) <= 3
    async with db.read() as conn:
        remaining = (await conn.execute(select(offer_inventory.c.remaining))).scalar_one()
    assert remaining == 0
    details = await post(client, tenant, "/api/2.0/offers/fetch_offers_details", {"offer_ids": [offer_id]})
    assert (details["results"][0]["acquisition_count"], details["results"][0]["available_inventory_remaining"]) == (
        50,
        0,
    )


async def test_concurrent_issues_to_one_user_respect_per_customer_and_frequency(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    per_customer = await create_offer(client, tenant, issuance=[{"type": "per_customer", "max": 5}])
    frequency = await create_offer(
        client, tenant, issuance=[{"type": "frequency", "max": 2, "period_unit": "days", "period_value": 1}]
    )
    user_id = await create_user(client, tenant)
    bodies = [{"user_id": user_id, "offer_id": o, "quantity": 1} for o in (per_customer, frequency) for _ in range(40)]
    responses = await _gather(client, tenant, "/api/2.0/offers/acquisition/issue", bodies)
    assert {r.status_code for r in responses} == {200}
    reasons = Counter(
        (b["offer_id"], r.json()["payload"]["status_list"][0]["fail_reason_code"])
        for b, r in zip(bodies, responses, strict=True)
    )
    assert reasons == {
        (per_customer, None): 5,
        (per_customer, "PER_CUSTOMER_LIMIT"): 35,
        (frequency, None): 2,
        (frequency, "FREQUENCY_LIMIT"): 38,
    }
    assert sum((await _issued_per_user(db, tenant, per_customer)).values()) == 5
    assert sum((await _issued_per_user(db, tenant, frequency)).values()) == 2


async def test_100_concurrent_purchases_with_points_for_10(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    offer_id = await create_offer(client, tenant, common={"reward_store": True, "points_cost": 70})
    user_id = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 700)
    bodies = [{"user_id": user_id, "offer_id": offer_id, "quantity": 1} for _ in range(100)]
    responses = await _gather(client, tenant, "/api/2.0/offers/rewardstores/purchase_offer", bodies)
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 10, 409: 90}, {r.text for r in responses if r.status_code not in (200, 409)}
    assert {r.json()["errors"]["reason"] for r in responses if r.status_code == 409} == {"INSUFFICIENT_POINTS"}
    assert sum((await _issued_per_user(db, tenant, offer_id)).values()) == 10
    account = loyalty_repo.default_account_id(tenant.retailer_id)
    async with db.read() as conn:
        balance = await loyalty_repo.get_balance(conn, tenant.retailer_id, account, UUID(user_id))
        sums = await loyalty_repo.ledger_sums(conn, tenant.retailer_id, account, UUID(user_id))
    assert balance is not None
    assert (balance.available, balance.lifetime) == (0, 700)
    assert sums == (balance.available, balance.lifetime)
    history = await post(client, tenant, "/api/2.0/user_points/history", {"user_id": user_id, "take": 100})
    assert Counter(e["kind"] for e in history["results"]) == {"earn": 1, "spend": 10}
