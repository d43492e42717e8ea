"""Offers API calls exactly as public SessionM clients send them (issue 11, items 4 to 6).

Sources, cited per test:
- the .NET client teamusers/DOTNET-RWS-LBE-Transaction (`Common/RlpCommons.cs` for the paths,
  `DTOs/RLP/Requests/Offer.cs` for the bodies, `DTOs/RLP/Responses/Offer.cs` for what it reads,
  `Services/Implementations/RlpServiceVoucher.cs` for how it fills them);
- Braze's SessionM integration page (braze-inc/braze-docs, partners/.../loyalty/sessionm), step
  "Call SessionM Offer Wallet API": the get_user_offers body and its sample answer;
- SessionM's "Redeem Points for Reward Store Offer" use case (docs.sessionm.com) and API.md section 4
  for the reward store's `point_account_ids`.
Every refusal asserts that nothing changed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from openoffers.kit.db import Database
from openoffers.loyalty.points import repository as loyalty_repo
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import lock
from tests.wallet.wallet_support import WALLET_TABLES, create_offer, create_user, deposit, issue_one, post, user_offer

OFFERS = "/offers/api/2.0"  # the Offers service's prefix, as the public clients call it
NIL = "00000000-0000-0000-0000-000000000000"


async def send(
    client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any], status: int = 200
) -> dict[str, Any]:
    """POST `body` byte for byte as given (no retailer_id added), as the tenant's admin key."""
    response = await client.post(path, content=json.dumps(body), headers={**tenant.auth, **JSON})
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data["payload"] if status == 200 else data


JSON = {"Content-Type": "application/json"}
# Braze's postbody, character for character, with its two Liquid placeholders to fill.
BRAZE_WALLET_BODY = (
    '{"retailer_id":"YOUR-RETAIL-ID","user_id":"USER-ID","skip":0,"take":1000,'
    '"include_pending_extended_data":false,"culture":"en-US"}'
)


# ----------------------------------------------------------------------------------- issue (item 6)


