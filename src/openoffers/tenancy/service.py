"""Tenancy use cases: create retailers, keys, stores and POS clients; authenticate requests.

The CLI, the admin UI and the tests call these; each owns its one transaction.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, InvalidApiKey, NotFound, ValidationFailed
from openoffers.kit.ids import new_id, parse_uuid
from openoffers.kit.money import is_currency_code
from openoffers.tenancy import audit
from openoffers.tenancy import repository as repo
from openoffers.tenancy.pos_credentials import PosCredentials, pos_credentials
from openoffers.tenancy.repository import ApiKey, PosClient, Retailer, Store
from openoffers.tenancy.secrets import hash_secret, new_salt, new_secret, secret_matches


class Role(StrEnum):
    """What an API key may do.

    admin:  everything, including tenancy (stores, keys, POS clients) and the admin UI.
    offers: offers, issuance, wallets, the reward store, catalog and events; not customers, points or rules
            (docs/API-ROLES.md has the matrix per endpoint).
    pos:    read-only Offers API calls a POS middleware makes (fetch offers, wallets, history).
    POS API calls (lookup, lock, send_transaction...) authenticate as a POS client instead.
    """

    ADMIN = "admin"
    OFFERS = "offers"
    POS = "pos"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key or a POS client, always of exactly one retailer."""

    retailer_id: UUID
    kind: str  # "api_key" or "pos_client"
    role: Role | None = None
    client_id: UUID | None = None
    store_ids: frozenset[UUID] = frozenset()  # POS clients: empty means every store
    key: str = ""

    @property
    def actor(self) -> str:
        """Who to record in a ledger entry or a user offer event."""
        return f"api_key:{self.key}" if self.kind == "api_key" else f"pos_client:{self.client_id}"


_CULTURE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_KEY = re.compile(r"^[A-Za-z0-9._~-]{3,128}$")


