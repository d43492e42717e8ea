"""The Incentives service's calls exactly as public SessionM clients send them (issue 11, items 4 and 5).

Sources, cited per test:
- teamusers/DOTNET-RWS-LBE-Transaction: `Common/RlpCommons.cs` (`/incentives/api/1.0/user_points/
  all_balances` and `.../spend_multiple`), `DTOs/RLP/Requests/SpendRequest.cs` (`ViewBalanceRWS`,
  `SpendRequest`, `SpendUserPointsRequestDetail`), `DTOs/RLP/Responses/BalanceResponse.cs` and
  `SpendResponse.cs` (what it reads), `Controllers/TransactionController.cs` (how it fills them: the
  balance first, the "Spend" account picked from `details`, then one spend naming it);
- teamusers/DOTNET-RWS-LBE-Register: `DTOs/Configurations/RlpApiConfig.cs` (`/incentives/api/1.0/
  user_events/trigger_user_event`) and `DTOs/Rlp/Requests/RlpUserProfileRequest.cs`
  (`UserTierUpdateEventRequest`: event_lookup, user_id, retailer_id).
Every refusal asserts that nothing changed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from openoffers.kit.db import Database
from tests.conftest import Tenant, snapshot
from tests.wallet.wallet_support import WALLET_TABLES, create_offer, create_user, deposit, post

INCENTIVES = "/incentives/api/1.0"
JSON = {"Content-Type": "application/json"}
NIL = "00000000-0000-0000-0000-000000000000"


async def send(
    client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any], status: int = 200
) -> dict[str, Any]:
    response = await client.post(path, content=json.dumps(body), headers={**tenant.auth, **JSON})
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data["payload"] if status == 200 else data


def spend_detail(account_id: str, amount: float, **changes: Any) -> dict[str, Any]:
    """A `SpendUserPointsRequestDetail` as System.Text.Json writes it: every property, "" for the strings
    the controller leaves unset, `amount` a double."""
    return {
        "id": "",
        "timestamp": "",
        "overdraft_id": "",
        "overdraft_timestamp": "",
        "amount": amount,
        "point_account_ids": [account_id],
        "reference_id": "7c1f0d0e-4a36-4d7c-9d35-0d6c2a1b9f10",
        "reference_type": "AppSpend",
        "transaction_id": "TX-20260615-0001",
        "force_spend": True,
        "rank": 0,
        "is_return": False,
        "idempotency_id": "5b0e7a52-0c47-4f0e-a3a8-ff1b0e2c9d41",
        "point_source_id": "",
        **changes,
    }


def spend_request(tenant: Tenant, user_id: str, details: list[dict[str, Any]], partial: bool = True) -> dict[str, Any]:
    """`SpendRequest` in its property order (culture first), as TransactionController fills it."""
    return {
        "culture": "en-US",
        "retailer_id": str(tenant.retailer_id),
        "user_id": user_id,
        "spend_details": details,
        "allow_partial_success": partial,
        "disable_event_publishing": False,
        "parallel_mode": False,
    }


async def spend_account(client: httpx.AsyncClient, tenant: Tenant) -> str:
    body = {"name": "NG Dollar Point Account", "grouping_label": "Spend"}
    return str((await post(client, tenant, "/api/2.0/point_accounts/create", body))["point_account_id"])


async def test_all_balances_as_the_dotnet_client_reads_them(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """`ViewBalanceRWS` (retailer_id, user_id, culture "en_US") to `/incentives/api/1.0/user_points/
    all_balances`; the client reads `payload.summary` and `payload.details[]` (`UserBalancePayload`) and
    picks the account whose grouping_label is "Spend" and account_name "NG Dollar Point Account"."""
    user_id = await create_user(client, tenant)
    spend_id = await spend_account(client, tenant)
    await deposit(client, tenant, user_id, 40)
    await deposit(client, tenant, user_id, 120, point_account_id=spend_id)
    await post(
        client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 20, "point_account_id": spend_id}
    )
    body = {"retailer_id": str(tenant.retailer_id), "user_id": user_id, "culture": "en_US"}
    payload = await send(client, tenant, f"{INCENTIVES}/user_points/all_balances", body)
    assert list(payload) == ["retailer_id", "user_id", "summary", "details"]
    assert (payload["retailer_id"], payload["user_id"]) == (str(tenant.retailer_id), user_id)
    assert payload["summary"] == {"total_points": 140, "life_time_points": 160}
    [points, spend] = payload["details"]
    assert (points["account_name"], points["available_balance"], points["life_time_value"]) == ("Points", 40, 40)
    assert list(spend) == [
        "account_name",
        "user_point_account_id",
        "point_account_id",
        "grouping_label",
        "available_balance",
        "life_time_value",
    ]
    assert (spend["account_name"], spend["grouping_label"], spend["point_account_id"]) == (
        "NG Dollar Point Account",
        "Spend",
        spend_id,
    )
    assert (spend["available_balance"], spend["life_time_value"]) == (100, 120)
    assert isinstance(spend["user_point_account_id"], str)
    missing = await send(client, tenant, f"{INCENTIVES}/user_points/all_balances", {**body, "user_id": NIL}, 404)
    assert missing["errors"]["code"] == "USER_NOT_FOUND"


async def test_spend_multiple_as_the_dotnet_client_sends_it(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    """TransactionController's burn: `SpendRequest` with one detail naming the Spend account, amount the
    check's subtotal as a double, force_spend true, allow_partial_success true. It reads `SpendResponse`:
    details[] (amount_spent, remaining_balance, error_status...), summary, audits, time_of_occurrence."""
    user_id = await create_user(client, tenant)
    spend_id = await spend_account(client, tenant)
    await deposit(client, tenant, user_id, 100, point_account_id=spend_id)
    await deposit(client, tenant, user_id, 7)
    body = spend_request(tenant, user_id, [spend_detail(spend_id, 60.0)])
    payload = await send(client, tenant, f"{INCENTIVES}/user_points/spend_multiple", body)
    assert list(payload) == ["details", "retailer_id", "user_id", "summary", "audits", "time_of_occurrence"]
    [detail] = payload["details"]
    assert (detail["point_account_id"], detail["account_name"]) == (spend_id, "NG Dollar Point Account")
    assert (detail["amount_spent"], detail["remaining_balance"], detail["error_status"]) == (60, 40, 0)
    assert (detail["reference_id"], detail["reference_type"]) == ("7c1f0d0e-4a36-4d7c-9d35-0d6c2a1b9f10", "AppSpend")
    assert (detail["idempotency_id"], detail["idempotency_summary"]) == (
        "5b0e7a52-0c47-4f0e-a3a8-ff1b0e2c9d41",
        "applied",
    )
    assert payload["summary"] == {"amount_spent": 60, "remaining_balance": 47}
    [audit] = payload["audits"]
    assert (audit["modification"], audit["amount_spent"], audit["modification_type"], audit["transaction_id"]) == (
        -60,
        60,
        "spend",
        "TX-20260615-0001",
    )
    assert audit["id"] == detail["tracking_id"]
    assert payload["time_of_occurrence"] == "2026-06-15T12:00:00Z"
    # A retry with the same idempotency_id is applied once: the same spend, nothing taken again.
    before = await snapshot(db, *WALLET_TABLES)
    retried = await send(client, tenant, f"{INCENTIVES}/user_points/spend_multiple", body)
    assert (retried["details"][0]["idempotency_summary"], retried["details"][0]["tracking_id"]) == (
        "already_applied",
        detail["tracking_id"],
    )
    assert (retried["details"][0]["remaining_balance"], retried["audits"]) == (40, [])
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_spend_multiple_partial_success_and_rank(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """`allow_partial_success` true (as the .NET client sends it): a spend the balance cannot cover is
    reported in its detail (error_status 1) and the others happen; spends run in `rank` order."""
    user_id = await create_user(client, tenant)
    spend_id = await spend_account(client, tenant)
    await deposit(client, tenant, user_id, 100, point_account_id=spend_id)
    details = [
        spend_detail(spend_id, 80, rank=2, idempotency_id="", reference_id="second"),
        spend_detail(spend_id, 30, rank=1, idempotency_id="", reference_id="first"),
    ]
    payload = await send(
        client, tenant, f"{INCENTIVES}/user_points/spend_multiple", spend_request(tenant, user_id, details)
    )
    # In request order; the rank-1 spend ran first, so the rank-2 one found 70 points.
    assert [
        (d["reference_id"], d["amount_spent"], d["error_status"], d["remaining_balance"]) for d in payload["details"]
    ] == [
        ("second", 0, 1, 70),
        ("first", 30, 0, 70),
    ]
    assert payload["details"][0]["message"] == "INSUFFICIENT_POINTS: 80 needed, 70 available"
    assert payload["summary"] == {"amount_spent": 30, "remaining_balance": 70}
    assert len(payload["audits"]) == 1


async def test_spend_multiple_refusals_change_nothing(client: httpx.AsyncClient, tenant: Tenant, db: Database) -> None:
    """The same `SpendRequest` refused whole: without partial success a spend the balance cannot cover
    (409 INSUFFICIENT_POINTS, the spend before it undone too), a fraction of a point, `is_return` true,
    an unknown account, an unknown user."""
    user_id = await create_user(client, tenant)
    spend_id = await spend_account(client, tenant)
    await deposit(client, tenant, user_id, 100, point_account_id=spend_id)
    before = await snapshot(db, *WALLET_TABLES)
    path = f"{INCENTIVES}/user_points/spend_multiple"
    too_much = [spend_detail(spend_id, 30, idempotency_id="a"), spend_detail(spend_id, 80, idempotency_id="b")]
    error = (await send(client, tenant, path, spend_request(tenant, user_id, too_much, partial=False), 409))["errors"]
    assert (error["code"], error["reason"]) == ("CONFLICT", "INSUFFICIENT_POINTS")
    for details, status, code, field in (
        ([spend_detail(spend_id, 12.5)], 400, "VALIDATION", "spend_details[0].amount"),
        ([spend_detail(spend_id, 0)], 400, "VALIDATION", "spend_details[0].amount"),
        ([spend_detail(spend_id, 5, is_return=True)], 400, "VALIDATION", "spend_details[0].is_return"),
        ([spend_detail(NIL, 5)], 404, "NOT_FOUND", "point_account_id"),
    ):
        error = (await send(client, tenant, path, spend_request(tenant, user_id, details), status))["errors"]
        assert (error["code"], list(error["fields"])) == (code, [field]), details
    unknown = await send(client, tenant, path, spend_request(tenant, NIL, [spend_detail(spend_id, 5)]), 404)
    assert unknown["errors"]["code"] == "USER_NOT_FOUND"
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_concurrent_retries_of_one_spend_spend_once(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """Twenty copies of one `SpendRequest` (one idempotency_id) at once: the points are taken once."""
    user_id = await create_user(client, tenant)
    spend_id = await spend_account(client, tenant)
    await deposit(client, tenant, user_id, 100, point_account_id=spend_id)
    body = json.dumps(spend_request(tenant, user_id, [spend_detail(spend_id, 25)]))
    responses = await asyncio.gather(
        *(
            client.post(f"{INCENTIVES}/user_points/spend_multiple", content=body, headers={**tenant.auth, **JSON})
            for _ in range(20)
        )
    )
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    summaries = [r.json()["payload"]["details"][0]["idempotency_summary"] for r in responses if r.status_code == 200]
    assert summaries.count("applied") == 1
    balances = await post(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert {a["point_account_id"]: a["available_balance"] for a in balances["accounts"]}[spend_id] == 75
    history = await post(
        client, tenant, "/api/2.0/user_points/history", {"user_id": user_id, "point_account_id": spend_id}
    )
    assert [(e["kind"], e["amount"]) for e in history["results"]] == [("spend", 25), ("earn", 100)]


async def test_trigger_user_event_as_the_dotnet_client_sends_it(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    """DOTNET-RWS-LBE-Register `UpdateUserTierAsync`: POST `/incentives/api/1.0/user_events/
    trigger_user_event` with `UserTierUpdateEventRequest` {event_lookup, user_id, retailer_id}. The
    custom-event rule named by `event_lookup` fires, as user_events/trigger would."""
    offer_id = await create_offer(client, tenant, title="Tier B welcome")
    rule = {
        "kind": "issuance",
        "name": "tier b",
        "offer_id": offer_id,
        "trigger": {"type": "custom_event", "event_name": "move_tier_b"},
        "recurrence": "once",
    }
    await post(client, tenant, "/api/2.0/rules/create", rule)
    user_id = await create_user(client, tenant)
    body = {"event_lookup": "move_tier_b", "user_id": user_id, "retailer_id": str(tenant.retailer_id)}
    outcome = await send(client, tenant, f"{INCENTIVES}/user_events/trigger_user_event", body)
    assert outcome["user_id"] == user_id
    [issued] = outcome["offers"]
    assert (issued["offer_id"], issued["quantity"], issued["fail_reason"]) == (offer_id, 1, None)
    wallet = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert [o["offer_id"] for o in wallet["user_offers"]] == [offer_id]
    # Refusals change nothing: an unknown user, a blank event.
    before = await snapshot(db, *WALLET_TABLES)
    path = f"{INCENTIVES}/user_events/trigger_user_event"
    assert (await send(client, tenant, path, {**body, "user_id": NIL}, 404))["errors"]["code"] == "USER_NOT_FOUND"
    assert (await send(client, tenant, path, {**body, "event_lookup": " "}, 400))["errors"]["code"] == "VALIDATION"
    assert await snapshot(db, *WALLET_TABLES) == before
