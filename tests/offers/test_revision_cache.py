"""The in-process offer revision cache never serves a stale row: every change moves `updated_at`."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import httpx

from openoffers.kit.db import Database
from openoffers.offers import repository as repo
from openoffers.wallet import offer_status
from tests.conftest import FrozenClock, Tenant, offer_body


async def test_a_status_change_is_seen_through_the_cache(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    response = await client.post(
        "/api/2.0/offers/management/create", json=offer_body(tenant.retailer_id), headers=tenant.auth
    )
    offer_id = UUID(response.json()["payload"]["offer_id"])
    async with db.read() as conn:
        first = await repo.get_offer(conn, tenant.retailer_id, offer_id)
        assert first is not None
        cached = await repo.revisions_cached(conn, tenant.retailer_id, {offer_id: first.updated_at})
    assert cached[offer_id].status == repo.PUBLISHED

    clock.advance(minutes=5)
    await offer_status.change_status(db, tenant.retailer_id, offer_id, "deactivated", clock())
    async with db.read() as conn:
        current = await repo.get_offer(conn, tenant.retailer_id, offer_id)
        assert current is not None and current.updated_at == first.updated_at + timedelta(minutes=5)
        seen = await repo.revisions_cached(conn, tenant.retailer_id, {offer_id: current.updated_at})
        # Asking for the old version still answers from the cache (callers ask for what they read).
        old = await repo.revisions_cached(conn, tenant.retailer_id, {offer_id: first.updated_at})
    assert seen[offer_id].status == repo.DEACTIVATED
    assert old[offer_id].status == repo.PUBLISHED


async def test_another_retailers_offer_is_never_returned(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    response = await client.post(
        "/api/2.0/offers/management/create", json=offer_body(tenant.retailer_id), headers=tenant.auth
    )
    offer_id = UUID(response.json()["payload"]["offer_id"])
    async with db.read() as conn:
        row = await repo.get_offer(conn, tenant.retailer_id, offer_id)
        assert row is not None
        assert await repo.revisions_cached(conn, tenant.retailer_id, {offer_id: row.updated_at}) == {offer_id: row}
        assert await repo.revisions_cached(conn, other_tenant.retailer_id, {offer_id: row.updated_at}) == {}
