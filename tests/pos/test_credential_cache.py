"""The POS processes' memory of credentials (tenancy/pos_credentials.py) never serves a revoked POS
client or a replaced secret beyond its bound (OPENOFFERS_POS_CREDENTIALS_CACHE_SECONDS), and the offer
revision cache never serves a deleted or deactivated offer at all (its bound is zero).

"Another process" is simulated by changing the database directly, behind the serving app's back; the
memory's monotonic clock is a counter the test moves, so no test sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from openoffers.app import create_app
from openoffers.kit.db import Database
from openoffers.settings import Settings
from openoffers.tables.tenancy import pos_clients
from openoffers.tenancy import repository as repo
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.pos_credentials import pos_credentials
from openoffers.tenancy.secrets import hash_secret, new_salt
from tests.conftest import FrozenClock, Tenant, asgi_transport, basic
from tests.pos.pos_support import LOCK, LOOKUP, api, check, customer_with_offer, envelope, lock_body

BOUND = 30


class Seconds:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seconds(db: Database) -> Seconds:
    clock = Seconds()
    pos_credentials(db).clock = clock
    return clock


async def serving(db: Database, clock: FrozenClock, bound: int) -> httpx.AsyncClient:
    app = create_app(Settings(database_url=db.url, pos_credentials_cache_seconds=bound), database=db, clock=clock)
    return httpx.AsyncClient(transport=asgi_transport(app), base_url="http://testserver")


@pytest.fixture
async def client(db: Database, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    async with await serving(db, clock, BOUND) as http:
        yield http


async def lookup_status(client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str] | None = None) -> int:
    body = envelope(tenant, {"external_customer_id": "C-1"})
    response = await client.post(LOOKUP, json=body, headers=headers or tenant.pos_auth)
    return response.status_code


async def a_customer(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await api(client, tenant, "/api/2.0/users/create", {"external_customer_id": "C-1", "first_name": "Ada"})


async def revoke_elsewhere(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    """What the CLI or another worker does: the row changes, this process's memory is not told."""
    async with db.write() as conn:
        assert await repo.revoke_pos_client(conn, tenant.retailer_id, tenant.client_id, clock())


async def test_a_client_revoked_elsewhere_is_refused_once_the_bound_has_passed(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant, seconds: Seconds
) -> None:
    await a_customer(client, tenant)
    assert await lookup_status(client, tenant) == 200
    await revoke_elsewhere(db, clock, tenant)
    # Within the bound the memory may still answer: that is the documented staleness...
    seconds.now += BOUND - 1
    assert await lookup_status(client, tenant) == 200
    # ...and never past it.
    seconds.now += 1
    assert await lookup_status(client, tenant) == 401
    seconds.now += 1
    assert await lookup_status(client, tenant) == 401


async def test_a_client_revoked_by_this_process_is_refused_at_once(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant, seconds: Seconds
) -> None:
    await a_customer(client, tenant)
    assert await lookup_status(client, tenant) == 200
    await tenancy.revoke_pos_client(db, retailer_id=tenant.retailer_id, client_id=tenant.client_id, now=clock())
    assert await lookup_status(client, tenant) == 401


async def test_a_replaced_secret_works_at_once_and_the_old_one_ends_within_the_bound(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, seconds: Seconds
) -> None:
    await a_customer(client, tenant)
    assert await lookup_status(client, tenant) == 200
    salt, secret = new_salt(), "a-brand-new-secret"
    async with db.write() as conn:
        await conn.execute(
            update(pos_clients)
            .where(pos_clients.c.id == tenant.client_id)
            .values(salt=salt, secret_hash=hash_secret(secret, salt))
        )
    new = basic(str(tenant.client_id), secret)
    # A secret the memory does not match is checked against the database: the new one works at once.
    assert await lookup_status(client, tenant, new) == 200
    # The database refused the old secret when the new one was read: it is not answered from memory.
    seconds.now += 1
    assert await lookup_status(client, tenant) == 401
    seconds.now += BOUND
    assert await lookup_status(client, tenant) == 401
    assert await lookup_status(client, tenant, new) == 200


