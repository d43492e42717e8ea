"""The reward store: listing and buying with points, all or nothing."""

from __future__ import annotations

from uuid import UUID

import httpx

from openoffers.kit.db import Database
from openoffers.loyalty.points import repository as loyalty_repo
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.wallet.wallet_support import WALLET_TABLES, create_offer, create_user, deposit, post, user_offer

PURCHASE = "/api/2.0/offers/rewardstores/purchase_offer"
STORE = "/api/2.0/offers/rewardstores/get_reward_store_offers"


async def store_offer(
    client: httpx.AsyncClient, tenant: Tenant, cost: int, common: dict[str, object] | None = None, **kwargs: object
) -> str:
    common = {"reward_store": True, "points_cost": cost, **(common or {})}
    return await create_offer(client, tenant, common=common, **kwargs)


async def test_store_lists_purchasable_offers(client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock) -> None:
    cheap = await store_offer(client, tenant, 100, title="Coffee", issuance=[{"type": "inventory", "total": 5}])
    clock.advance(seconds=1)
    dear = await store_offer(
        client,
        tenant,
        900,
        title="Mug",
        texts=[{"title": "Mug", "culture": "en"}, {"title": "Tasse", "culture": "fr"}],
    )
    await create_offer(client, tenant, title="Not for sale")
    await store_offer(client, tenant, 50, title="Later", common={"acquisition_start_date": "2027-01-01"})
    await store_offer(client, tenant, 50, title="Draft", publish=False)
    user_id = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 250)
    listing = await post(client, tenant, STORE, {"user_id": user_id, "culture": "fr-FR"})
    assert listing["total_records"] == 2
    assert listing["available_points"] == 250
    assert [(o["offer_id"], o["title"], o["points_cost"]) for o in listing["results"]] == [
        (dear, "Tasse", 900),
        (cheap, "Coffee", 100),
    ]
    assert (listing["results"][1]["total_inventory"], listing["results"][1]["available_inventory_remaining"]) == (5, 5)
    anonymous = await post(client, tenant, STORE, {"skip": 1})
    assert anonymous["available_points"] is None
    assert [o["offer_id"] for o in anonymous["results"]] == [cheap]


async def test_purchase_spends_and_issues_together(client: httpx.AsyncClient, tenant: Tenant, db: Database) -> None:
    offer_id = await store_offer(client, tenant, 120, issuance=[{"type": "inventory", "total": 10}])
    user_id = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 500)
    result = await post(client, tenant, PURCHASE, {"user_id": user_id, "offer_id": offer_id, "quantity": "2"})
    assert result["points_spent"] == 240
    assert result["available_balance"] == 260
    assert result["point_account_id"] == str(loyalty_repo.default_account_id(tenant.retailer_id))
    assert len(result["status_list"]) == 2
    assert all(e["fail_reason"] == 0 and e["offer_id"] == offer_id for e in result["status_list"])
    detail = await user_offer(client, tenant, result["status_list"][0]["user_offer_id"])
    assert detail["source"] == "reward_store"
    history = await post(client, tenant, "/api/2.0/user_points/history", {"user_id": user_id})
    spend = history["results"][0]
    assert (spend["kind"], spend["amount"], spend["available_delta"]) == ("spend", 240, -240)
    assert sorted(spend["detail"]["user_offer_ids"]) == sorted(e["user_offer_id"] for e in result["status_list"])
    details = await post(client, tenant, "/api/2.0/offers/fetch_offers_details", {"offer_ids": [offer_id]})
    assert details["results"][0]["available_inventory_remaining"] == 8


async def test_purchase_refusals_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    limited = await store_offer(
        client, tenant, 10, issuance=[{"type": "per_customer", "max": 1}, {"type": "inventory", "total": 3}]
    )
    plain = await create_offer(client, tenant)
    theirs = await store_offer(client, other_tenant, 10)
    user_id = await create_user(client, tenant)
    other_user = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 100)
    await deposit(client, tenant, other_user, 100)
    await post(client, tenant, PURCHASE, {"user_id": user_id, "offer_id": limited})
    await post(client, tenant, PURCHASE, {"user_id": other_user, "offer_id": limited, "quantity": 1})
    before = await snapshot(db, *WALLET_TABLES)
    for body, status, code, reason in (
        ({"offer_id": limited}, 409, "CONFLICT", "PER_CUSTOMER_LIMIT"),
        ({"offer_id": limited, "user_id": other_user, "quantity": 2}, 409, "CONFLICT", "PER_CUSTOMER_LIMIT"),
        ({"offer_id": plain}, 409, "CONFLICT", "NOT_IN_REWARD_STORE"),
        ({"offer_id": theirs}, 404, "OFFER_NOT_FOUND", None),
        ({"offer_id": limited, "point_account_id": str(UUID(int=5))}, 404, "NOT_FOUND", None),
    ):
        body = {"user_id": user_id, **body}
        error = await post(client, tenant, PURCHASE, body, status=status)
        assert (error["errors"]["code"], error["errors"].get("reason")) == (code, reason), body
    assert await snapshot(db, *WALLET_TABLES) == before
    third = await create_user(client, tenant)
    await deposit(client, tenant, third, 5)
    before = await snapshot(db, *WALLET_TABLES)
    error = await post(client, tenant, PURCHASE, {"user_id": third, "offer_id": limited}, status=409)
    assert error["errors"]["reason"] == "INSUFFICIENT_POINTS"
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_purchase_honours_inventory(client: httpx.AsyncClient, tenant: Tenant, db: Database) -> None:
    offer_id = await store_offer(client, tenant, 1, issuance=[{"type": "inventory", "total": 2}])
    user_id = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 100)
    before = await snapshot(db, *WALLET_TABLES)
    error = await post(client, tenant, PURCHASE, {"user_id": user_id, "offer_id": offer_id, "quantity": 3}, status=409)
    assert error["errors"]["reason"] == "INVENTORY_EXHAUSTED"
    assert await snapshot(db, *WALLET_TABLES) == before  # not even the first two copies, nor the points
    await post(client, tenant, PURCHASE, {"user_id": user_id, "offer_id": offer_id, "quantity": 2})
    error = await post(client, tenant, PURCHASE, {"user_id": user_id, "offer_id": offer_id}, status=409)
    assert error["errors"]["reason"] == "INVENTORY_EXHAUSTED"
