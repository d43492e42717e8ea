"""Every tenancy query. Each takes the retailer id, except the credential look-ups that find it.

Store and POS client ids are unique per retailer (a retailer may choose them), so a look-up by one
of them always names the retailer too; only authentication looks a client id up across retailers.
API keys stay globally unique: the Basic header names no retailer (docs/DECISIONS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.errors import NotFound
from openoffers.kit.money import currency_exponent
from openoffers.tables.tenancy import api_keys, pos_clients, retailers, stores


@dataclass(frozen=True, slots=True)
class Retailer:
    id: UUID
    name: str
    currency: str
    timezone: str
    culture: str
    created_at: datetime

    @property
    def exponent(self) -> int:
        """Minor units per major unit of the retailer's currency, as a power of ten (2 for USD)."""
        return currency_exponent(self.currency)


@dataclass(frozen=True, slots=True)
class Store:
    id: UUID
    retailer_id: UUID
    name: str
    timezone: str
    tags: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: UUID
    retailer_id: UUID
    key: str
    role: str
    name: str
    secret_hash: str
    salt: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class PosClient:
    id: UUID
    retailer_id: UUID
    name: str
    store_ids: tuple[UUID, ...]
    secret_hash: str
    salt: str
    created_at: datetime
    revoked_at: datetime | None


def _retailer(row: Any) -> Retailer:
    return Retailer(row.id, row.name, row.currency, row.timezone, row.culture, row.created_at)


def _store(row: Any) -> Store:
    return Store(row.id, row.retailer_id, row.name, row.timezone, tuple(row.tags), row.created_at)


def _api_key(row: Any) -> ApiKey:
    return ApiKey(
        row.id,
        row.retailer_id,
        row.key,
        row.role,
        row.name,
        row.secret_hash,
        row.salt,
        row.created_at,
        row.revoked_at,
    )


def _pos_client(row: Any) -> PosClient:
    return PosClient(
        row.id,
        row.retailer_id,
        row.name,
        tuple(UUID(s) for s in row.store_ids),
        row.secret_hash,
        row.salt,
        row.created_at,
        row.revoked_at,
    )


async def insert_retailer(conn: AsyncConnection, retailer: Retailer) -> None:
    await conn.execute(
        insert(retailers).values(
            id=retailer.id,
            name=retailer.name,
            currency=retailer.currency,
            timezone=retailer.timezone,
            culture=retailer.culture,
            created_at=retailer.created_at,
        )
    )


async def get_retailer(conn: AsyncConnection, retailer_id: UUID) -> Retailer | None:
    row = (await conn.execute(select(retailers).where(retailers.c.id == retailer_id))).first()
    return _retailer(row) if row else None


async def require_retailer(conn: AsyncConnection, retailer_id: UUID) -> Retailer:
    """The retailer a call acts for, with its currency and culture: the one place they are read.
    Every caller is authenticated for it, so a missing one is NOT_FOUND rather than a default."""
    retailer = await get_retailer(conn, retailer_id)
    if retailer is None:
        raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
    return retailer


async def list_retailers(conn: AsyncConnection) -> list[Retailer]:
    rows = await conn.execute(select(retailers).order_by(retailers.c.created_at, retailers.c.id))
    return [_retailer(r) for r in rows]


async def insert_store(conn: AsyncConnection, store: Store) -> None:
    await conn.execute(
        insert(stores).values(
            id=store.id,
            retailer_id=store.retailer_id,
            name=store.name,
            timezone=store.timezone,
            tags=list(store.tags),
            created_at=store.created_at,
        )
    )


async def update_store(
    conn: AsyncConnection, retailer_id: UUID, store_id: UUID, *, name: str, timezone: str, tags: tuple[str, ...]
) -> bool:
    """Change a store's name, time zone and tags; False when the retailer has no such store."""
    result = await conn.execute(
        update(stores)
        .where(stores.c.retailer_id == retailer_id, stores.c.id == store_id)
        .values(name=name, timezone=timezone, tags=list(tags))
    )
    return result.rowcount == 1


async def get_store(conn: AsyncConnection, retailer_id: UUID, store_id: UUID) -> Store | None:
    row = (
        await conn.execute(select(stores).where(stores.c.retailer_id == retailer_id, stores.c.id == store_id))
    ).first()
    return _store(row) if row else None


# Built once: aliasing and labelling the retailer's columns on every POS call cost measurable time.
_r = retailers.alias("r")
_STORE_AND_RETAILER = select(stores, *(c.label(f"r_{c.name}") for c in _r.c)).join(_r, _r.c.id == stores.c.retailer_id)


def _retailer_labelled(row: Any) -> Retailer:
    return Retailer(row.r_id, row.r_name, row.r_currency, row.r_timezone, row.r_culture, row.r_created_at)


async def get_store_and_retailer(
    conn: AsyncConnection, retailer_id: UUID, store_id: UUID
) -> tuple[Store, Retailer] | None:
    """A store with its retailer in one query (the POS envelope's scope, on every POS call)."""
    row = (
        await conn.execute(_STORE_AND_RETAILER.where(stores.c.retailer_id == retailer_id, stores.c.id == store_id))
    ).first()
    if row is None:
        return None
    return _store(row), _retailer_labelled(row)


