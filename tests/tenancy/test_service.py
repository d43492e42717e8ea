"""Tenancy use cases: retailers, API keys, stores and POS clients, with their validation."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.kit.errors import DomainError
from openoffers.tables.tenancy import api_keys, pos_clients
from openoffers.tenancy import repository as repo
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant, snapshot

FIXED_ID = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")


async def test_create_retailer_with_defaults(db: Database, clock: FrozenClock) -> None:
    retailer = await tenancy.create_retailer(db, name="  Coffee Co.  ", now=clock())
    assert (retailer.name, retailer.currency, retailer.timezone, retailer.culture) == ("Coffee Co.", "USD", "UTC", "en")
    assert retailer.created_at == clock()
    assert await tenancy.get_retailer(db, retailer.id) == retailer


async def test_create_retailer_with_explicit_values(db: Database, clock: FrozenClock) -> None:
    retailer = await tenancy.create_retailer(
        db,
        name="Guide",
        retailer_id=FIXED_ID,
        currency="jpy",
        timezone="Asia/Tokyo",
        culture="EN-US",
        now=clock(),
    )
    assert retailer.id == FIXED_ID
    assert (retailer.currency, retailer.timezone, retailer.culture) == ("JPY", "Asia/Tokyo", "en-us")
    stored = await tenancy.get_retailer(db, FIXED_ID)
    assert (stored.name, stored.currency, stored.timezone, stored.culture) == ("Guide", "JPY", "Asia/Tokyo", "en-us")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"currency": "US"}, "currency"),
        ({"currency": "DOLLAR"}, "currency"),
        ({"currency": "U$D"}, "currency"),
        ({"culture": "english please"}, "culture"),
        ({"culture": "e"}, "culture"),
        ({"culture": "en-abcdefgh-abcde"}, "culture"),  # well-formed, but longer than the column's 16
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
    ],
)
async def test_create_retailer_refuses_bad_values(
    db: Database, clock: FrozenClock, kwargs: dict[str, Any], field: str
) -> None:
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_retailer(db, **{"name": "Shop", **kwargs}, now=clock())
    assert (caught.value.code, caught.value.status) == ("VALIDATION", 400)
    assert list(caught.value.fields) == [field]
    assert await snapshot(db) == before


async def test_duplicate_retailer_id_is_conflict(db: Database, clock: FrozenClock) -> None:
    await tenancy.create_retailer(db, name="First", retailer_id=FIXED_ID, now=clock())
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_retailer(db, name="Second", retailer_id=FIXED_ID, now=clock())
    assert (caught.value.code, caught.value.status) == ("CONFLICT", 409)
    assert caught.value.fields == {"id": ["already exists"]}
    assert await snapshot(db) == before
    assert (await tenancy.get_retailer(db, FIXED_ID)).name == "First"


async def test_get_missing_retailer_is_not_found(db: Database) -> None:
    with pytest.raises(DomainError) as caught:
        await tenancy.get_retailer(db, FIXED_ID)
    assert (caught.value.code, caught.value.status) == ("NOT_FOUND", 404)


async def test_create_api_key_generates_and_stores_only_a_hash(db: Database, clock: FrozenClock) -> None:
    retailer = await tenancy.create_retailer(db, name="Shop", now=clock())
    key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, role="offers", name=" ci ", now=clock())
    assert key.key.startswith("key_")
    assert len(key.key) == 24
    assert len(secret) >= 32  # 24 random bytes, base64
    assert (key.role, key.name, key.retailer_id, key.revoked_at) == ("offers", "ci", retailer.id, None)
    assert key.secret_hash == hashlib.sha256(f"{key.salt}:{secret}".encode()).hexdigest()
    async with db.read() as conn:
        row = (await conn.execute(select(api_keys))).one()
    assert secret not in [str(v) for v in row]
    assert row.secret_hash == key.secret_hash
    assert row.key == key.key


async def test_two_generated_keys_differ(db: Database, clock: FrozenClock) -> None:
    retailer = await tenancy.create_retailer(db, name="Shop", now=clock())
    first = await tenancy.create_api_key(db, retailer_id=retailer.id, now=clock())
    second = await tenancy.create_api_key(db, retailer_id=retailer.id, now=clock())
    assert first[0].key != second[0].key
    assert first[1] != second[1]
    assert first[0].salt != second[0].salt
    assert first[0].role == "admin"  # the default


async def test_create_api_key_with_explicit_key_and_secret(db: Database, clock: FrozenClock) -> None:
    retailer = await tenancy.create_retailer(db, name="Shop", now=clock())
    key, secret = await tenancy.create_api_key(
        db, retailer_id=retailer.id, key="partner.key-1", secret="s3cret-value", role="pos", now=clock()
    )
    assert (key.key, secret, key.role) == ("partner.key-1", "s3cret-value", "pos")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "root"}, "role"),
        ({"role": "ADMIN"}, "role"),
        ({"key": "ab"}, "key"),
        ({"key": "has space"}, "key"),
        ({"key": "has:colon"}, "key"),
        ({"secret": "short"}, "secret"),
        ({"secret": "with:colon-inside"}, "secret"),
        ({"secret": "x" * 257}, "secret"),
        ({"name": "n" * 201}, "name"),
    ],
)
async def test_create_api_key_refuses_bad_values(
    db: Database, clock: FrozenClock, kwargs: dict[str, Any], field: str
) -> None:
    retailer = await tenancy.create_retailer(db, name="Shop", now=clock())
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_api_key(db, retailer_id=retailer.id, now=clock(), **kwargs)
    assert (caught.value.code, list(caught.value.fields)) == ("VALIDATION", [field])
    assert await snapshot(db) == before


async def test_create_api_key_for_missing_retailer_is_not_found(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(DomainError) as caught:
        await tenancy.create_api_key(db, retailer_id=FIXED_ID, now=clock())
    assert caught.value.code == "NOT_FOUND"
    assert await snapshot(db, "api_keys") == {"api_keys": []}


async def test_duplicate_key_is_conflict_even_across_retailers(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_api_key(db, retailer_id=other_tenant.retailer_id, key=tenant.key, now=clock())
    assert (caught.value.code, caught.value.fields) == ("CONFLICT", {"key": ["already exists"]})
    assert await snapshot(db) == before


async def test_create_store_defaults_to_the_retailers_zone_and_normalises_tags(
    db: Database, clock: FrozenClock
) -> None:
    retailer = await tenancy.create_retailer(db, name="Shop", timezone="America/Chicago", now=clock())
    store = await tenancy.create_store(
        db, retailer_id=retailer.id, name=" Downtown ", tags=(" Downtown", "mall", "", "DOWNTOWN "), now=clock()
    )
    assert (store.name, store.timezone, store.tags) == ("Downtown", "America/Chicago", ("downtown", "mall"))
    async with db.read() as conn:
        assert await repo.get_store(conn, retailer.id, store.id) == store
    explicit = await tenancy.create_store(
        db, retailer_id=retailer.id, name="Airport", store_id=FIXED_ID, timezone="Europe/Paris", now=clock()
    )
    assert (explicit.id, explicit.timezone, explicit.tags) == (FIXED_ID, "Europe/Paris", ())


async def test_create_store_refuses_a_bad_zone_a_missing_retailer_and_a_taken_id(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="X", timezone="Nowhere/Else", now=clock())
    assert (caught.value.code, list(caught.value.fields)) == ("VALIDATION", ["timezone"])
    with pytest.raises(DomainError) as caught:
        await tenancy.create_store(db, retailer_id=FIXED_ID, name="X", now=clock())
    assert caught.value.code == "NOT_FOUND"
    # Store ids are unique per retailer: the retailer's own id is taken (another's is not: test_tenant_ids.py).
    with pytest.raises(DomainError) as caught:
        await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="X", store_id=tenant.store_id, now=clock())
    assert (caught.value.code, caught.value.fields) == ("CONFLICT", {"id": ["already exists"]})
    assert await snapshot(db) == before


async def test_create_pos_client(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    client, secret = await tenancy.create_pos_client(
        db, retailer_id=tenant.retailer_id, store_ids=(tenant.store_id,), name="till 1", now=clock()
    )
    assert (client.retailer_id, client.store_ids, client.name) == (tenant.retailer_id, (tenant.store_id,), "till 1")
    assert client.secret_hash == hashlib.sha256(f"{client.salt}:{secret}".encode()).hexdigest()
    everywhere, _ = await tenancy.create_pos_client(
        db, retailer_id=tenant.retailer_id, client_id=FIXED_ID, secret="qPCFe7NqE5M9E2", now=clock()
    )
    assert (everywhere.id, everywhere.store_ids) == (FIXED_ID, ())
    async with db.read() as conn:
        rows = (await conn.execute(select(pos_clients))).all()
        assert await repo.find_pos_client(conn, tenant.retailer_id, FIXED_ID) == everywhere
    flat = [str(v) for row in rows for v in row]
    assert secret not in flat
    assert "qPCFe7NqE5M9E2" not in flat
    assert tenant.client_secret not in flat


async def test_pos_client_with_another_retailers_store_is_not_found(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_pos_client(
            db, retailer_id=tenant.retailer_id, store_ids=(tenant.store_id, other_tenant.store_id), now=clock()
        )
    assert (caught.value.code, caught.value.status) == ("NOT_FOUND", 404)
    assert caught.value.fields == {"store_ids": [f"{other_tenant.store_id} not found"]}
    assert await snapshot(db) == before


async def test_pos_client_refuses_a_taken_id_a_bad_secret_and_a_missing_retailer(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await tenancy.create_pos_client(db, retailer_id=tenant.retailer_id, client_id=tenant.client_id, now=clock())
    assert (caught.value.code, caught.value.fields) == ("CONFLICT", {"id": ["already exists"]})
    with pytest.raises(DomainError) as caught:
        await tenancy.create_pos_client(db, retailer_id=tenant.retailer_id, secret="short", now=clock())
    assert (caught.value.code, list(caught.value.fields)) == ("VALIDATION", ["secret"])
    with pytest.raises(DomainError) as caught:
        await tenancy.create_pos_client(db, retailer_id=tenant.retailer_id, name="n" * 201, now=clock())
    assert (caught.value.code, list(caught.value.fields)) == ("VALIDATION", ["name"])
    with pytest.raises(DomainError) as caught:
        await tenancy.create_pos_client(db, retailer_id=FIXED_ID, now=clock())
    assert caught.value.code == "NOT_FOUND"
    assert await snapshot(db) == before


async def test_listing_and_revoking(db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant) -> None:
    async with db.read() as conn:
        keys = await repo.list_api_keys(conn, tenant.retailer_id)
        clients = await repo.list_pos_clients(conn, tenant.retailer_id)
        stores = await repo.list_stores(conn, tenant.retailer_id)
    assert [k.key for k in keys] == [tenant.key]
    assert [c.id for c in clients] == [tenant.client_id]
    assert [s.id for s in stores] == [tenant.store_id]
    async with db.write() as conn:
        # Another retailer cannot revoke it.
        assert await repo.revoke_api_key(conn, other_tenant.retailer_id, keys[0].id, clock()) is False
        assert await repo.revoke_api_key(conn, tenant.retailer_id, keys[0].id, clock()) is True
        assert await repo.revoke_api_key(conn, tenant.retailer_id, keys[0].id, clock()) is False
        assert await repo.revoke_pos_client(conn, other_tenant.retailer_id, tenant.client_id, clock()) is False
        assert await repo.revoke_pos_client(conn, tenant.retailer_id, tenant.client_id, clock()) is True
    async with db.read() as conn:
        key = await repo.find_api_key(conn, tenant.key)
        client = await repo.find_pos_client(conn, tenant.retailer_id, tenant.client_id)
        other_key = await repo.find_api_key(conn, other_tenant.key)
    assert key is not None and client is not None and other_key is not None
    assert key.revoked_at == clock()
    assert client.revoked_at == clock()
    assert other_key.revoked_at is None
