"""Where offers meet wallets: real counts in fetch_offers_details, delete revoking user offers, the
demo customer, and the migration matching the tables."""

from __future__ import annotations

from uuid import UUID

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from openoffers import demo
from openoffers.kit.db import Database
from openoffers.tables import metadata
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.repository import Event
from tests.conftest import FrozenClock, Tenant
from tests.wallet.wallet_support import create_offer, create_user, issue_one, post, user_offer

MY_TABLES = {
    "users",
    "user_offers",
    "user_offer_events",
    "offer_inventory",
    "user_offer_counters",
    "point_accounts",
    "point_balances",
    "point_ledger",
}


async def test_fetch_offers_details_reports_real_counts(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    limited = await create_offer(client, tenant, issuance=[{"type": "inventory", "total": 10}])
    open_ended = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    ids = [await issue_one(client, tenant, user_id, limited) for _ in range(3)]
    await issue_one(client, tenant, user_id, open_ended)
    async with db.write() as conn:
        assert await wallet_repo.transition(
            conn, tenant.retailer_id, UUID(ids[0]), 1, 3, Event("redeemed", clock(), "pos")
        )
    details = await post(client, tenant, "/api/2.0/offers/fetch_offers_details", {"offer_ids": [limited, open_ended]})
    assert [
        (
            r["offer_id"],
            r["acquisition_count"],
            r["redemption_count"],
            r["total_inventory"],
            r["available_inventory_remaining"],
        )
        for r in details["results"]
    ] == [(limited, 3, 1, 10, 7), (open_ended, 1, 0, None, None)]


async def test_deleting_an_offer_revokes_its_unredeemed_user_offers(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant, common={"validity_unit": "days", "validity_period": 1})
    other = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    expired = await issue_one(client, tenant, user_id, offer_id)
    clock.advance(days=1)
    issued = await issue_one(client, tenant, user_id, offer_id)
    locked = await issue_one(client, tenant, user_id, offer_id)
    redeemed = await issue_one(client, tenant, user_id, offer_id)
    untouched = await issue_one(client, tenant, user_id, other)
    async with db.write() as conn:
        retailer = tenant.retailer_id
        assert await wallet_repo.transition(conn, retailer, UUID(locked), 1, 2, Event("locked", clock(), "pos"))
        assert await wallet_repo.transition(conn, retailer, UUID(redeemed), 1, 3, Event("redeemed", clock(), "pos"))
    clock.advance(hours=1)
    await post(client, tenant, "/api/2.0/offers/management/delete", {"offer_id": offer_id})
    statuses = {
        k: (await user_offer(client, tenant, v))["status"]
        for k, v in locals().items()
        if k in {"expired", "issued", "locked", "redeemed", "untouched"}
    }
    assert statuses == {"expired": 4, "issued": 5, "locked": 5, "redeemed": 3, "untouched": 1}
    last = (await user_offer(client, tenant, issued))["events"][-1]
    assert (last["kind"], last["at"], last["actor"], last["reason"]) == (
        "revoked",
        "2026-06-16T13:00:00Z",
        "system",
        "offer deleted",
    )
    # The expired one is recorded as expired (when its window ended), not as revoked.
    assert [e["kind"] for e in (await user_offer(client, tenant, expired))["events"]] == ["issued", "expired"]


async def test_demo_customer_holds_the_demo_offer_once(db: Database, clock: FrozenClock) -> None:
    first = await demo.ensure_demo(db, clock)
    again = await demo.ensure_demo(db, clock)
    assert first.user_id == again.user_id == demo.USER_ID
    async with db.read() as conn:
        [user] = await users_repo.find_users(conn, demo.RETAILER_ID, external_customer_id="14311211")
        wallet = await wallet_repo.wallet_rows(conn, demo.RETAILER_ID, user.id, clock())
    assert (user.id, user.first_name, user.email, user.phone) == (demo.USER_ID, "J", "jh@sessionm.com", "1440273702")
    assert [(w.user_offer.id, w.offer.id) for w in wallet] == [(demo.USER_OFFER_ID, first.offer_id)]


def test_migration_creates_exactly_these_tables(sqlite_template: object) -> None:
    """Autogenerate finds nothing left to do for the wallet and points tables."""
    engine = create_engine(f"sqlite:///{sqlite_template}")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    engine.dispose()

    # Other engineers' tables may be ahead of their own migration; only ours are checked here.
    def mine(diff: object) -> bool:
        text = repr(diff)
        return any(f"'{t}'" in text or f"<{t}>" in text for t in MY_TABLES)

    assert [d for d in diffs if mine(d)] == []
    assert MY_TABLES <= set(metadata.tables)
