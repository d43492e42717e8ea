"""Seed a retailer for the load benchmarks: through the product once, then cloned in bulk.

The retailer, its store and POS client come from the tenancy service; offers, rules, one template
customer (their wallet and points) and one lock go through the HTTP API of the running server, so
they are exactly what the product writes. The bulk (thousands of customers, up to a million user
offers, thousands of locked offers) is the template's rows copied with new ids and inserted by table
name (`databases.insert_rows`): 200,000 issuances one request at a time would make the benchmark
about seeding, and copying the product's own rows keeps the bulk true to its shapes without this
module knowing them.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
from litestar.types import ASGIApp

from benchmarks.databases import BenchDatabase, Row, insert_rows, read_rows, update_rows
from openoffers.kit.db import Database
from openoffers.tenancy import service as tenancy

# A mix of what a coffee chain runs: check and item discounts, Buy X Get Y, a set price.
OFFER_SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("fixed_amount_check_discount", {"amount": "5"}),
    ("percent_check_discount", {"percent": "10", "max_discount": "20"}),
    ("fixed_amount_item_discount", {"amount": "1", "max_items": 2}),
    ("percent_item_discount", {"percent": "50", "max_items": 1}),
    ("set_price_coupon", {"price": "1"}),
    ("buy_x_get_y_percent", {"buy_count": 2, "get_count": 1, "percent": "100", "recurrence": 2}),
]

# Customers are cloned in chunks so a million user offers never sit in memory at once.
CUSTOMER_CHUNK = 1_000


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


@dataclass(frozen=True)
class Shop:
    retailer_id: UUID
    store_id: UUID
    client_id: UUID
    client_secret: str
    api_key: str
    api_secret: str

    @property
    def pos_auth(self) -> str:
        return basic(str(self.client_id), self.client_secret)

    @property
    def admin_auth(self) -> str:
        return basic(self.api_key, self.api_secret)

    def envelope(self, request_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The POS envelope of the guide around `payload`."""
        return {
            "store_id": str(self.store_id),
            "client_id": str(self.client_id),
            "request_id": request_id,
            "request_payload": payload,
        }


@dataclass(frozen=True)
class Customers:
    external_ids: list[str]
    user_ids: list[UUID]
    first_offers: list[UUID]  # each customer's user offer of the shop's first offer


@dataclass(frozen=True)
class Seeded:
    shop: Shop
    offer_ids: list[UUID]
    template_user_id: UUID
    customers: Customers


@dataclass(frozen=True)
class Locked:
    """Customers' first offers locked to checks `{prefix}-{index}`, each for the same discount."""

    prefix: str
    discount: dict[str, Any]  # the Lock answer's discount object (amount, discounted_line_ids, ...)


async def create_shop(db: BenchDatabase, name: str = "Bench Coffee") -> Shop:
    now = datetime.now(UTC)
    database = Database(db.url, pool_size=1)
    try:
        retailer = await tenancy.create_retailer(database, name=name, now=now, timezone="America/New_York")
        key, secret = await tenancy.create_api_key(database, retailer_id=retailer.id, now=now)
        store = await tenancy.create_store(database, retailer_id=retailer.id, name="Bench St", tags=("bench",), now=now)
        client, client_secret = await tenancy.create_pos_client(
            database, retailer_id=retailer.id, store_ids=(store.id,), now=now
        )
    finally:
        await database.dispose()
    return Shop(retailer.id, store.id, client.id, client_secret, key.key, secret)


def asgi_transport(app: ASGIApp) -> httpx.ASGITransport:
    """httpx's transport to the app in process. httpx types the scope and messages as plain mappings,
    Litestar as TypedDicts, so neither signature accepts the other; they are the same dicts at run time."""
    return httpx.ASGITransport(app=cast("Callable[..., Awaitable[None]]", app))


