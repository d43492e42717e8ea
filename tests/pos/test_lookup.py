"""Lookup: finding the customer, the wallet without a check, eligible priced offers with one, accounts,
culture, and refusals. Lookup is read-only: it never changes anything."""

from __future__ import annotations

import httpx

from openoffers.kit.db import Database
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import (
    LOOKUP,
    POS_TABLES,
    REDEEM,
    api,
    check,
    create_offer,
    create_user,
    error_of,
    issue,
    line,
    lock,
    lock_body,
    pos,
)


async def test_lookup_by_each_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await create_user(
        client, tenant, external_customer_id="C-1", email="Ada@Example.com", phone="+1 (440) 555-0100", first_name="Ada"
    )
    for key in (
        {"user_id": user_id.upper()},
        {"external_customer_id": "C-1"},
        {"email": " ada@example.COM "},
        {"phone": "14405550100"},
    ):
        [found] = await pos(client, tenant, LOOKUP, key)
        assert (found["user_reference_id"], found["first_name"], found["external_customer_id"]) == (
            user_id,
            "Ada",
            "C-1",
        ), key
    # A numeric external id, as some POS systems send it.
    numeric = await create_user(client, tenant, external_customer_id="14311211")
    [found] = await pos(client, tenant, LOOKUP, {"external_customer_id": 14311211})
    assert found["user_reference_id"] == numeric


async def test_lookup_refusals(client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await create_user(client, other_tenant, external_customer_id="X")
    await create_user(client, tenant, email="twin@example.com")
    await create_user(client, tenant, email="twin@example.com")
    before = await snapshot(db, *POS_TABLES)
    assert error_of(await pos(client, tenant, LOOKUP, {"external_customer_id": "nobody"}, 404)) == (
        "USER_NOT_FOUND",
        None,
    )
    assert error_of(await pos(client, tenant, LOOKUP, {"user_id": theirs}, 404)) == ("USER_NOT_FOUND", None)
    assert error_of(await pos(client, tenant, LOOKUP, {"email": "twin@example.com"}, 409)) == ("CONFLICT", None)
    assert error_of(await pos(client, tenant, LOOKUP, {}, 400)) == ("VALIDATION", None)
    assert error_of(await pos(client, tenant, LOOKUP, {"user_id": "nope"}, 400)) == ("VALIDATION", None)
    assert await snapshot(db, *POS_TABLES) == before


async def test_without_a_transaction_the_redeemable_wallet(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)
    short = await create_offer(client, tenant, common_config={"validity_unit": "minutes", "validity_period": 10})
    user_id = await create_user(client, tenant, first_name="Ada")
    first = await issue(client, tenant, user_id, offer_id)
    clock.advance(minutes=1)
    locked = await issue(client, tenant, user_id, offer_id)
    clock.advance(minutes=1)
    redeemed = await issue(client, tenant, user_id, offer_id)
    expiring = await issue(client, tenant, user_id, short)
    await lock(client, tenant, locked)
    await pos(client, tenant, REDEEM, lock_body(redeemed, check("T-2")))
    clock.advance(minutes=11)  # the short offer has expired; the lock (15 minutes) has not

    before = await snapshot(db, *POS_TABLES)
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id})
    assert await snapshot(db, *POS_TABLES) == before
    offers = {o["reference_id"]: o for o in found["offers"]}
    assert list(offers) == [locked, first]  # newest first; redeemed and expired ones are not in the wallet
    assert expiring not in offers
    assert (offers[first]["status"], offers[first]["amount"], offers[first]["discounted_line_ids"]) == ("INFO", 0, [])
    assert offers[first]["applied_time"] is None
    # An offer on a check shows as LOCKED with what it was locked for.
    assert (offers[locked]["status"], offers[locked]["amount"], offers[locked]["applied_time"]) == (
        "LOCKED",
        5,
        "2026-06-15T12:02:00Z",
    )
    assert (found["points"], found["accounts"][0]["UserPointAccountID"]) == (0, None)


