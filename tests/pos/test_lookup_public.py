"""Lookup with a transaction as SessionM's public User Lookup page describes it (issue 11, item 3).

Source: SessionM Developer Center, POS > User Lookup (docs.sessionm.com/developer/APIs/POS/user_lookup.htm),
request property `transaction`: "SessionM analyzes the associated set of offers to determine which ones may
be applicable to the given transaction. Note that only catalog and store restrictions are checked ... The
response of this API will contain only the eligible offers, along with discount details." The requests are
the page's User Lookup object inside the General Request Container (store_id, client_id, request_id,
request_payload), with the guide's check (a 10.00 line and its 1.00 modifier).

So an offer is left out only when its store or catalog restriction fails; one that fails another
restriction (a "$4 off $50" on an $11 check) is listed with amount 0, its reason, and what the check
lacks (docs/DECISIONS.md "Lookup with a transaction").
"""

from __future__ import annotations

from typing import Any

import httpx

from openoffers.kit.db import Database
from tests.conftest import Tenant, snapshot
from tests.pos.pos_support import (
    LOCK,
    LOOKUP,
    POS_TABLES,
    check,
    create_offer,
    create_user,
    error_of,
    issue,
    line,
    lock_body,
    pos,
)


def no_reason(offer: dict[str, object]) -> bool:
    return not {"reason", "missing_amount", "missing_quantity", "missing_items"} & set(offer)


async def test_four_off_fifty_on_an_eleven_dollar_check(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    """The issue's case: the offer is listed (only catalog and store restrictions hide one) with amount 0,
    MIN_SUBTOTAL_NOT_MET and the 39.00 still to spend; a Lock of it is still refused with that reason."""
    four_off_fifty = await create_offer(
        client,
        tenant,
        discount_config={"amount": 4},
        purchase_restrictions=[{"type": "min_subtotal", "amount": "50"}],
    )
    user_id = await create_user(client, tenant, external_customer_id="1234567")
    user_offer_id = await issue(client, tenant, user_id, four_off_fifty)
    before = await snapshot(db, *POS_TABLES)
    [found] = await pos(client, tenant, LOOKUP, {"external_customer_id": "1234567", "transaction": check("T-11")})
    [offer] = found["offers"]
    assert offer == {
        "reference_id": user_offer_id,
        "user_id": user_id,
        "reference_id_type": "userofferid",
        "pos_discount_id": None,
        "status": "INFO",
        "display_name": "$5 off",
        "image_url": None,
        "discounted_line_ids": [],
        "discounted_line_id_quantities": [],
        "discount_source": "sessionm",
        "amount": 0,
        "stack_order": 0,
        "applied_time": None,
        "reason": "MIN_SUBTOTAL_NOT_MET",
        "missing_amount": 39,
    }
    assert await snapshot(db, *POS_TABLES) == before  # Lookup is a read
    refused = await pos(client, tenant, LOCK, lock_body(user_offer_id, check("T-11")), 422)
    assert error_of(refused) == ("OFFER_NOT_REDEEMABLE", "MIN_SUBTOTAL_NOT_MET")
    # At 50.00 it applies: its amount and lines, and no reason.
    big = check("T-50", [line("0", "49"), line("1", "1", item_id="2", modifies="0")])
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id, "transaction": big})
    [offer] = found["offers"]
    assert (offer["amount"], offer["discounted_line_ids"], no_reason(offer)) == (4, ["0", "1"], True)


async def test_only_store_and_catalog_restrictions_hide_an_offer(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """Store and catalog restrictions that fail leave the offer out; every other restriction that fails
    lists it with amount 0 and its reason, with what is missing when it can be counted."""
    offers: dict[str, dict[str, Any]] = {
        "other_store": {"location_restrictions": [{"type": "stores", "mode": "exclude", "store_tags": ["downtown"]}]},
        "not_these_items": {
            "offer_type": "percent_item_discount",
            "discount_config": {"percent": 10},
            "catalog_restrictions": [{"type": "items", "mode": "include", "item_ids": ["espresso"]}],
        },
        "online_only": {"use_restrictions": [{"type": "channels", "channels": ["ONLINE"]}]},
        "three_items": {"purchase_restrictions": [{"type": "min_quantity", "quantity": 3}]},
        "with_a_muffin": {
            "purchase_restrictions": [{"type": "required_items", "item_ids": ["muffin"], "category_ids": ["bakery"]}]
        },
        "fits": {},
    }
    user_id = await create_user(client, tenant)
    held = {}
    for name, overrides in offers.items():
        held[await issue(client, tenant, user_id, await create_offer(client, tenant, **overrides))] = name
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id, "transaction": check("T-1")})
    listed = {held[o["reference_id"]]: o for o in found["offers"]}
    assert set(listed) == {"online_only", "three_items", "with_a_muffin", "fits"}
    shown = {
        name: (o["amount"], o.get("reason"), o.get("missing_quantity"), o.get("missing_items"))
        for name, o in listed.items()
    }
    assert shown == {
        "online_only": (0, "CHANNEL_NOT_ELIGIBLE", None, None),
        "three_items": (0, "MIN_QUANTITY_NOT_MET", 2, None),  # one root line of one unit: two more
        "with_a_muffin": (0, "REQUIRED_ITEMS_MISSING", None, ["muffin", "category bakery"]),
        "fits": (5, None, None, None),
    }
    assert no_reason(listed["fits"])


async def test_discounted_line_id_quantities_are_numbers_aligned_with_the_lines(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """The public .NET client reads `discounted_line_id_quantities` as numbers aligned with
    `discounted_line_ids` (issue 11, item 6): on Lookup and on Lock alike."""
    offer_id = await create_offer(
        client, tenant, offer_type="percent_item_discount", discount_config={"percent": 10, "max_items": 3}
    )
    user_id = await create_user(client, tenant)
    user_offer_id = await issue(client, tenant, user_id, offer_id)
    basket = check("T-Q", [line("0", "10", quantity="2"), line("1", "4", item_id="2")])
    basket["items"][0]["subtotal"] = "20"
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id, "transaction": basket})
    [offer] = found["offers"]
    assert (offer["discounted_line_ids"], offer["discounted_line_id_quantities"]) == (["0", "1"], [2, 1])
    locked = await pos(client, tenant, LOCK, lock_body(user_offer_id, basket))
    assert (locked["discounted_line_ids"], locked["discounted_line_id_quantities"], locked["amount"]) == (
        ["0", "1"],
        [2, 1],
        2.4,
    )
    assert no_reason(locked)