class Api:
    """The running server's HTTP API, as an integrator calls it; any answer but 2xx stops the run."""

    def __init__(self, base_url: str, shop: Shop) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=60)
        self.shop = shop

    async def admin(self, path: str, body: dict[str, Any]) -> Any:
        return await self._post(path, {"retailer_id": str(self.shop.retailer_id), **body}, self.shop.admin_auth)

    async def pos(self, path: str, request_id: str, payload: dict[str, Any]) -> Any:
        return await self._post(path, self.shop.envelope(request_id, payload), self.shop.pos_auth)

    async def _post(self, path: str, body: dict[str, Any], auth: str) -> Any:
        response = await self.client.post(path, json=body, headers={"Authorization": auth})
        if response.status_code // 100 != 2:
            raise RuntimeError(f"seeding: {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()["payload"]

    async def close(self) -> None:
        await self.client.aclose()


async def create_offers(api: Api, count: int) -> list[UUID]:
    """`count` published offers cycling through OFFER_SHAPES."""
    ids = []
    for index in range(count):
        offer_type, discount = OFFER_SHAPES[index % len(OFFER_SHAPES)]
        payload = await api.admin(
            "/api/2.0/offers/management/create",
            {
                "publish": True,
                "offer_type": offer_type,
                "text_config": [{"title": f"Offer {index}", "culture": "en"}],
                "common_config": {"validity_unit": "days", "validity_period": 365},
                "discount_config": discount,
            },
        )
        ids.append(UUID(payload["offer_id"]))
    return ids


async def create_template_customer(api: Api, offer_ids: list[UUID]) -> UUID:
    """One customer as the product makes them: created, issued every offer, with 100 points."""
    user = await api.admin(
        "/api/2.0/users/create",
        {
            "external_customer_id": "TEMPLATE",
            "first_name": "Template",
            "last_name": "Customer",
            "email": "template@example.com",
            "phone": "5550000000",
        },
    )
    user_id = user["user_id"]
    for offer_id in offer_ids:
        await api.admin("/api/2.0/offers/acquisition/issue", {"user_id": user_id, "offer_id": str(offer_id)})
    await api.admin("/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 100, "reason": "bench"})
    return UUID(user_id)


async def clone_customers(db: BenchDatabase, template_user_id: UUID, first_offer: UUID, count: int) -> Customers:
    """`count` copies of the template customer: their user row, user offers with their events, point
    balances and ledger, each under new ids. Customer n has external id `C{n:07d}`."""
    user = (await read_rows(db, "users", id=template_user_id))[0]
    offers = await read_rows(db, "user_offers", user_id=template_user_id)
    events = await read_rows(db, "user_offer_events", user_offer_id=[o["id"] for o in offers])
    balances = await read_rows(db, "point_balances", user_id=template_user_id)
    ledger = await read_rows(db, "point_ledger", user_id=template_user_id)
    first = next(index for index, offer in enumerate(offers) if offer["offer_id"] == first_offer)
    customers = Customers([], [], [])

    def chunks() -> Iterator[tuple[str, list[Row]]]:
        for start in range(0, count, CUSTOMER_CHUNK):
            people: list[Row] = []
            wallets: list[Row] = []
            history: list[Row] = []
            points: list[Row] = []
            entries: list[Row] = []
            for number in range(start, min(start + CUSTOMER_CHUNK, count)):
                user_id, external = uuid4(), f"C{number:07d}"
                email, phone = f"c{number}@example.com", f"555{number:07d}"
                people.append(
                    {
                        **user,
                        "id": user_id,
                        "external_customer_id": external,
                        "first_name": "Bench",
                        "last_name": str(number),
                        "email": email,
                        "email_key": email,
                        "phone": phone,
                        "phone_key": phone,
                    }
                )
                ids = {offer["id"]: uuid4() for offer in offers}
                wallets.extend({**offer, "id": ids[offer["id"]], "user_id": user_id} for offer in offers)
                history.extend(_without_id({**event, "user_offer_id": ids[event["user_offer_id"]]}) for event in events)
                points.extend({**balance, "id": uuid4(), "user_id": user_id} for balance in balances)
                entries.extend(_without_id({**entry, "user_id": user_id}) for entry in ledger)
                customers.external_ids.append(external)
                customers.user_ids.append(user_id)
                customers.first_offers.append(ids[offers[first]["id"]])
            yield from (
                ("users", people),
                ("user_offers", wallets),
                ("user_offer_events", history),
                ("point_balances", points),
                ("point_ledger", entries),
            )

    await insert_rows(db, chunks())
    return customers


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    # Serial keys are the database's to assign.
    row.pop("id", None)
    return row


async def seed(api: Api, db: BenchDatabase, *, customers: int, offers: int) -> Seeded:
    """`offers` offers, and `customers` customers each holding every one of them once."""
    offer_ids = await create_offers(api, offers)
    template = await create_template_customer(api, offer_ids)
    cloned = await clone_customers(db, template, offer_ids[0], customers)
    return Seeded(api.shop, offer_ids, template, cloned)


async def lock_first_offers(api: Api, db: BenchDatabase, seeded: Seeded, check: dict[str, Any], prefix: str) -> Locked:
    """Lock the template's first offer to `check` through the POS API, then give every customer the
    same lock on their first offer, each on a check of their own (`{prefix}-{index}`)."""
    customers = seeded.customers
    template_offer = (
        await read_rows(db, "user_offers", user_id=seeded.template_user_id, offer_id=seeded.offer_ids[0])
    )[0]
    discount = await api.pos(
        "/api/2.0/lock",
        f"{prefix}-template",
        {
            "offer_lookup_code": str(template_offer["id"]),
            "offer_lookup_type": "userofferid",
            "transaction": {**check, "transaction_id": f"{prefix}-template"},
        },
    )
    user_offer = (await read_rows(db, "user_offers", id=template_offer["id"]))[0]
    lock = (await read_rows(db, "pos_locks", user_offer_id=template_offer["id"]))[0]
    locked_events = await read_rows(db, "user_offer_events", user_offer_id=template_offer["id"], kind="locked")
    await update_rows(
        db,
        "user_offers",
        "id",
        [
            {"id": uo, "status": user_offer["status"], "updated_at": user_offer["updated_at"]}
            for uo in customers.first_offers
        ],
    )

    def rows() -> Iterator[tuple[str, list[Row]]]:
        for index, (uo, user_id) in enumerate(zip(customers.first_offers, customers.user_ids, strict=True)):
            check_id = f"{prefix}-{index}"
            yield "pos_locks", [{**lock, "user_offer_id": uo, "user_id": user_id, "transaction_id": check_id}]
            yield (
                "user_offer_events",
                [
                    _without_id(
                        {**event, "user_offer_id": uo, "detail": {**event["detail"], "transaction_id": check_id}}
                    )
                    for event in locked_events
                ],
            )

    await insert_rows(db, rows())
    return Locked(prefix, discount)


async def create_rules(api: Api, offer_id: UUID, count: int) -> None:
    """`count` active loyalty rules: "1 point per $1", "$5 offer at every 1,000 lifetime points" (which
    one closed check does not reach, so a close earns and issues nothing), and the
    rest campaign rules that listen to other events (custom events, 4 in 5; welcome offers, 1 in 5),
    as a large program has. A closed check should cost the same whatever their number."""
    bodies: list[dict[str, Any]] = [
        {"kind": "earn", "name": "1 point per $1", "rate": str(Decimal(1))},
        {
            "kind": "issuance",
            "name": "$5 at 1,000",
            "offer_id": str(offer_id),
            "trigger": {"type": "points_threshold", "threshold": 1000},
            "recurrence": "every_time",
        },
    ]
    for number in range(count - len(bodies)):
        trigger = (
            {"type": "user_enrolled"} if number % 5 == 4 else {"type": "custom_event", "event_name": f"c-{number}"}
        )
        bodies.append({"kind": "issuance", "name": f"campaign {number}", "offer_id": str(offer_id), "trigger": trigger})
    # A few at a time: the server is one process, and seeding 1,000 rules one by one takes long.
    limit = asyncio.Semaphore(4)

    async def create(body: dict[str, Any]) -> None:
        async with limit:
            await api.admin("/api/2.0/rules/create", body)

    await asyncio.gather(*(create(body) for body in bodies))