async def test_with_a_bound_of_zero_every_call_reads_the_credentials(
    db: Database, clock: FrozenClock, tenant: Tenant, seconds: Seconds
) -> None:
    async with await serving(db, clock, 0) as client:
        await a_customer(client, tenant)
        assert await lookup_status(client, tenant) == 200
        await revoke_elsewhere(db, clock, tenant)
        assert await lookup_status(client, tenant) == 401


async def test_a_deleted_offer_is_gone_from_the_next_call(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, seconds: Seconds
) -> None:
    """Offers are not held beyond their revision: each call reads its user offers' status and revision
    key, so deleting an offer (which revokes its user offers) shows at once, however warm the caches."""
    user_id, user_offer_id = await customer_with_offer(client, tenant)
    body: dict[str, Any] = {"user_id": user_id}
    response = await client.post(LOOKUP, json=envelope(tenant, body), headers=tenant.pos_auth)
    [found] = response.json()["payload"]
    assert [o["reference_id"] for o in found["offers"]] == [user_offer_id]
    offer_id = (await api(client, tenant, "/api/2.0/offers/get_user_offer", {"user_offer_id": user_offer_id}))[
        "offer_id"
    ]
    await api(client, tenant, "/api/2.0/offers/management/delete", {"offer_id": offer_id})
    response = await client.post(LOOKUP, json=envelope(tenant, body), headers=tenant.pos_auth)
    [found] = response.json()["payload"]
    assert found["offers"] == []
    response = await client.post(
        LOCK, json=envelope(tenant, lock_body(user_offer_id, check())), headers=tenant.pos_auth
    )
    assert response.status_code != 200


async def test_a_deactivated_offer_is_seen_at_once_however_warm_the_caches(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, seconds: Seconds
) -> None:
    """The offer revision cache is keyed by the row's `updated_at`, which every status change moves, so
    its bound for offers is zero: after a Lookup has cached the published revision, deactivating the
    offer refuses its next issue at once, while the copy already issued stays redeemable and shown
    (API.md 3.2), with the deactivated revision's terms; reactivating issues again at once."""
    user_id, user_offer_id = await customer_with_offer(client, tenant)
    offer_id = (await api(client, tenant, "/api/2.0/offers/get_user_offer", {"user_offer_id": user_offer_id}))[
        "offer_id"
    ]
    body: dict[str, Any] = {"user_id": user_id}
    for _ in range(2):  # warm: credentials and the published revision are in memory now
        response = await client.post(LOOKUP, json=envelope(tenant, body), headers=tenant.pos_auth)
        assert response.status_code == 200
    await api(client, tenant, "/api/2.0/offers/management/deactivate", {"offer_id": offer_id})
    issue = {"user_id": user_id, "offer_id": offer_id}
    [refused] = (await api(client, tenant, "/api/2.0/offers/acquisition/issue", issue))["status_list"]
    assert (refused["user_offer_id"], refused["fail_reason_code"]) == (None, "OFFER_NOT_PUBLISHED")
    response = await client.post(LOOKUP, json=envelope(tenant, body), headers=tenant.pos_auth)
    [found] = response.json()["payload"]
    assert [(o["reference_id"], o["status"]) for o in found["offers"]] == [(user_offer_id, "INFO")]
    response = await client.post(
        LOCK, json=envelope(tenant, lock_body(user_offer_id, check())), headers=tenant.pos_auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["amount"] == 5
    await api(client, tenant, "/api/2.0/offers/management/reactivate", {"offer_id": offer_id})
    [issued] = (await api(client, tenant, "/api/2.0/offers/acquisition/issue", issue))["status_list"]
    assert (issued["fail_reason"], issued["fail_reason_code"]) == (0, None)
    assert issued["user_offer_id"] not in (None, user_offer_id)
