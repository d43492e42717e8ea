"""Helpers for wallet and loyalty tests: offers, users and issuance through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Tenant

WALLET_TABLES = (
    "users",
    "user_offers",
    "user_offer_events",
    "offer_inventory",
    "user_offer_counters",
    "point_accounts",
    "point_balances",
    "point_ledger",
    "offers",
)


async def post(client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any], status: int = 200) -> Any:
    """POST as the tenant's admin key; assert the HTTP status; the payload (or the error body)."""
    response = await client.post(path, json={"retailer_id": str(tenant.retailer_id), **body}, headers=tenant.auth)
    assert response.status_code == status, response.text
    data = response.json()
    return data["payload"] if status == 200 else data


def offer_body(
    title: str = "$5 off",
    *,
    texts: list[dict[str, Any]] | None = None,
    media: list[dict[str, Any]] | None = None,
    common: dict[str, Any] | None = None,
    issuance: list[dict[str, Any]] | None = None,
    publish: bool = True,
    offer_type: str = "manual_fulfillment",
) -> dict[str, Any]:
    return {
        "offer_type": offer_type,
        "publish": publish,
        "text_config": texts
        or [{"title": title, "description": f"{title} description", "terms_and_conditions": "T&C", "culture": "en"}],
        "media_config": media or [],
        "common_config": common or {},
        "discount_config": {"amount": "5"} if offer_type.startswith("fixed_amount") else {},
        "issuance_restrictions": issuance or [],
    }


async def create_offer(client: httpx.AsyncClient, tenant: Tenant, **kwargs: Any) -> str:
    payload = await post(client, tenant, "/api/2.0/offers/management/create", offer_body(**kwargs))
    assert payload["validation_errors"] == {}, payload
    return str(payload["offer_id"])


async def create_user(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> str:
    payload = await post(client, tenant, "/api/2.0/users/create", fields)
    return str(payload["user_id"])


async def issue(
    client: httpx.AsyncClient, tenant: Tenant, user_id: str, offer_id: str, quantity: int = 1, **extra: Any
) -> list[dict[str, Any]]:
    payload = await post(
        client,
        tenant,
        "/api/2.0/offers/acquisition/issue",
        {"user_id": user_id, "offer_id": offer_id, "quantity": quantity, **extra},
    )
    return list(payload["status_list"])


async def issue_one(client: httpx.AsyncClient, tenant: Tenant, user_id: str, offer_id: str, **extra: Any) -> str:
    [entry] = await issue(client, tenant, user_id, offer_id, **extra)
    assert entry["fail_reason"] == 0, entry
    return str(entry["user_offer_id"])


async def user_offer(client: httpx.AsyncClient, tenant: Tenant, user_offer_id: str, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = await post(
        client, tenant, "/api/2.0/offers/get_user_offer", {"user_offer_id": user_offer_id, **extra}
    )
    return result


async def deposit(
    client: httpx.AsyncClient, tenant: Tenant, user_id: str, amount: int | str, **extra: Any
) -> dict[str, Any]:
    result: dict[str, Any] = await post(
        client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": amount, **extra}
    )
    return result
