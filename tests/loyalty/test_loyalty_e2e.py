"""Issue #5 end to end over HTTP: rules made through the API, checks closed through send_transaction,
offers seen in Lookup and locked; duplicates and voids; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx

from openoffers.kit.db import Database
from openoffers.wallet.lifecycle import REVOKED
from tests.conftest import Tenant, snapshot
from tests.loyalty.rules_support import RULE_TABLES, balance, create_rule, five_dollar_offer, user_offer_rows
from tests.pos.pos_support import LOCK, LOOKUP, SEND, check, envelope, line, lock_body, pos
from tests.wallet.wallet_support import create_user, post

_ids = itertools.count(1)


def closed(transaction_id: str, amount: str, user_id: str, **extra: Any) -> dict[str, Any]:
    return check(transaction_id, [line("1", amount, item_id="meal")], is_closed=True, user_id=user_id, **extra)


async def _retailer_with_rules(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, str]:
    offer_id = await five_dollar_offer(client, tenant)
    await create_rule(client, tenant, {"kind": "earn", "name": "1 point per $1", "rate": 1})
    await create_rule(
        client,
        tenant,
        {
            "kind": "issuance",
            "name": "$5 at every 200 lifetime points",
            "offer_id": offer_id,
            "trigger": {"type": "points_threshold", "threshold": 200, "balance": "lifetime"},
            "recurrence": "every_time",
        },
    )
    return offer_id, await create_user(client, tenant, external_customer_id=f"c-{next(_ids)}")


async def test_checks_totalling_450_leave_450_points_and_two_offers_that_lookup_shows_and_lock_locks(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    offer_id, user_id = await _retailer_with_rules(client, tenant)
    for number, amount in enumerate(("120.00", "130.00", "200.00"), start=1):
        assert await pos(client, tenant, SEND, closed(f"T-{number}", amount, user_id)) is None
    balances = await post(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert (balances["available_points"], balances["lifetime_points"]) == (450, 450)
    wallet = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert wallet["total_records"] == 2
    assert [o["offer_id"] for o in wallet["user_offers"]] == [offer_id, offer_id]

    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id})
    assert found["points"] == 450
    assert len(found["offers"]) == 2
    user_offer_id = found["offers"][0]["reference_id"]
    locked = await pos(client, tenant, LOCK, lock_body(user_offer_id, check("T-9", [line("1", "20.00")])))
    assert (locked["status"], locked["reference_id"], locked["amount"]) == ("LOCKED", user_offer_id, 5)

    # The same closed check sent again changes nothing.
    before = await snapshot(db, *RULE_TABLES)
    assert await pos(client, tenant, SEND, closed("T-3", "200.00", user_id)) is None
    assert await snapshot(db, *RULE_TABLES) == before


async def test_a_voided_check_takes_back_its_points_and_its_unredeemed_offer(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    _, user_id = await _retailer_with_rules(client, tenant)
    await pos(client, tenant, SEND, closed("T-1", "250", user_id))
    await pos(client, tenant, SEND, closed("T-2", "200", user_id))
    assert await balance(db, tenant, user_id) == (450, 450)
    assert len(await user_offer_rows(db, tenant, user_id)) == 2
    await pos(client, tenant, SEND, closed("T-2", "200", user_id, is_voided=True))
    assert await balance(db, tenant, user_id) == (250, 250)
    statuses = sorted(r.status for r in await user_offer_rows(db, tenant, user_id))
    assert statuses == [1, REVOKED]


async def test_50_concurrent_duplicate_send_transactions_issue_exactly_one_offer(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    _, user_id = await _retailer_with_rules(client, tenant)
    await pos(client, tenant, SEND, closed("T-1", "150", user_id))
    body = closed("T-2", "100", user_id)
    responses = await asyncio.gather(
        *(
            client.post(SEND, json=envelope(tenant, body, request_id=f"dup-{i}"), headers=tenant.pos_auth)
            for i in range(50)
        )
    )
    assert {r.status_code for r in responses} == {200}, {r.text for r in responses if r.status_code != 200}
    assert await balance(db, tenant, user_id) == (250, 250)
    assert len(await user_offer_rows(db, tenant, user_id)) == 1


async def test_simulate_earns_exactly_what_closing_the_same_check_earns(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """One conversion serves both: a discounted check whose POS subtotal disagrees with its lines."""
    _, user_id = await _retailer_with_rules(client, tenant)
    await pos(client, tenant, SEND, closed("T-1", "150.00", user_id))
    items = [line("1", "180.00", item_id="meal"), line("2", "25.99", item_id="wine")]
    pos_discount = {"reference_id": "pos-1", "discount_source": "pos", "amount": "30.50", "discounted_line_ids": ["1"]}
    sample = check("T-2", items, discounts=[pos_discount], is_closed=True, user_id=user_id, subtotal="999.00")
    simulated = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {"user_id": user_id, "store_id": str(tenant.store_id), "transaction": sample},
    )
    # (180.00 - 30.50) + 25.99 = 175.49 -> 175 points; 150 + 175 crosses 200 once.
    assert (simulated["applied"], simulated["points_earned"][0]["points"], len(simulated["offers"])) == (False, 175, 1)
    assert await pos(client, tenant, SEND, sample) is None
    balances = await post(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert (balances["available_points"], balances["lifetime_points"]) == (325, 325)
    wallet = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert wallet["total_records"] == 1