def check_timezone(name: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field(field, f"unknown time zone {name!r} (use an Area/City name)") from None
    return name


def _check_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.field(field, "must be 1 to 200 characters")
    return name


def _check_label(label: str) -> str:
    """An optional label (key and POS client names): empty is fine, but it must fit its column."""
    label = label.strip()
    if len(label) > 200:
        raise ValidationFailed.field("name", "must be at most 200 characters")
    return label


def _key_view(key: ApiKey) -> dict[str, Any]:
    """What the audit log keeps of a key: never its secret or hash."""
    return {"key": key.key, "name": key.name, "role": key.role, "revoked": key.revoked_at is not None}


def _client_view(client: PosClient) -> dict[str, Any]:
    return {"name": client.name, "store_ids": list(client.store_ids), "revoked": client.revoked_at is not None}


def _retailer_view(retailer: Retailer) -> dict[str, Any]:
    return {
        "name": retailer.name,
        "currency": retailer.currency,
        "timezone": retailer.timezone,
        "culture": retailer.culture,
    }


def _store_view(store: Store) -> dict[str, Any]:
    return {"name": store.name, "timezone": store.timezone, "tags": list(store.tags)}


async def create_retailer(
    db: Database,
    *,
    name: str,
    now: datetime,
    retailer_id: UUID | None = None,
    currency: str = "USD",
    timezone: str = "UTC",
    culture: str = "en",
) -> Retailer:
    if not is_currency_code(currency):
        raise ValidationFailed.field("currency", "must be an ISO 4217 code such as USD")
    if len(culture) > 16 or not _CULTURE.match(culture):  # the column holds 16
        raise ValidationFailed.field("culture", "must be a culture such as en or en-US")
    retailer = Retailer(
        id=retailer_id or new_id(),
        name=_check_name(name),
        currency=currency.upper(),
        timezone=check_timezone(timezone),
        culture=culture.lower(),
        created_at=now,
    )
    async with db.write() as conn:
        if await repo.get_retailer(conn, retailer.id) is not None:
            raise Conflict(f"retailer {retailer.id} already exists", fields={"id": ["already exists"]})
        await repo.insert_retailer(conn, retailer)
        # The first row of the retailer's own log (made by the operator's CLI, or the demo: "system").
        await audit.record(
            conn,
            retailer_id=retailer.id,
            object_type="retailer",
            object_id=retailer.id,
            action="created",
            before=None,
            after=_retailer_view(retailer),
            now=now,
        )
    return retailer


async def get_retailer(db: Database, retailer_id: UUID) -> Retailer:
    async with db.read() as conn:
        retailer = await repo.get_retailer(conn, retailer_id)
    if retailer is None:
        raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
    return retailer


async def _require_retailer(conn: AsyncConnection, retailer_id: UUID) -> Retailer:
    retailer = await repo.get_retailer(conn, retailer_id)
    if retailer is None:
        raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
    return retailer


async def create_api_key(
    db: Database,
    *,
    retailer_id: UUID,
    now: datetime,
    role: str = Role.ADMIN,
    key: str | None = None,
    secret: str | None = None,
    name: str = "",
) -> tuple[ApiKey, str]:
    """A new key and its secret. The secret is returned once and stored only as a hash."""
    try:
        checked_role = Role(role)
    except ValueError:
        raise ValidationFailed.field("role", "must be one of admin, offers, pos") from None
    key = key or f"key_{new_secret()[:20]}"
    if not _KEY.match(key):
        raise ValidationFailed.field("key", "3 to 128 letters, digits or . _ ~ -")
    secret = secret or new_secret()
    if not 8 <= len(secret) <= 256 or ":" in secret:
        raise ValidationFailed.field("secret", "must be 8 to 256 characters, without ':'")
    salt = new_salt()
    api_key = ApiKey(
        id=new_id(),
        retailer_id=retailer_id,
        key=key,
        role=checked_role.value,
        name=_check_label(name),
        secret_hash=hash_secret(secret, salt),
        salt=salt,
        created_at=now,
        revoked_at=None,
    )
    async with db.write() as conn:
        await _require_retailer(conn, retailer_id)
        if await repo.find_api_key(conn, key) is not None:
            raise Conflict("that key is taken", fields={"key": ["already exists"]})
        await repo.insert_api_key(conn, api_key)
        await audit.record(
            conn,
            retailer_id=retailer_id,
            object_type="api_key",
            object_id=api_key.id,
            action="created",
            before=None,
            after=_key_view(api_key),
            now=now,
        )
    return api_key, secret


async def create_store(
    db: Database,
    *,
    retailer_id: UUID,
    name: str,
    now: datetime,
    store_id: UUID | None = None,
    timezone: str | None = None,
    tags: tuple[str, ...] = (),
) -> Store:
    async with db.write() as conn:
        retailer = await _require_retailer(conn, retailer_id)
        clean_tags = tuple(sorted({t.strip().lower() for t in tags if t.strip()}))
        store = Store(
            id=store_id or new_id(),
            retailer_id=retailer_id,
            name=_check_name(name),
            timezone=check_timezone(timezone or retailer.timezone),
            tags=clean_tags,
            created_at=now,
        )
        # Per retailer: another retailer's store with this id changes nothing (docs/DECISIONS.md).
        if await repo.get_store(conn, retailer_id, store.id) is not None:
            raise Conflict(f"store {store.id} already exists", fields={"id": ["already exists"]})
        await repo.insert_store(conn, store)
        await audit.record(
            conn,
            retailer_id=retailer_id,
            object_type="store",
            object_id=store.id,
            action="created",
            before=None,
            after=_store_view(store),
            now=now,
        )
    return store


async def update_store(
    db: Database,
    *,
    retailer_id: UUID,
    store_id: UUID,
    name: str,
    timezone: str,
    tags: tuple[str, ...],
    now: datetime,
) -> Store:
    """A store's name, time zone and tags, checked as at creation; its id never changes (POS
    configurations name it). POS calls see the change within the credentials cache's bound."""
    clean_tags = tuple(sorted({t.strip().lower() for t in tags if t.strip()}))
    clean_name, clean_zone = _check_name(name), check_timezone(timezone)
    async with db.write() as conn:
        before = await repo.get_store(conn, retailer_id, store_id)
        if before is None or not await repo.update_store(
            conn, retailer_id, store_id, name=clean_name, timezone=clean_zone, tags=clean_tags
        ):
            raise NotFound("store not found")
        store = await repo.get_store(conn, retailer_id, store_id)
        assert store is not None  # updated just now in this transaction
        await audit.record(
            conn,
            retailer_id=retailer_id,
            object_type="store",
            object_id=store_id,
            action="updated",
            before=_store_view(before),
            after=_store_view(store),
            now=now,
        )
    return store


async def create_pos_client(
    db: Database,
    *,
    retailer_id: UUID,
    now: datetime,
    client_id: UUID | None = None,
    secret: str | None = None,
    store_ids: tuple[UUID, ...] = (),
    name: str = "",
) -> tuple[PosClient, str]:
    """A POS client (the `client_id` of the POS envelope) and its secret, returned once."""
    secret = secret or new_secret()
    if not 8 <= len(secret) <= 256 or ":" in secret:
        raise ValidationFailed.field("secret", "must be 8 to 256 characters, without ':'")
    salt = new_salt()
    client = PosClient(
        id=client_id or new_id(),
        retailer_id=retailer_id,
        name=_check_label(name),
        store_ids=tuple(store_ids),
        secret_hash=hash_secret(secret, salt),
        salt=salt,
        created_at=now,
        revoked_at=None,
    )
    async with db.write() as conn:
        await _require_retailer(conn, retailer_id)
        for store_id in store_ids:
            if await repo.get_store(conn, retailer_id, store_id) is None:
                raise NotFound(f"store {store_id} not found", fields={"store_ids": [f"{store_id} not found"]})
        if await repo.find_pos_client(conn, retailer_id, client.id) is not None:
            raise Conflict(f"POS client {client.id} already exists", fields={"id": ["already exists"]})
        await repo.insert_pos_client(conn, client)
        await audit.record(
            conn,
            retailer_id=retailer_id,
            object_type="pos_client",
            object_id=client.id,
            action="created",
            before=None,
            after=_client_view(client),
            now=now,
        )
    return client, secret


def parse_basic(header: str | None) -> tuple[str, str]:
    """`Basic base64(key:secret)` -> (key, secret); INVALID_API_KEY when absent or malformed."""
    if not header:
        raise InvalidApiKey("missing Authorization header (Basic key:secret)")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value:
        raise InvalidApiKey("Authorization must be Basic key:secret")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text in the header
        raise InvalidApiKey("Authorization is not valid base64 of key:secret") from None
    key, sep, secret = decoded.partition(":")
    if not sep or not key:
        raise InvalidApiKey("Authorization must be Basic key:secret")
    return key, secret


async def authenticate(db: Database, header: str | None) -> Principal:
    """Resolve the Basic credentials to a POS client or an API key, in a read transaction of its own.
    A malformed header is refused before a connection is taken."""
    key, secret = parse_basic(header)
    async with db.read() as conn:
        return await _resolve(conn, key, secret)


async def authenticate_in(conn: AsyncConnection, header: str | None) -> Principal:
    """`authenticate` inside the caller's transaction: POS calls check credentials in the same
    transaction as their work, which saves the hot path a connection checkout and a BEGIN."""
    key, secret = parse_basic(header)
    return await _resolve(conn, key, secret)


async def authenticate_pos_in(
    conn: AsyncConnection,
    header: str | None,
    store_id: UUID,
    *,
    memory: PosCredentials | None = None,
    max_age: float = 0,
) -> tuple[Principal, tuple[Store, Retailer] | None]:
    """`authenticate_in` for a POS call naming `store_id`: a POS client comes back with that store of its
    own retailer and the retailer, read in the same query (None when there is no such store, or when the
    caller is not a POS client: `require_pos_client_with` refuses those).

    With `memory`, a client read less than `max_age` seconds ago whose secret matches is answered
    without a query (tenancy/pos_credentials.py says what that bound allows); a secret that does not
    match is always checked against the database."""
    key, secret = parse_basic(header)
    client_id = parse_uuid(key)
    if client_id is None:
        return _verified(secret, await repo.find_api_key(conn, key)), None
    if memory is not None:
        for held in memory.get(client_id, store_id, max_age):
            if _client_secret_matches(secret, held.client):
                return _pos_principal(held.client), (held.store, held.retailer)
    found = await repo.find_pos_clients_at_store(conn, client_id, store_id)
    if memory is not None and found:
        memory.forget(client_id)
    picked = _pick_client(secret, found)
    if picked is None:
        return _verified(secret, await repo.find_api_key(conn, key)), None
    client, store = picked
    if memory is not None and store is not None:
        usable = [(c, *s) for c, s in found if s is not None and c.revoked_at is None]
        memory.put(client_id, store_id, usable, max_age)
    return _pos_principal(client), store


ScopeT = TypeVar("ScopeT")


def _pick_client(secret: str, found: list[tuple[PosClient, ScopeT | None]]) -> tuple[PosClient, ScopeT | None] | None:
    """Client ids are unique per retailer, so the header's id may name a client of several retailers:
    the one whose secret this is, preferring one with the call's store, then the oldest. Every
    candidate is checked the same way and any failure is the same INVALID_API_KEY, so the answer never
    says whether another retailer holds the id (docs/DECISIONS.md)."""
    matching = [candidate for candidate in found if _client_secret_matches(secret, candidate[0])]
    for candidate in matching:
        if candidate[1] is not None:
            return candidate
    return matching[0] if matching else None


async def _resolve(conn: AsyncConnection, key: str, secret: str) -> Principal:
    """A key that is a UUID is looked up as a POS client first: POS calls are the hot path, and this
    saves them a query. Any failure is the same INVALID_API_KEY, whatever was wrong."""
    client_id = parse_uuid(key)
    if client_id is not None:
        picked = _pick_client(secret, [(c, None) for c in await repo.find_pos_clients(conn, client_id)])
        if picked is not None:
            return _pos_principal(picked[0])
    return _verified(secret, await repo.find_api_key(conn, key))


def _verified(secret: str, api_key: ApiKey | None) -> Principal:
    """The API key's principal when this is its secret, else INVALID_API_KEY."""
    if api_key is not None:
        if api_key.revoked_at is None and secret_matches(secret, api_key.salt, api_key.secret_hash):
            return Principal(api_key.retailer_id, "api_key", role=Role(api_key.role), key=api_key.key)
    raise InvalidApiKey("invalid credentials")


def _client_secret_matches(secret: str, client: PosClient) -> bool:
    return client.revoked_at is None and secret_matches(secret, client.salt, client.secret_hash)


def _pos_principal(client: PosClient) -> Principal:
    return Principal(client.retailer_id, "pos_client", client_id=client.id, store_ids=frozenset(client.store_ids))


# Listings and revocation, for the admin UI (each is one transaction, scoped to the retailer).


async def list_stores(db: Database, retailer_id: UUID) -> list[Store]:
    async with db.read() as conn:
        return await repo.list_stores(conn, retailer_id)


async def list_api_keys(db: Database, retailer_id: UUID) -> list[ApiKey]:
    async with db.read() as conn:
        return await repo.list_api_keys(conn, retailer_id)


async def list_pos_clients(db: Database, retailer_id: UUID) -> list[PosClient]:
    async with db.read() as conn:
        return await repo.list_pos_clients(conn, retailer_id)


async def revoke_api_key(db: Database, *, retailer_id: UUID, key_id: UUID, now: datetime) -> None:
    """Revoke a key at once. Revoking a revoked key changes nothing; another retailer's is NOT_FOUND."""
    async with db.write() as conn:
        key = next((k for k in await repo.list_api_keys(conn, retailer_id) if k.id == key_id), None)
        if key is None:
            raise NotFound("API key not found", fields={"key_id": ["not found"]})
        if await repo.revoke_api_key(conn, retailer_id, key_id, now):
            after = replace(key, revoked_at=now)
            await audit.record(
                conn,
                retailer_id=retailer_id,
                object_type="api_key",
                object_id=key_id,
                action="revoked",
                before=_key_view(key),
                after=_key_view(after),
                now=now,
            )


async def revoke_pos_client(db: Database, *, retailer_id: UUID, client_id: UUID, now: datetime) -> None:
    """Revoke a POS client at once. Revoking a revoked client changes nothing; another retailer's is NOT_FOUND."""
    async with db.write() as conn:
        client = next((c for c in await repo.list_pos_clients(conn, retailer_id) if c.id == client_id), None)
        if client is None:
            raise NotFound("POS client not found", fields={"client_id": ["not found"]})
        if await repo.revoke_pos_client(conn, retailer_id, client_id, now):
            await audit.record(
                conn,
                retailer_id=retailer_id,
                object_type="pos_client",
                object_id=client_id,
                action="revoked",
                before=_client_view(client),
                after=_client_view(replace(client, revoked_at=now)),
                now=now,
            )
    # After the commit, so no call of this process can hold the client again as it was before: this
    # process refuses it at once, other processes within their credential bound (pos_credentials.py).
    pos_credentials(db).forget(client_id)


async def active_api_key(db: Database, retailer_id: UUID, key: str) -> tuple[Retailer, ApiKey] | None:
    """The key and its retailer while the key is not revoked: a signed-in admin session re-checks this on
    every request, so revoking a key ends the sessions that were opened with it."""
    async with db.read() as conn:
        api_key = await repo.find_api_key(conn, key)
        if api_key is None or api_key.retailer_id != retailer_id or api_key.revoked_at is not None:
            return None
        retailer = await repo.get_retailer(conn, retailer_id)
    return None if retailer is None else (retailer, api_key)