async def list_stores(conn: AsyncConnection, retailer_id: UUID) -> list[Store]:
    rows = await conn.execute(
        select(stores).where(stores.c.retailer_id == retailer_id).order_by(stores.c.name, stores.c.id)
    )
    return [_store(r) for r in rows]


async def insert_api_key(conn: AsyncConnection, key: ApiKey) -> None:
    await conn.execute(
        insert(api_keys).values(
            id=key.id,
            retailer_id=key.retailer_id,
            key=key.key,
            role=key.role,
            name=key.name,
            secret_hash=key.secret_hash,
            salt=key.salt,
            created_at=key.created_at,
            revoked_at=None,
        )
    )


async def find_api_key(conn: AsyncConnection, key: str) -> ApiKey | None:
    """By its public key, across retailers: the Basic header is how we learn the retailer."""
    row = (await conn.execute(select(api_keys).where(api_keys.c.key == key))).first()
    return _api_key(row) if row else None


async def list_api_keys(conn: AsyncConnection, retailer_id: UUID) -> list[ApiKey]:
    rows = await conn.execute(
        select(api_keys).where(api_keys.c.retailer_id == retailer_id).order_by(api_keys.c.created_at)
    )
    return [_api_key(r) for r in rows]


async def revoke_api_key(conn: AsyncConnection, retailer_id: UUID, key_id: UUID, now: datetime) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.retailer_id == retailer_id, api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


async def insert_pos_client(conn: AsyncConnection, client: PosClient) -> None:
    await conn.execute(
        insert(pos_clients).values(
            id=client.id,
            retailer_id=client.retailer_id,
            name=client.name,
            store_ids=[str(s) for s in client.store_ids],
            secret_hash=client.secret_hash,
            salt=client.salt,
            created_at=client.created_at,
            revoked_at=None,
        )
    )


async def find_pos_client(conn: AsyncConnection, retailer_id: UUID, client_id: UUID) -> PosClient | None:
    row = (
        await conn.execute(
            select(pos_clients).where(pos_clients.c.retailer_id == retailer_id, pos_clients.c.id == client_id)
        )
    ).first()
    return _pos_client(row) if row else None


# Client ids are unique per retailer, so the Basic header's id may name a client of several retailers:
# authentication takes the one whose secret matches, the oldest first (tenancy.service._pick_client).
_CANDIDATE_ORDER = (pos_clients.c.created_at, pos_clients.c.retailer_id)


async def find_pos_clients(conn: AsyncConnection, client_id: UUID) -> list[PosClient]:
    """Every retailer's client with this id (authentication picks by the secret)."""
    rows = await conn.execute(select(pos_clients).where(pos_clients.c.id == client_id).order_by(*_CANDIDATE_ORDER))
    return [_pos_client(row) for row in rows]


_s = stores.alias("s")
_STORE_AND_RETAILER_LABELLED = [
    *(c.label(f"s_{c.name}") for c in _s.c),
    *(c.label(f"r_{c.name}") for c in _r.c),
]


async def find_pos_clients_at_store(
    conn: AsyncConnection, client_id: UUID, store_id: UUID
) -> list[tuple[PosClient, tuple[Store, Retailer] | None]]:
    """`find_pos_clients`, each with the store `store_id` of the client's own retailer and that retailer
    (None when it has no such store), in one query: a POS call's credentials and scope together."""
    joined = pos_clients.outerjoin(
        _s, and_(_s.c.retailer_id == pos_clients.c.retailer_id, _s.c.id == store_id)
    ).outerjoin(_r, _r.c.id == _s.c.retailer_id)
    query = select(pos_clients, *_STORE_AND_RETAILER_LABELLED).select_from(joined)
    rows = await conn.execute(query.where(pos_clients.c.id == client_id).order_by(*_CANDIDATE_ORDER))
    return [(_pos_client(row), _store_labelled(row)) for row in rows]


def _store_labelled(row: Any) -> tuple[Store, Retailer] | None:
    if row.s_id is None:
        return None
    store = Store(row.s_id, row.s_retailer_id, row.s_name, row.s_timezone, tuple(row.s_tags), row.s_created_at)
    return store, _retailer_labelled(row)


async def list_pos_clients(conn: AsyncConnection, retailer_id: UUID) -> list[PosClient]:
    rows = await conn.execute(
        select(pos_clients).where(pos_clients.c.retailer_id == retailer_id).order_by(pos_clients.c.created_at)
    )
    return [_pos_client(r) for r in rows]


async def revoke_pos_client(conn: AsyncConnection, retailer_id: UUID, client_id: UUID, now: datetime) -> bool:
    result = await conn.execute(
        update(pos_clients)
        .where(
            pos_clients.c.retailer_id == retailer_id,
            pos_clients.c.id == client_id,
            pos_clients.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount)
