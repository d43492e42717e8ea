"""Concurrent rule events, each in its own transaction, exact counts after, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable

import httpx

from openoffers import rules
from openoffers.kit.db import Database
from tests.conftest import FrozenClock, Tenant
from tests.loyalty.rules_support import (
    balance,
    check,
    close,
    earn_rule,
    five_dollar_offer,
    issuance_rows,
    threshold_rule,
    user_offer_rows,
)
from tests.wallet.wallet_support import create_user, deposit


async def test_50_concurrent_duplicates_of_a_check_issue_exactly_one_offer(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    await threshold_rule(client, tenant, offer_id, 200)
    await close(db, tenant, check(tenant, user_id, 15000, transaction_id="before", at=clock()), clock())
    event = check(tenant, user_id, 10000, transaction_id="crossing", at=clock())
    outcomes = await asyncio.gather(*(close(db, tenant, event, clock()) for _ in range(50)))
    applied = [o for o in outcomes if o != rules.Outcome()]
    assert len(applied) == 1
    assert (applied[0].points_earned(), sum(e.quantity for e in applied[0].offers_issued())) == (100, 1)
    assert await balance(db, tenant, user_id) == (250, 250)
    assert len(await user_offer_rows(db, tenant, user_id)) == 1
    assert len(await issuance_rows(db, tenant)) == 1


async def test_concurrent_checks_of_one_customer_cross_each_multiple_once(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    """Different checks at once: each sees the balance the previous one left, so 20 checks of 100
    points cross 200, 400, ... 2000 exactly once each: 10 offers, never 9 or 11."""
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    await threshold_rule(client, tenant, offer_id, 200)
    events = [check(tenant, user_id, 10000, transaction_id=f"c{i}", at=clock()) for i in range(20)]
    outcomes = await asyncio.gather(*(close(db, tenant, e, clock()) for e in events))
    assert sum(e.quantity for o in outcomes for e in o.offers_issued()) == 10
    assert await balance(db, tenant, user_id) == (2000, 2000)
    assert len(await user_offer_rows(db, tenant, user_id)) == 10


async def test_concurrent_deposits_and_checks_respect_a_once_rule_and_a_cap(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    once_offer = await five_dollar_offer(client, tenant, title="once")
    capped_offer = await five_dollar_offer(client, tenant, title="capped")
    await earn_rule(client, tenant)
    once = await threshold_rule(client, tenant, once_offer, 300, recurrence="once")
    capped = await threshold_rule(client, tenant, capped_offer, 100)
    base = {"retailer_id": str(tenant.retailer_id), "kind": "issuance", "recurrence": "every_time"}
    await client.post(
        "/api/2.0/rules/update",
        json={
            **base,
            "rule_id": capped["rule_id"],
            "offer_id": capped_offer,
            "trigger": {"type": "points_threshold", "threshold": 100},
            "per_user_cap": 3,
        },
        headers=tenant.auth,
    )
    work: list[Awaitable[object]] = [
        close(db, tenant, check(tenant, user_id, 10000, transaction_id=f"c{i}", at=clock()), clock()) for i in range(10)
    ]
    work += [deposit(client, tenant, user_id, 100) for _ in range(10)]
    await asyncio.gather(*work)
    rows = await user_offer_rows(db, tenant, user_id)
    assert Counter(str(r.root_offer_id) for r in rows) == {once_offer: 1, capped_offer: 3}
    assert await balance(db, tenant, user_id) == (2000, 2000)
    assert once["rule_id"] != capped["rule_id"]
