"""The offer preview (`pos.preview`) gives exactly what the POS gives for the same check: the same
discount and lines, or the same reason it would not apply, limits included; and it changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest

from openoffers.checks.schemas import Transaction
from openoffers.kit.db import Database
from openoffers.pos.preview import preview_offer
from openoffers.pricing import Discount, Ineligible
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import (
    LOCK,
    REDEEM,
    api,
    check,
    create_offer,
    create_user,
    issue,
    line,
    lock_body,
    pos,
)

BASKET = check(
    "P-1",
    [line("0", "10", item_id="latte", quantity="2"), line("1", "4", item_id="muffin"), line("2", "1", item_id="shot")],
)


async def _both(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, offer_id: str, user_id: str, uo: str
) -> tuple[Discount | Ineligible, dict[str, Any]]:
    retailer = await tenancy.get_retailer(db, tenant.retailer_id)
    before = await snapshot(db)
    preview = await preview_offer(
        db,
        retailer,
        offer_id=UUID(offer_id),
        store_id=tenant.store_id,
        transaction=msgspec.convert(BASKET, Transaction),
        at=clock(),
        user_id=UUID(user_id),
    )
    assert await snapshot(db) == before  # the preview changed nothing
    response = await client.post(
        LOCK,
        json={
            "store_id": str(tenant.store_id),
            "client_id": str(tenant.client_id),
            "request_id": f"preview-{uo}",
            "request_payload": lock_body(uo, BASKET),
        },
        headers=tenant.pos_auth,
    )
    return preview.result, response.json()


OFFERS: list[dict[str, Any]] = [
    {},  # $5 off the check
    {"offer_type": "percent_check_discount", "discount_config": {"percent": 15, "max_discount": 100}},
    {
        "offer_type": "percent_item_discount",
        "discount_config": {"percent": 50, "max_items": 1},
        "catalog_restrictions": [{"type": "items", "mode": "include", "category_ids": ["bakery"]}],
    },
    {
        "offer_type": "fixed_amount_item_discount",
        "discount_config": {"amount": "0.75", "max_items": 3},
        "catalog_restrictions": [{"type": "items", "mode": "exclude", "item_ids": ["muffin"]}],
    },
    {"location_restrictions": [{"type": "stores", "mode": "include", "store_tags": ["uptown"]}]},
    {"use_restrictions": [{"type": "channels", "channels": ["ONLINE"]}]},
    {"use_restrictions": [{"type": "time_of_day", "start": "11:00", "end": "14:00"}]},
    {"purchase_restrictions": [{"type": "min_subtotal", "amount": "40"}]},
    {"purchase_restrictions": [{"type": "required_items", "item_ids": ["bagel"]}]},
    {
        "offer_type": "fixed_amount_item_discount",
        "catalog_restrictions": [{"type": "items", "mode": "include", "item_ids": ["tea"]}],
    },
]


# What each of OFFERS gives on BASKET: a discount, or the reason it does not apply.
EXPECTED = ["discount"] * 4 + [
    "STORE_NOT_ELIGIBLE",
    "CHANNEL_NOT_ELIGIBLE",
    "OUTSIDE_VALID_TIME",  # 12:00 UTC is 08:00 at the store
    "MIN_SUBTOTAL_NOT_MET",
    "REQUIRED_ITEMS_MISSING",
    "NO_ELIGIBLE_ITEMS",
]


@pytest.mark.parametrize(("offer", "expected"), list(zip(OFFERS, EXPECTED, strict=True)), ids=EXPECTED)
async def test_preview_equals_the_pos(
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    clock: FrozenClock,
    offer: dict[str, Any],
    expected: str,
) -> None:
    await api(
        client,
        tenant,
        "/api/2.0/catalog/import",
        {"items": [{"item_id": "muffin", "name": "Muffin", "category_ids": ["bakery"]}]},
    )
    offer_id = await create_offer(client, tenant, **offer)
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    uo = await issue(client, tenant, user_id, offer_id)
    preview, answer = await _both(client, db, tenant, clock, offer_id, user_id, uo)
    assert (preview.reason.value if isinstance(preview, Ineligible) else "discount") == expected
    if isinstance(preview, Ineligible):
        assert answer["errors"]["reason"] == preview.reason.value, answer
    else:
        payload = answer["payload"]
        assert payload["status"] == "LOCKED", answer
        assert Decimal(str(payload["amount"])) == Decimal(preview.amount).scaleb(-2)
        # The wire's two aligned lists (SessionM's public shape): line ids, and the quantity of each.
        assert payload["discounted_line_ids"] == [s.line_id for s in preview.line_shares]
        assert payload["discounted_line_id_quantities"] == [s.quantity for s in preview.line_shares]
        assert preview.amount > 0


async def test_preview_counts_the_customers_use_limit(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(
        client, tenant, use_restrictions=[{"type": "max_uses", "uses": 1, "period_unit": "days", "period_value": 1}]
    )
    user_id = await create_user(client, tenant)
    first, second = [await issue(client, tenant, user_id, offer_id) for _ in range(2)]
    await pos(client, tenant, REDEEM, lock_body(first, check("T-0")))
    preview, answer = await _both(client, db, tenant, clock, offer_id, user_id, second)
    assert isinstance(preview, Ineligible) and preview.reason.value == "USE_LIMIT_REACHED"
    assert answer["errors"]["reason"] == "USE_LIMIT_REACHED"
    # Another customer is not limited by it.
    retailer = await tenancy.get_retailer(db, tenant.retailer_id)
    fresh = await preview_offer(
        db,
        retailer,
        offer_id=UUID(offer_id),
        store_id=tenant.store_id,
        transaction=msgspec.convert(BASKET, Transaction),
        at=clock(),
        user_id=None,
    )
    assert isinstance(fresh.result, Discount) and fresh.result.amount == 500
