"""The same-run reference: a minimal Lookup on OpenOffers' own stack and tables.

What the stack can do for the guide's Lookup (`POST /api/2.0/lookup` by `external_customer_id`, no
check) when nothing else is asked of it: Litestar + msgspec, the POS client's credentials held in
memory, and three queries on the tables OpenOffers seeded (the customer by retailer and external id;
the redeemable wallet joined to each offer's title; the retailer's point accounts with the customer's
balance in each), straight on the driver (aiosqlite, or asyncpg for PostgreSQL). The answer has
OpenOffers' Lookup shape, key for key; `benchmarks/pos.py` checks that before it measures.

Left out on purpose, since they are what the comparison prices: a read transaction around the three
queries, localisation, revision decoding, idempotency and metrics. Profile fields pass through as the
stored JSON (`msgspec.Raw`).

Configured by environment (set by `benchmarks/pos.py`): MINIMAL_DATABASE_URL (a SQLite file path as
`sqlite:///...`, or a `postgresql://` DSN) and MINIMAL_CLIENTS (JSON: client id -> [secret, retailer
id, [store ids]]). Served by `python -m uvicorn benchmarks.minimal_lookup:create_app --factory`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import aiosqlite
import asyncpg
import msgspec
from litestar import Litestar, Request, Response, get, post

# OpenOffers' default `db_pool_size`: the same number of connections on both sides.
POOL_SIZE = 10
LOCKED, ISSUED = 2, 1
STATUS_WORDS = {ISSUED: "INFO", LOCKED: "LOCKED"}


class LookupPayload(msgspec.Struct):
    external_customer_id: str | int


class Envelope(msgspec.Struct):
    store_id: str
    client_id: str
    request_id: str | int
    request_payload: LookupPayload


class Discount(msgspec.Struct):
    reference_id: str
    user_id: str
    reference_id_type: str
    pos_discount_id: None
    status: str
    display_name: str
    image_url: None
    discounted_line_ids: list[str]
    discounted_line_id_quantities: list[Any]
    discount_source: str
    amount: int
    stack_order: int
    applied_time: None


# Lookup's point account keys, as the guide spells them. Written here, not imported from the product,
# so the reference shares nothing with what it measures but the tables.
class Account(msgspec.Struct, rename="pascal"):
    account_name: str = msgspec.field(name="AccountName")
    user_point_account_id: str | None = msgspec.field(name="UserPointAccountID")
    point_account_id: str = msgspec.field(name="PointAccountID")
    grouping_label: str = msgspec.field(name="GroupingLabel")
    available_balance: int = msgspec.field(name="AvailableBalance")
    life_time_value: int = msgspec.field(name="LifeTimeValue")


class User(msgspec.Struct):
    user_reference_id: str
    user_account_id: str
    partial_response: bool
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    points: int
    profile_fields: msgspec.Raw
    offers: list[Discount]
    accounts: list[Account]
    external_customer_id: str | None


class Answer(msgspec.Struct):
    status: str
    payload: list[User]
    errors: None = None


@dataclass(frozen=True)
class Client:
    secret: str
    retailer_id: UUID
    store_ids: frozenset[str]


class Store(Protocol):
    """The three reads, on one driver. Ids come back as the driver gives them."""

    async def customer(self, retailer_id: UUID, external_id: str) -> Sequence[Any] | None: ...
    async def wallet(self, retailer_id: UUID, user_id: Any, now: datetime) -> list[Sequence[Any]]: ...
    async def accounts(self, retailer_id: UUID, user_id: Any) -> list[Sequence[Any]]: ...


CUSTOMER = (
    "SELECT id, first_name, last_name, phone, email, profile_fields, external_customer_id FROM users"
    " WHERE retailer_id = {0} AND external_customer_id = {1}"
)
WALLET = (
    "SELECT uo.id, uo.status, o.title FROM user_offers uo"
    " JOIN offers o ON o.id = uo.offer_id AND o.retailer_id = uo.retailer_id"
    " WHERE uo.retailer_id = {0} AND uo.user_id = {1}"
    " AND (uo.status = 2 OR (uo.status = 1 AND (uo.redemption_end IS NULL OR uo.redemption_end > {2})))"
    " ORDER BY uo.acquired_at DESC, uo.id"
)
ACCOUNTS = (
    "SELECT a.id, a.name, a.grouping_label, b.id, b.available, b.lifetime FROM point_accounts a"
    " LEFT JOIN point_balances b ON b.account_id = a.id AND b.retailer_id = a.retailer_id AND b.user_id = {1}"
    " WHERE a.retailer_id = {0} ORDER BY a.is_default DESC, a.created_at, a.id"
)


class SqliteStore:
    """aiosqlite connections in a queue. Values are stored as SQLAlchemy writes them on SQLite:
    UUIDs as 32 hex digits, times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, JSON as text."""

    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self.idle.put_nowait(connection)

    async def _all(self, sql: str, *params: Any) -> list[Any]:
        connection = await self.idle.get()
        try:
            async with connection.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        finally:
            self.idle.put_nowait(connection)

    async def customer(self, retailer_id: UUID, external_id: str) -> Sequence[Any] | None:
        rows = await self._all(CUSTOMER.format("?1", "?2"), retailer_id.hex, external_id)
        return rows[0] if rows else None

    async def wallet(self, retailer_id: UUID, user_id: Any, now: datetime) -> list[Sequence[Any]]:
        stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return await self._all(WALLET.format("?1", "?2", "?3"), retailer_id.hex, user_id, stamp)

    async def accounts(self, retailer_id: UUID, user_id: Any) -> list[Sequence[Any]]:
        return await self._all(ACCOUNTS.format("?1", "?2"), retailer_id.hex, user_id)


class PostgresStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def customer(self, retailer_id: UUID, external_id: str) -> Sequence[Any] | None:
        return await self.pool.fetchrow(CUSTOMER.format("$1", "$2"), retailer_id, external_id)  # type: ignore[no-any-return]

    async def wallet(self, retailer_id: UUID, user_id: Any, now: datetime) -> list[Sequence[Any]]:
        return await self.pool.fetch(WALLET.format("$1", "$2", "$3"), retailer_id, user_id, now)  # type: ignore[no-any-return]

    async def accounts(self, retailer_id: UUID, user_id: Any) -> list[Sequence[Any]]:
        return await self.pool.fetch(ACCOUNTS.format("$1", "$2"), retailer_id, user_id)  # type: ignore[no-any-return]


def as_uuid(value: Any) -> str:
    """A driver's id as the wire's UUID text (SQLite gives 32 hex digits, asyncpg a UUID)."""
    return str(value if isinstance(value, UUID) else UUID(value))


def as_raw(value: Any) -> msgspec.Raw:
    return msgspec.Raw(value.encode() if isinstance(value, str) else msgspec.json.encode(value))


def authenticated(header: str | None, clients: dict[str, Client]) -> tuple[str, Client] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client = clients.get(user.lower())
    if client is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
        return None
    return user.lower(), client


def error(status: int, code: str) -> Response[bytes]:
    body = msgspec.json.encode({"status": "error", "payload": None, "errors": {"code": code, "message": code}})
    return Response(body, status_code=status, media_type="application/json")


def create_app() -> Litestar:
    url = os.environ["MINIMAL_DATABASE_URL"]
    clients = {
        client_id.lower(): Client(secret, UUID(retailer), frozenset(s.lower() for s in stores))
        for client_id, (secret, retailer, stores) in json.loads(os.environ["MINIMAL_CLIENTS"]).items()
    }
    decoder = msgspec.json.Decoder(Envelope)
    encoder = msgspec.json.Encoder()
    state: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1]
            connections = [await aiosqlite.connect(path) for _ in range(POOL_SIZE)]
            state["store"] = SqliteStore(connections)
            yield
            for connection in connections:
                await connection.close()
        else:
            pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
            state["store"] = PostgresStore(pool)
            yield
            await pool.close()

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @post("/api/2.0/lookup")
    async def lookup(request: Request[Any, Any, Any]) -> Response[bytes]:
        who = authenticated(request.headers.get("authorization"), clients)
        if who is None:
            return error(401, "UNAUTHORIZED")
        client_id, client = who
        try:
            envelope = decoder.decode(await request.body())
        except msgspec.ValidationError:
            return error(400, "VALIDATION")
        if envelope.client_id.lower() != client_id or envelope.store_id.lower() not in client.store_ids:
            return error(403, "ACCESS_DENIED")
        store = state["store"]
        customer = await store.customer(client.retailer_id, str(envelope.request_payload.external_customer_id))
        if customer is None:
            return error(404, "USER_NOT_FOUND")
        user_id, first, last, phone, email, profile, external = customer
        user_text = as_uuid(user_id)
        wallet = await store.wallet(client.retailer_id, user_id, datetime.now(UTC))
        accounts = [
            Account(
                name,
                as_uuid(balance_id) if balance_id else None,
                as_uuid(account_id),
                label,
                available or 0,
                lifetime or 0,
            )
            for account_id, name, label, balance_id, available, lifetime in await store.accounts(
                client.retailer_id, user_id
            )
        ]
        offers = [
            Discount(
                as_uuid(uo_id),
                user_text,
                "userofferid",
                None,
                STATUS_WORDS[status],
                title,
                None,
                [],
                [],
                "sessionm",
                0,
                0,
                None,
            )
            for uo_id, status, title in wallet
        ]
        user = User(
            user_text, user_text, False, first, last, phone, email, sum(a.available_balance for a in accounts),
            as_raw(profile), offers, accounts, external,
        )  # fmt: skip
        return Response(encoder.encode(Answer("success", [user])), media_type="application/json")

    return Litestar([health, lookup], lifespan=[lifespan], openapi_config=None)