async def test_issue_as_the_dotnet_client_sends_and_reads_it(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """DOTNET-RWS-LBE-Transaction `IssueOfferRequest` (retailer_id, user_id, offer_id, quantity 1,
    issue_exact_version false) posted to `/offers/api/2.0/offers/acquisition/issue`; it reads
    `status_list[]` as `OfferStatusList`: `pending_extended_data` a bool and `fail_reason` an int."""
    offer_id = await create_offer(client, tenant, issuance=[{"type": "per_customer", "max": 1}])
    user_id = await create_user(client, tenant)
    body = {
        "retailer_id": str(tenant.retailer_id),
        "user_id": user_id,
        "offer_id": offer_id,
        "quantity": 1,
        "issue_exact_version": False,
    }
    [issued] = (await send(client, tenant, f"{OFFERS}/offers/acquisition/issue", body))["status_list"]
    assert (issued["pending_extended_data"], issued["fail_reason"], issued["fail_reason_code"]) == (False, 0, None)
    assert isinstance(issued["user_offer_id"], str)
    # A refused copy: its documented number, the code beside it.
    [refused] = (await send(client, tenant, f"{OFFERS}/offers/acquisition/issue", body))["status_list"]
    assert (refused["user_offer_id"], refused["fail_reason"], refused["fail_reason_code"]) == (
        None,
        5,
        "PER_CUSTOMER_LIMIT",
    )
    assert refused["pending_extended_data"] is False


async def test_every_fail_reason_has_its_documented_number(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    """docs/DECISIONS.md "SessionM public clients": 1 OFFER_NOT_PUBLISHED, 2 ACQUISITION_NOT_STARTED,
    3 ACQUISITION_ENDED, 4 INVENTORY_EXHAUSTED, 5 PER_CUSTOMER_LIMIT, 6 FREQUENCY_LIMIT."""
    user_id = await create_user(client, tenant)
    draft = await create_offer(client, tenant, publish=False)
    later = await create_offer(client, tenant, common={"acquisition_start_date": "2027-01-01"})
    ended = await create_offer(client, tenant, common={"acquisition_end_date": "2026-06-15 12:30:00"})
    scarce = await create_offer(client, tenant, issuance=[{"type": "inventory", "total": 1}])
    weekly = await create_offer(
        client, tenant, issuance=[{"type": "frequency", "max": 1, "period_unit": "weeks", "period_value": 1}]
    )
    await issue_one(client, tenant, user_id, scarce)
    await issue_one(client, tenant, user_id, weekly)
    clock.advance(hours=1)
    seen = []
    for offer_id in (draft, later, ended, scarce, weekly):
        body = {"user_id": user_id, "offer_id": offer_id, "quantity": 1}
        [entry] = (await post(client, tenant, "/api/2.0/offers/acquisition/issue", body))["status_list"]
        seen.append((entry["fail_reason"], entry["fail_reason_code"]))
    assert seen == [
        (1, "OFFER_NOT_PUBLISHED"),
        (2, "ACQUISITION_NOT_STARTED"),
        (3, "ACQUISITION_ENDED"),
        (4, "INVENTORY_EXHAUSTED"),
        (6, "FREQUENCY_LIMIT"),
    ]


# ------------------------------------------------------------------------ get_user_offers (item 6)


async def test_get_user_offers_as_braze_calls_it(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """Braze's SessionM page, "Call SessionM Offer Wallet API": POST `{{endpoint_connect}}/offers/api/2.0/
    offers/get_user_offers` with `{"retailer_id", "user_id", "skip":0, "take":1000,
    "include_pending_extended_data":false, "culture":"en-US"}`; the sample answer carries `user`,
    `user_id`, `user_offers[]` (each with `offer_group_id`), `total_records`, `offer_groups`,
    `offer_categories`, `total_points`, `available_points`, in that order."""
    offer_id = await create_offer(client, tenant, title="Free muffin")
    user_id = await create_user(client, tenant, first_name="Ada", external_customer_id="C-9")
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)
    await deposit(client, tenant, user_id, 1000)
    await post(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 900})
    body = BRAZE_WALLET_BODY.replace("YOUR-RETAIL-ID", str(tenant.retailer_id)).replace("USER-ID", user_id)
    response = await client.post(f"{OFFERS}/offers/get_user_offers", content=body, headers={**tenant.auth, **JSON})
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert list(payload) == [
        "user",
        "user_id",
        "user_offers",
        "total_records",
        "offer_groups",
        "offer_categories",
        "total_points",
        "available_points",
    ]
    assert (payload["user"]["user_id"], payload["user"]["first_name"], payload["user"]["external_customer_id"]) == (
        user_id,
        "Ada",
        "C-9",
    )
    assert payload["user_id"] == user_id
    [offer] = payload["user_offers"]
    assert (offer["user_offer_id"], offer["offer_id"], offer["offer_group_id"], offer["title"]) == (
        user_offer_id,
        offer_id,
        NIL,
        "Free muffin",
    )
    assert payload["total_records"] == 1
    assert payload["offer_groups"] == [{"id": NIL, "name": "All Offers", "sort_order": 0}]
    assert payload["offer_categories"] == [{"id": NIL, "name": "All Offers", "sort_order": 0}]
    # As in the sample: total (lifetime) 1000, available 100.
    assert (payload["total_points"], payload["available_points"]) == (1000, 100)


# --------------------------------------------------------------------------- acquisition/update (5)


async def test_acquisition_update_as_the_dotnet_client_sends_it(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    """DOTNET-RWS-LBE-Transaction `RlpServiceVoucher.UpdateOffer`: POST `/offers/api/2.0/offers/acquisition/
    update` with `UpdateOfferRequest` (retailer_id, user_id, user_offer_id, custom_data = a JSON text
    `{"system_transaction_id": ...}`, remain_pending_extended_data false, update_redemption_dates false)."""
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)
    custom = json.dumps({"system_transaction_id": "SYS-000123"})
    clock.advance(minutes=5)
    body = {
        "retailer_id": str(tenant.retailer_id),
        "user_id": user_id,
        "user_offer_id": user_offer_id,
        "custom_data": custom,
        "remain_pending_extended_data": False,
        "update_redemption_dates": False,
    }
    updated = await send(client, tenant, f"{OFFERS}/offers/acquisition/update", body)
    assert (updated["user_offer_id"], updated["status"], updated["custom_data"]) == (user_offer_id, 1, custom)
    assert updated["redemption_start_date"] == "2026-06-15T12:00:00Z"  # the window is untouched
    detail = await user_offer(client, tenant, user_offer_id)
    assert detail["status"] == 1
    assert [(e["kind"], e["at"], e["detail"]) for e in detail["events"]][-1] == (
        "updated",
        "2026-06-15T12:05:00Z",
        {"custom_data": custom},
    )


async def test_acquisition_update_refusals_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    """The shape of DOTNET-RWS-LBE-Transaction's `UpdateOfferRequest`, with what OpenOffers refuses
    (docs/DECISIONS.md): another user's or retailer's user offer, and `update_redemption_dates: true`."""
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    stranger = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)
    theirs = await issue_one(
        client, other_tenant, await create_user(client, other_tenant), await create_offer(client, other_tenant)
    )
    before = await snapshot(db, *WALLET_TABLES)
    path = f"{OFFERS}/offers/acquisition/update"
    base = {"retailer_id": str(tenant.retailer_id), "custom_data": "{}", "remain_pending_extended_data": False}
    wrong_user = {**base, "user_id": stranger, "user_offer_id": user_offer_id, "update_redemption_dates": False}
    assert (await send(client, tenant, path, wrong_user, 404))["errors"]["code"] == "NOT_FOUND"
    other = {**base, "user_offer_id": theirs, "update_redemption_dates": False}
    assert (await send(client, tenant, path, other, 404))["errors"]["code"] == "NOT_FOUND"
    dates = {**base, "user_id": user_id, "user_offer_id": user_offer_id, "update_redemption_dates": True}
    error = await send(client, tenant, path, dates, 400)
    assert (error["errors"]["code"], list(error["errors"]["fields"])) == ("VALIDATION", ["update_redemption_dates"])
    assert await snapshot(db, *WALLET_TABLES) == before


