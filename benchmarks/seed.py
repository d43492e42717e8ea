"""Seed a realistic retailer for the load benchmarks.

The retailer, its store, POS client, offers and rules go through the same services as the API.
The bulk (customers and their user offers) is inserted in batches with the wallet's own row shapes,
because 200,000 issuances one request at a time would make the benchmark about seeding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import insert

from openoffers.kit.db import Database
from openoffers.loyalty.rules import service as rules_service
from openoffers.loyalty.rules.schemas import (
    CreateRuleRequest,
    CustomEventTrigger,
    PointsThresholdTrigger,
    UserEnrolledTrigger,
)
from openoffers.offers import repository as offers_repo
from openoffers.offers import service as offers_service
from openoffers.offers.schemas import CommonConfig, CreateOfferRequest, DiscountConfig, TextConfig
from openoffers.tables.wallet import user_offer_events, user_offers, users
from openoffers.tenancy import service as tenancy
from openoffers.wallet.lifecycle import ISSUED
from openoffers.wallet.users_repository import UserRow, user_values

# A mix of what a coffee chain runs: check and item discounts, Buy X Get Y, a set price.
OFFER_SHAPES: list[tuple[str, DiscountConfig]] = [
    ("fixed_amount_check_discount", DiscountConfig(amount=Decimal(5))),
    ("percent_check_discount", DiscountConfig(percent=Decimal(10), max_discount=Decimal(20))),
    ("fixed_amount_item_discount", DiscountConfig(amount=Decimal(1), max_items=2)),
    ("percent_item_discount", DiscountConfig(percent=Decimal(50), max_items=1)),
    ("set_price_coupon", DiscountConfig(price=Decimal(1))),
    ("buy_x_get_y_percent", DiscountConfig(buy_count=2, get_count=1, percent=Decimal(100), recurrence=2)),
]


@dataclass(frozen=True)
class Seeded:
    retailer_id: UUID
    store_id: UUID
    client_id: UUID
    client_secret: str
    api_key: str
    api_secret: str
    external_ids: list[str]
    user_ids: list[UUID]
    user_offer_ids: list[UUID]  # the first user offer of each customer


async def seed(db: Database, *, customers: int, offers_per_customer: int, name: str = "Bench Coffee") -> Seeded:
    now = datetime.now(UTC)
    retailer = await tenancy.create_retailer(db, name=name, now=now, timezone="America/New_York")
    key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, now=now)
    store = await tenancy.create_store(db, retailer_id=retailer.id, name="Bench St", tags=("bench",), now=now)
    client, client_secret = await tenancy.create_pos_client(db, retailer_id=retailer.id, store_ids=(store.id,), now=now)
    offer_ids: list[UUID] = []
    for index in range(offers_per_customer):
        offer_type, config = OFFER_SHAPES[index % len(OFFER_SHAPES)]
        result = await offers_service.create_offer(
            db,
            CreateOfferRequest(
                retailer_id=retailer.id,
                publish=True,
                offer_type=offer_type,  # type: ignore[arg-type]
                text_config=[TextConfig(title=f"Offer {index}", culture="en")],
                common_config=CommonConfig(validity_unit="days", validity_period=365),
                discount_config=config,
            ),
            now,
        )
        offer_ids.append(result.offer_id)
    async with db.write() as conn:
        for offer_id in offer_ids:
            await offers_repo.mark_referenced(conn, retailer.id, offer_id)
    external_ids: list[str] = []
    user_ids: list[UUID] = []
    first_offers: list[UUID] = []
    batch = 500
    for start in range(0, customers, batch):
        user_rows, offer_rows, event_rows = [], [], []
        for number in range(start, min(start + batch, customers)):
            user_id = uuid4()
            external = f"C{number:06d}"
            external_ids.append(external)
            user_ids.append(user_id)
            user_rows.append(
                user_values(
                    UserRow(
                        id=user_id,
                        retailer_id=retailer.id,
                        external_customer_id=external,
                        first_name="Bench",
                        last_name=str(number),
                        email=f"c{number}@example.com",
                        phone=f"555{number:07d}",
                        profile_fields={},
                        created_at=now,
                        updated_at=now,
                    )
                )
            )
            for position, offer_id in enumerate(offer_ids):
                user_offer_id = uuid4()
                if position == 0:
                    first_offers.append(user_offer_id)
                offer_rows.append(
                    {
                        "id": user_offer_id,
                        "retailer_id": retailer.id,
                        "user_id": user_id,
                        "offer_id": offer_id,
                        "root_offer_id": offer_id,
                        "status": ISSUED,
                        "acquired_at": now,
                        "redemption_start": now,
                        "redemption_end": now + timedelta(days=365),
                        "source": "api",
                        "updated_at": now,
                    }
                )
                event_rows.append(
                    {
                        "user_offer_id": user_offer_id,
                        "retailer_id": retailer.id,
                        "kind": "issued",
                        "at": now,
                        "actor": "bench",
                        "reason": "",
                        "detail": {},
                    }
                )
        async with db.write() as conn:
            await conn.execute(insert(users), user_rows)
            await conn.execute(insert(user_offers), offer_rows)
            await conn.execute(insert(user_offer_events), event_rows)
    return Seeded(
        retailer.id, store.id, client.id, client_secret, key.key, secret, external_ids, user_ids, first_offers
    )


async def seed_rules(db: Database, retailer_id: UUID, offer_id: UUID, count: int) -> None:
    """`count` active loyalty rules: "1 point per $1", "$5 offer at every 200 lifetime points", and the
    rest campaign rules that listen to other events (custom events, 4 in 5; welcome offers, 1 in 5),
    as a large program has. A closed check should cost the same whatever their number."""
    now = datetime.now(UTC)
    await rules_service.create_rule(
        db, CreateRuleRequest(retailer_id=retailer_id, kind="earn", name="1 point per $1", rate=Decimal(1)), now
    )
    await rules_service.create_rule(
        db,
        CreateRuleRequest(
            retailer_id=retailer_id,
            kind="issuance",
            name="$5 at 200",
            offer_id=offer_id,
            trigger=PointsThresholdTrigger(threshold=200),
            recurrence="every_time",
        ),
        now,
    )
    for number in range(count - 2):
        trigger: CustomEventTrigger | UserEnrolledTrigger = (
            UserEnrolledTrigger() if number % 5 == 4 else CustomEventTrigger(event_name=f"campaign-{number}")
        )
        await rules_service.create_rule(
            db,
            CreateRuleRequest(
                retailer_id=retailer_id,
                kind="issuance",
                name=f"campaign {number}",
                offer_id=offer_id,
                trigger=trigger,
            ),
            now,
        )
