"""Helpers for POS tests: offers, users and user offers through the Offers API, POS envelopes, checks."""

from __future__ import annotations

import itertools
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.tables.wallet import user_offer_events, user_offers
from tests.conftest import Tenant, offer_body

LOOKUP = "/api/2.0/lookup"
LOCK = "/api/2.0/lock"
REDEMPTION_LOCK = "/api/2.0/offers/redemption/lock"
REDEEM = "/api/2.0/redeem"
UNLOCK = "/api/2.0/unlock"
REINSTATE = "/api/2.0/reinstate"
SEND = "/api/2.0/send_transaction"
OFFERS_SEND = "/api/2.0/offers/send_transaction"
CLAIM_CODE = "/api/2.0/offers/claim_code"

# Everything a POS call can change (what `snapshot` compares after a refusal).
POS_TABLES = (
    "user_offers",
    "user_offer_events",
    "pos_requests",
    "pos_transactions",
    "pos_locks",
    "claim_codes",
    "point_balances",
    "point_ledger",
)

_request_ids = itertools.count(1)


def next_request_id() -> str:
    return f"r-{next(_request_ids)}"


async def api(client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any], status: int = 200) -> Any:
    """An Offers API call with the tenant's admin key; the payload (or the error body)."""
    response = await client.post(path, json={"retailer_id": str(tenant.retailer_id), **body}, headers=tenant.auth)
    assert response.status_code == status, response.text
    data = response.json()
    return data["payload"] if status == 200 else data


async def create_offer(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> str:
    response = await client.post(
        "/api/2.0/offers/management/create", json=offer_body(tenant.retailer_id, **overrides), headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert payload["validation_errors"] == {}, payload
    return str(payload["offer_id"])


async def create_user(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> str:
    return str((await api(client, tenant, "/api/2.0/users/create", fields))["user_id"])


async def issue(client: httpx.AsyncClient, tenant: Tenant, user_id: str, offer_id: str) -> str:
    payload = await api(
        client, tenant, "/api/2.0/offers/acquisition/issue", {"user_id": user_id, "offer_id": offer_id, "quantity": 1}
    )
    [entry] = payload["status_list"]
    assert entry["fail_reason"] == 0, entry
    return str(entry["user_offer_id"])


async def customer_with_offer(client: httpx.AsyncClient, tenant: Tenant, **offer: Any) -> tuple[str, str]:
    """A new user holding one user offer of a new offer (default: $5 off the check); (user id, user offer id)."""
    offer_id = await create_offer(client, tenant, **offer)
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    return user_id, await issue(client, tenant, user_id, offer_id)


def line(line_id: str, price: str, *, item_id: str = "1", quantity: str = "1", modifies: str = "") -> dict[str, Any]:
    return {
        "line_id": line_id,
        "item_id": item_id,
        "quantity": quantity,
        "unit_price": price,
        "subtotal": price,
        "modifies_line_id": modifies,
    }


def check(
    transaction_id: str = "T-1",
    items: list[dict[str, Any]] | None = None,
    *,
    discounts: list[dict[str, Any]] | None = None,
    is_closed: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A check: by default the guide's two lines, 10.00 and a 1.00 modifier of it."""
    return {
        "transaction_id": transaction_id,
        "channel": "STORE",
        "items": items if items is not None else [line("0", "10"), line("1", "1", item_id="2", modifies="0")],
        "discounts": discounts or [],
        "payments": [],
        "is_closed": is_closed,
        **extra,
    }


def envelope(tenant: Tenant, payload: dict[str, Any], *, request_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "store_id": str(tenant.store_id),
        "client_id": str(tenant.client_id),
        "request_id": request_id or next_request_id(),
        "request_payload": payload,
        **extra,
    }


async def pos(
    client: httpx.AsyncClient,
    tenant: Tenant,
    path: str,
    payload: dict[str, Any],
    status: int = 200,
    *,
    method: str = "POST",
    request_id: str | None = None,
    **extra: Any,
) -> Any:
    """A POS call as the tenant's POS client; the payload (or the whole error body)."""
    response = await client.request(
        method, path, json=envelope(tenant, payload, request_id=request_id, **extra), headers=tenant.pos_auth
    )
    assert response.status_code == status, response.text
    data = response.json()
    if status == 200:
        assert data["errors"] is None
        return data["payload"]
    assert (data["status"], data["payload"]) == ("error", None)
    return data


def lock_body(user_offer_id: str, transaction: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "offer_lookup_code": user_offer_id,
        "offer_lookup_type": "userofferid",
        "transaction": transaction or check(),
        **extra,
    }


async def lock(
    client: httpx.AsyncClient, tenant: Tenant, user_offer_id: str, transaction: dict[str, Any] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = await pos(client, tenant, LOCK, lock_body(user_offer_id, transaction))
    return result


def as_discount(locked: dict[str, Any]) -> dict[str, Any]:
    """What a POS puts on its check from a Lock answer."""
    return {key: locked[key] for key in locked if key != "image_url"}


def error_of(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["errors"]["code"], body["errors"].get("reason")


async def status_of(db: Database, user_offer_id: str) -> int:
    async with db.read() as conn:
        row = (await conn.execute(select(user_offers.c.status).where(user_offers.c.id == UUID(user_offer_id)))).one()
    return int(row.status)


async def events_of(db: Database, user_offer_id: str) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(user_offer_events.c.kind)
            .where(user_offer_events.c.user_offer_id == UUID(user_offer_id))
            .order_by(user_offer_events.c.id)
        )
    return [r.kind for r in rows]