# ------------------------------------------------------------------------ redemption/manual_redeem (5)


async def test_manual_redeem_as_the_dotnet_client_sends_it(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    """DOTNET-RWS-LBE-Transaction `RlpServiceVoucher.ManualRedeemOffer`: POST `/offers/api/2.0/offers/
    redemption/manual_redeem` with `ManualRedeemOfferRequest` (retailer_id, user_offer_id, force_redeem
    false). Issued -> Redeemed, through the lifecycle's `redeemed` event."""
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)
    clock.advance(minutes=3)
    body = {"retailer_id": str(tenant.retailer_id), "user_offer_id": user_offer_id, "force_redeem": False}
    redeemed = await send(client, tenant, f"{OFFERS}/offers/redemption/manual_redeem", body)
    assert (redeemed["user_offer_id"], redeemed["status"], redeemed["status_description"]) == (
        user_offer_id,
        3,
        "Redeemed",
    )
    events = (await user_offer(client, tenant, user_offer_id))["events"]
    assert [(e["kind"], e["at"], e["reason"], e["detail"]) for e in events] == [
        ("issued", "2026-06-15T12:00:00Z", "", events[0]["detail"]),
        ("redeemed", "2026-06-15T12:03:00Z", "redeemed manually", {"manual": True, "force_redeem": False}),
    ]
    wallet = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert wallet["user_offers"] == []