async def test_with_a_transaction_offers_priced_on_it(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    five = await create_offer(client, tenant)
    big_spender = await create_offer(client, tenant, purchase_restrictions=[{"type": "min_subtotal", "amount": "50"}])
    percent = await create_offer(client, tenant, offer_type="percent_check_discount", discount_config={"percent": 10})
    user_id = await create_user(client, tenant)
    on_this_check = await issue(client, tenant, user_id, five)
    on_another_check = await issue(client, tenant, user_id, five)
    too_small = await issue(client, tenant, user_id, big_spender)
    tenth = await issue(client, tenant, user_id, percent)
    await lock(client, tenant, on_this_check, check("T-1"))
    await lock(client, tenant, on_another_check, check("T-2"))
    clock.advance(minutes=1)

    # The check carries our earlier lock; the 10% is priced after it (on 11.00 - 5.00).
    locked = await lock(client, tenant, on_this_check, check("T-1"))
    basket = check("T-1", discounts=[locked])
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id, "transaction": basket})
    offers = {o["reference_id"]: o for o in found["offers"]}
    assert on_another_check not in offers
    assert set(offers) == {on_this_check, tenth, too_small}
    # Listed although the check is too small (only store and catalog restrictions hide an offer): amount
    # 0, why, and how much more to spend (50 - (11 - our 5 already off)).
    assert (offers[too_small]["status"], offers[too_small]["amount"], offers[too_small]["discounted_line_ids"]) == (
        "INFO",
        0,
        [],
    )
    assert (offers[too_small]["reason"], offers[too_small]["missing_amount"]) == ("MIN_SUBTOTAL_NOT_MET", 44)
    assert "reason" not in offers[tenth] and "missing_amount" not in offers[tenth]
    assert (offers[tenth]["status"], offers[tenth]["amount"], offers[tenth]["stack_order"]) == ("INFO", 0.6, 1)
    assert offers[tenth]["discounted_line_ids"] == ["0", "1"]
    # Our own lock is priced again as a re-lock would be (leaving itself out), and stays LOCKED.
    assert (offers[on_this_check]["status"], offers[on_this_check]["amount"]) == ("LOCKED", 5)
    assert offers[on_this_check]["applied_time"] == "2026-06-15T12:01:00Z"


async def test_display_name_and_image_follow_the_culture(client: httpx.AsyncClient, tenant: Tenant) -> None:
    offer_id = await create_offer(
        client,
        tenant,
        text_config=[
            {"title": "$5 off", "description": "d", "terms_and_conditions": "t", "culture": "en"},
            {"title": "5 $ de rabais", "description": "d", "terms_and_conditions": "t", "culture": "fr"},
        ],
        media_config=[
            {"uri": "https://cdn.example/en.png", "culture": "en"},
            {"uri": "https://cdn.example/fr.png", "culture": "fr"},
        ],
    )
    user_id = await create_user(client, tenant)
    uo = await issue(client, tenant, user_id, offer_id)
    [french] = await pos(client, tenant, LOOKUP, {"user_id": user_id}, culture="fr-CA")
    assert (french["offers"][0]["display_name"], french["offers"][0]["image_url"]) == (
        "5 $ de rabais",
        "https://cdn.example/fr.png",
    )
    [default] = await pos(client, tenant, LOOKUP, {"user_id": user_id}, culture="de")
    assert (default["offers"][0]["display_name"], default["offers"][0]["image_url"]) == (
        "$5 off",
        "https://cdn.example/en.png",
    )
    locked = await pos(client, tenant, "/api/2.0/lock", lock_body(uo), culture="fr")
    assert locked["display_name"] == "5 $ de rabais"


async def test_points_and_accounts(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await create_user(client, tenant)
    await api(client, tenant, "/api/2.0/point_accounts/create", {"name": "Miles", "grouping_label": "air"})
    await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 30, "reason": "hi"})
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 5, "reason": "bye"})
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id})
    assert found["points"] == 25
    assert [
        (a["AccountName"], a["GroupingLabel"], a["AvailableBalance"], a["LifeTimeValue"]) for a in found["accounts"]
    ] == [
        ("Points", "", 25, 30),
        ("Miles", "air", 0, 0),
    ]


async def test_get_user_offers_keeps_answering_the_offers_api(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await create_user(client, tenant)
    wallet = await api(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert {k: wallet[k] for k in ("user_id", "user_offers", "total_records", "total_points", "available_points")} == {
        "user_id": user_id,
        "user_offers": [],
        "total_records": 0,
        "total_points": 0,
        "available_points": 0,
    }
    # With a POS envelope it is Lookup, for POS credentials only.
    [found] = await pos(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert found["user_reference_id"] == user_id
    response = await client.post(
        "/api/2.0/offers/get_user_offers",
        json={
            "store_id": str(tenant.store_id),
            "client_id": str(tenant.client_id),
            "request_id": "1",
            "request_payload": {"user_id": user_id},
        },
        headers=tenant.auth,
    )
    assert (response.status_code, response.json()["errors"]["code"]) == (403, "ACCESS_DENIED")


async def test_lookup_prices_item_offers_with_catalog_categories(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await api(
        client,
        tenant,
        "/api/2.0/catalog/import",
        {"items": [{"item_id": "latte", "name": "Latte", "category_ids": ["coffee"]}]},
    )
    offer_id = await create_offer(
        client,
        tenant,
        offer_type="percent_item_discount",
        discount_config={"percent": 50},
        catalog_restrictions=[{"type": "items", "mode": "include", "category_ids": ["coffee"]}],
    )
    user_id = await create_user(client, tenant)
    uo = await issue(client, tenant, user_id, offer_id)
    basket = check(items=[line("0", "4", item_id="latte"), line("1", "3", item_id="muffin")])
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id, "transaction": basket})
    [offer] = found["offers"]
    assert (offer["reference_id"], offer["amount"], offer["discounted_line_ids"]) == (uo, 2, ["0"])
    no_coffee = check(items=[line("1", "3", item_id="muffin")])
    [found] = await pos(client, tenant, LOOKUP, {"user_id": user_id, "transaction": no_coffee})
    assert found["offers"] == []
