"""Helpers for loyalty rule and engine tests (not a test module)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from openoffers import rules
from openoffers.kit.db import Database
from openoffers.loyalty.points import repository as points_repo
from openoffers.loyalty.rules import engine
from openoffers.tables.rules import loyalty_rule_issuances
from openoffers.tables.wallet import user_offers
from tests.conftest import Tenant
from tests.wallet.wallet_support import create_offer, post

RULE_TABLES = (
    "loyalty_rules",
    "loyalty_users",
    "loyalty_rule_counters",
    "loyalty_events",
    "loyalty_rule_issuances",
    "point_accounts",
    "point_balances",
    "point_ledger",
    "user_offers",
    "user_offer_events",
    "user_offer_counters",
    "offer_inventory",
    "catalog_items",
)
NEW_YORK = ZoneInfo("America/New_York")
ACTOR = "test"


async def create_rule(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], status: int = 200) -> Any:
    return await post(client, tenant, "/api/2.0/rules/create", body, status=status)


async def earn_rule(client: httpx.AsyncClient, tenant: Tenant, rate: Any = "1", **extra: Any) -> dict[str, Any]:
    rule: dict[str, Any] = await create_rule(client, tenant, {"kind": "earn", "name": "base", "rate": rate, **extra})
    return rule


async def issuance_rule(
    client: httpx.AsyncClient, tenant: Tenant, offer_id: str, trigger: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    body = {"kind": "issuance", "name": f"on {trigger['type']}", "offer_id": offer_id, "trigger": trigger, **extra}
    rule: dict[str, Any] = await create_rule(client, tenant, body)
    return rule


async def threshold_rule(
    client: httpx.AsyncClient,
    tenant: Tenant,
    offer_id: str,
    threshold: int = 200,
    recurrence: str = "every_time",
    **trigger: Any,
) -> dict[str, Any]:
    return await issuance_rule(
        client,
        tenant,
        offer_id,
        {"type": "points_threshold", "threshold": threshold, **trigger},
        recurrence=recurrence,
    )


async def five_dollar_offer(client: httpx.AsyncClient, tenant: Tenant, **kwargs: Any) -> str:
    kwargs.setdefault("common", {"validity_unit": "days", "validity_period": 30})
    return await create_offer(client, tenant, offer_type="fixed_amount_check_discount", **kwargs)


def check(
    tenant: Tenant,
    user_id: str | UUID,
    *spends: int,
    transaction_id: str = "t1",
    at: datetime,
    items: Iterable[str] | None = None,
    categories: Iterable[Iterable[str]] | None = None,
    channel: str = "STORE",
    total: int | None = None,
) -> rules.TransactionClosed:
    item_ids = list(items) if items is not None else [f"item-{i}" for i in range(len(spends))]
    cats = [frozenset(c) for c in categories] if categories is not None else [frozenset() for _ in spends]
    lines = tuple(rules.CheckLine(str(i), item_ids[i], spend, cats[i]) for i, spend in enumerate(spends))
    return rules.TransactionClosed(
        user_id=str(user_id),
        occurred_at=at,
        store_zone=NEW_YORK,
        store_id=str(tenant.store_id),
        channel=channel,
        lines=lines,
        total=sum(spends) if total is None else total,
        store_tags=frozenset({"downtown"}),
        transaction_id=f"{tenant.store_id}:{transaction_id}",
    )


async def close(db: Database, tenant: Tenant, event: rules.TransactionClosed, now: datetime) -> rules.Outcome:
    async with db.write() as conn:
        return await engine.on_transaction_closed(
            conn, retailer_id=tenant.retailer_id, event=event, now=now, actor=ACTOR
        )


async def void(db: Database, tenant: Tenant, user_id: str, transaction_id: str, now: datetime) -> None:
    async with db.write() as conn:
        await engine.on_transaction_voided(
            conn,
            retailer_id=tenant.retailer_id,
            user_id=UUID(user_id),
            transaction_id=f"{tenant.store_id}:{transaction_id}",
            now=now,
            actor=ACTOR,
        )


async def balance(db: Database, tenant: Tenant, user_id: str, account: UUID | None = None) -> tuple[int, int]:
    """(available, lifetime) of the account (default: the default one); checks it equals its ledger."""
    account = account or points_repo.default_account_id(tenant.retailer_id)
    async with db.read() as conn:
        row = await points_repo.get_balance(conn, tenant.retailer_id, account, UUID(user_id))
        sums = await points_repo.ledger_sums(conn, tenant.retailer_id, account, UUID(user_id))
    found = (row.available, row.lifetime) if row else (0, 0)
    assert found == sums
    return found


async def user_offer_rows(db: Database, tenant: Tenant, user_id: str) -> list[Any]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(user_offers)
            .where(user_offers.c.retailer_id == tenant.retailer_id, user_offers.c.user_id == UUID(user_id))
            .order_by(user_offers.c.acquired_at, user_offers.c.id)
        )
        return list(rows)


async def issuance_rows(db: Database, tenant: Tenant) -> list[Any]:
    async with db.read() as conn:
        return list(
            await conn.execute(
                select(loyalty_rule_issuances).where(loyalty_rule_issuances.c.retailer_id == tenant.retailer_id)
            )
        )