async def test_manual_redeem_refusals_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    """`ManualRedeemOfferRequest` of DOTNET-RWS-LBE-Transaction (force_redeem true, which forces nothing)
    on offers that cannot be redeemed: a redeemed, a revoked and an expired one (OFFER_NOT_REDEEMABLE with
    the reason), a locked one (ALREADY_LOCKED: the POS redeems it), an unknown one (NOT_FOUND)."""
    offer_id = await create_offer(client, tenant)
    short = await create_offer(client, tenant, common={"validity_unit": "minutes", "validity_period": 5})
    user_id = await create_user(client, tenant)
    redeemed = await issue_one(client, tenant, user_id, offer_id)
    revoked = await issue_one(client, tenant, user_id, offer_id)
    locked = await issue_one(client, tenant, user_id, offer_id)
    expired = await issue_one(client, tenant, user_id, short)
    path = f"{OFFERS}/offers/redemption/manual_redeem"
    base = {"retailer_id": str(tenant.retailer_id), "force_redeem": True}
    await send(client, tenant, path, {**base, "user_offer_id": redeemed})
    await post(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": revoked})
    await lock(client, tenant, locked)
    clock.advance(minutes=6)
    # The expiry is recorded by a write first (a refusal rolls back, so it would be undone with it).
    await post(client, tenant, "/api/2.0/offers/acquisition/issue", {"user_id": user_id, "offer_id": offer_id})
    before = await snapshot(db, *WALLET_TABLES, "pos_locks")
    for user_offer_id, status, code, reason in (
        (redeemed, 422, "OFFER_NOT_REDEEMABLE", "REDEEMED"),
        (revoked, 422, "OFFER_NOT_REDEEMABLE", "REVOKED"),
        (expired, 422, "OFFER_NOT_REDEEMABLE", "EXPIRED"),
        (locked, 409, "ALREADY_LOCKED", None),
        (NIL, 404, "NOT_FOUND", None),
    ):
        error = (await send(client, tenant, path, {**base, "user_offer_id": user_offer_id}, status))["errors"]
        assert (error["code"], error.get("reason")) == (code, reason), user_offer_id
    assert await snapshot(db, *WALLET_TABLES, "pos_locks") == before


async def test_concurrent_manual_redeems_redeem_once(client: httpx.AsyncClient, tenant: Tenant, db: Database) -> None:
    """Twenty copies of DOTNET-RWS-LBE-Transaction's `ManualRedeemOfferRequest` for one user offer at once:
    exactly one redeems it, the others are refused, and its history holds one `redeemed` event."""
    user_id = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, await create_offer(client, tenant))
    body = json.dumps({"retailer_id": str(tenant.retailer_id), "user_offer_id": user_offer_id, "force_redeem": False})
    path = f"{OFFERS}/offers/redemption/manual_redeem"
    responses = await asyncio.gather(
        *(client.post(path, content=body, headers={**tenant.auth, **JSON}) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, [r.text for r in responses]
    assert all(
        r.json()["errors"]["code"] in {"OFFER_NOT_REDEEMABLE", "CONFLICT"} for r in responses if r.status_code != 200
    )
    events = (await user_offer(client, tenant, user_offer_id))["events"]
    assert [e["kind"] for e in events] == ["issued", "redeemed"]


# ------------------------------------------------------------------- reward store (items 5 and 6)


async def store_offer(client: httpx.AsyncClient, tenant: Tenant, cost: int, title: str) -> str:
    common = {"reward_store": True, "points_cost": cost, "validity_unit": "days", "validity_period": 30}
    return await create_offer(client, tenant, title=title, common=common)


async def test_purchase_charges_the_account_named_in_point_account_ids(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """API.md 4 (public): `purchase_offer` names the paying account in the `point_account_ids` array.
    Before, the array was ignored and the default account was charged."""
    offer_id = await store_offer(client, tenant, 100, "Mug")
    user_id = await create_user(client, tenant)
    miles = (await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "Miles"}))["point_account_id"]
    default = str(loyalty_repo.default_account_id(tenant.retailer_id))
    await deposit(client, tenant, user_id, 500)
    await deposit(client, tenant, user_id, 300, point_account_id=miles)
    body = {
        "retailer_id": str(tenant.retailer_id),
        "user_id": user_id,
        "offer_id": offer_id,
        "quantity": 2,
        "point_account_ids": [miles],
    }
    bought = await send(client, tenant, f"{OFFERS}/offers/rewardstores/purchase_offer", body)
    assert (bought["point_account_id"], bought["points_spent"], bought["available_balance"]) == (miles, 200, 100)
    balances = await post(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert {a["point_account_id"]: a["available_balance"] for a in balances["accounts"]} == {default: 500, miles: 100}
    # Several named: the first that covers the whole cost pays it (Miles has 100 left, the default 500).
    again = await send(
        client, tenant, f"{OFFERS}/offers/rewardstores/purchase_offer", {**body, "point_account_ids": [miles, default]}
    )
    assert (again["point_account_id"], again["available_balance"]) == (default, 300)


async def test_purchase_refusals_with_point_account_ids_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    """The same body with an account that cannot pay (INSUFFICIENT_POINTS, even though the default account
    could) and with an unknown account (NOT_FOUND): nothing is spent, nothing issued."""
    offer_id = await store_offer(client, tenant, 100, "Mug")
    user_id = await create_user(client, tenant)
    miles = (await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "Miles"}))["point_account_id"]
    await deposit(client, tenant, user_id, 500)
    before = await snapshot(db, *WALLET_TABLES)
    body = {"retailer_id": str(tenant.retailer_id), "user_id": user_id, "offer_id": offer_id, "quantity": 1}
    path = f"{OFFERS}/offers/rewardstores/purchase_offer"
    poor = await send(client, tenant, path, {**body, "point_account_ids": [miles]}, 409)
    assert (poor["errors"]["code"], poor["errors"]["reason"]) == ("CONFLICT", "INSUFFICIENT_POINTS")
    unknown = await send(client, tenant, path, {**body, "point_account_ids": [NIL]}, 404)
    assert unknown["errors"]["code"] == "NOT_FOUND"
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_get_user_reward_stores_with_point_balances(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """SessionM's "Redeem Points for Reward Store Offer" use case: the middleware gets the reward stores the
    customer may buy in, with `include_point_balances`, under `/offers/api/2.0/offers/rewardstores/
    get_user_reward_stores`. The public material gives no answer shape: ours is documented in
    docs/DECISIONS.md (one store per retailer, its offers as get_reward_store_offers lists them, the
    balances as all_balances answers them)."""
    mug = await store_offer(client, tenant, 100, "Mug")
    await create_offer(client, tenant, title="Not for sale")
    user_id = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 250)
    body = {
        "retailer_id": str(tenant.retailer_id),
        "user_id": user_id,
        "culture": "en-US",
        "include_point_balances": True,
    }
    stores = await send(client, tenant, f"{OFFERS}/offers/rewardstores/get_user_reward_stores", body)
    assert list(stores) == ["user_id", "reward_stores", "point_balances"]
    [store] = stores["reward_stores"]
    assert (store["id"], store["name"], store["total_records"]) == (NIL, "Reward Store", 1)
    assert [(o["offer_id"], o["title"], o["points_cost"]) for o in store["offers"]] == [(mug, "Mug", 100)]
    balances = stores["point_balances"]
    assert (balances["user_id"], balances["summary"]) == (user_id, {"total_points": 250, "life_time_points": 250})
    assert [(d["account_name"], d["available_balance"]) for d in balances["details"]] == [("Points", 250)]
    without = await send(
        client,
        tenant,
        f"{OFFERS}/offers/rewardstores/get_user_reward_stores",
        {**body, "include_point_balances": False},
    )
    assert without["point_balances"] is None
    missing = await send(
        client, tenant, f"{OFFERS}/offers/rewardstores/get_user_reward_stores", {**body, "user_id": NIL}, 404
    )
    assert missing["errors"]["code"] == "USER_NOT_FOUND"
