"""The demo retailer: the partner guide's own ids and POS credentials, so its requests paste as-is."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from openoffers.kit.clock import Clock
from openoffers.kit.db import Database
from openoffers.loyalty.points import ledger as loyalty
from openoffers.offers import repository as offers_repo
from openoffers.offers import service as offers_service
from openoffers.offers.schemas import CommonConfig, CreateOfferRequest, DiscountConfig, TextConfig
from openoffers.tenancy import accounts as people
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy import service as tenancy
from openoffers.wallet import lifecycle
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.issuance import issue_in

RETAILER_ID = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
LOOKUP_STORE_ID = UUID("136b6d16-1317-4ac6-b551-19540d53bd6c")
LOCK_STORE_ID = UUID("332b6ee0-e981-4f96-8047-d0d358cfb3e0")
# The guide's Lookup sends `Authorization: Basic ZDRkOTUw...`, which is this client id and secret.
POS_CLIENT_ID = UUID("d4d950af-1a37-4a10-ba8b-c2fb8ee24340")
POS_CLIENT_SECRET = "qPCFe7NqE5M9E2"
# The guide's Lock and send_transaction envelopes name this client; the guide leaves its secret to
# the reader ("<Your API Key>"), so the demo gives it a well-known one.
LOCK_CLIENT_ID = UUID("686ed454-ecab-4e86-8abe-c9470e8dd787")
LOCK_CLIENT_SECRET = "demo-lock-secret"
# Well known on purpose: the demo is for a laptop. Never use it in production.
API_KEY = "demo-admin"
API_SECRET = "demo-secret"
# A person's account for the admin UI: the owner, with the admin role.
ACCOUNT_EMAIL = "owner@demo.example"
ACCOUNT_PASSWORD = "demo-owner-password"
# The guide's Lookup finds its customer by external id 14311211 and shows this profile; its
# user_offer_history request asks for this user id; its Lock request locks this user offer id.
USER_ID = UUID("7802673c-0c37-11e8-8ca7-2605c0686dd6")
EXTERNAL_CUSTOMER_ID = "14311211"
USER_OFFER_ID = UUID("757144c2-6693-4a29-9f2c-f1d3aa2fa24f")


@dataclass(frozen=True, slots=True)
class DemoInfo:
    created: bool
    retailer_id: UUID
    api_key: str
    api_secret: str
    pos_client_id: UUID
    pos_client_secret: str
    store_ids: tuple[UUID, ...]
    offer_id: UUID | None
    user_id: UUID | None = None
    account_email: str = ACCOUNT_EMAIL
    account_password: str = ACCOUNT_PASSWORD


async def ensure_demo(db: Database, clock: Clock) -> DemoInfo:
    """Create the demo retailer once; later calls only report it."""
    async with db.read() as conn:
        exists = await tenancy_repo.get_retailer(conn, RETAILER_ID) is not None
    offer_id: UUID | None = None
    if not exists:
        now = clock()
        await tenancy.create_retailer(
            db, name="Demo Coffee Co.", retailer_id=RETAILER_ID, now=now, timezone="America/New_York"
        )
        await tenancy.create_api_key(
            db, retailer_id=RETAILER_ID, key=API_KEY, secret=API_SECRET, role="admin", name="demo", now=now
        )
        await people.create_account(
            db,
            retailer_id=RETAILER_ID,
            email=ACCOUNT_EMAIL,
            role="admin",
            password=ACCOUNT_PASSWORD,
            now=now,
            name="Demo owner",
        )
        for store_id, name in ((LOOKUP_STORE_ID, "Downtown"), (LOCK_STORE_ID, "Airport")):
            await tenancy.create_store(
                db, retailer_id=RETAILER_ID, store_id=store_id, name=name, tags=("demo",), now=now
            )
        await tenancy.create_pos_client(
            db,
            retailer_id=RETAILER_ID,
            client_id=POS_CLIENT_ID,
            secret=POS_CLIENT_SECRET,
            store_ids=(LOOKUP_STORE_ID, LOCK_STORE_ID),
            name="demo POS",
            now=now,
        )
        await tenancy.create_pos_client(
            db,
            retailer_id=RETAILER_ID,
            client_id=LOCK_CLIENT_ID,
            secret=LOCK_CLIENT_SECRET,
            store_ids=(LOCK_STORE_ID,),
            name="demo POS (the guide's Lock client)",
            now=now,
        )
        result = await offers_service.create_offer(
            db,
            CreateOfferRequest(
                retailer_id=RETAILER_ID,
                publish=True,
                offer_type="fixed_amount_check_discount",
                text_config=[
                    TextConfig(
                        title="$5 off Check",
                        description="Five dollars off your check",
                        terms_and_conditions="One per visit.",
                        culture="en",
                    )
                ],
                common_config=CommonConfig(validity_unit="days", validity_period=30),
                discount_config=DiscountConfig(amount=Decimal(5)),
            ),
            now,
        )
        offer_id = result.offer_id
    else:
        async with db.read() as conn:
            _, rows = await offers_repo.list_latest(
                conn,
                RETAILER_ID,
                status=None,
                offer_type=None,
                search="$5 off",
                reward_store=None,
                skip=0,
                take=1,
            )
        offer_id = rows[0].id if rows else None
    user_id = await _ensure_demo_user(db, clock, offer_id)
    return DemoInfo(
        created=not exists,
        retailer_id=RETAILER_ID,
        api_key=API_KEY,
        api_secret=API_SECRET,
        pos_client_id=POS_CLIENT_ID,
        pos_client_secret=POS_CLIENT_SECRET,
        store_ids=(LOOKUP_STORE_ID, LOCK_STORE_ID),
        offer_id=offer_id,
        user_id=user_id,
    )


async def _ensure_demo_user(db: Database, clock: Clock, offer_id: UUID | None) -> UUID:
    """The guide's customer, holding the demo offer and 10 points; created once, in one transaction
    (so a demo database made before users existed gets it on the next run, and never twice)."""
    async with db.read() as conn:
        if await users_repo.get_user(conn, RETAILER_ID, USER_ID) is not None:
            return USER_ID
    now = clock()
    async with db.write() as conn:
        await users_repo.insert_user(
            conn,
            users_repo.UserRow(
                id=USER_ID,
                retailer_id=RETAILER_ID,
                external_customer_id=EXTERNAL_CUSTOMER_ID,
                first_name="J",
                last_name="H",
                email="jh@sessionm.com",
                phone="1440273702",
                profile_fields={},
                created_at=now,
                updated_at=now,
            ),
        )
        if offer_id is not None:
            w = await lifecycle.begin_user_write(conn, RETAILER_ID, USER_ID, now, "demo")
            await issue_in(
                w,
                offer_id=offer_id,
                quantity=1,
                source="demo",
                user_offer_ids=[USER_OFFER_ID],
            )
        await loyalty.post(
            conn,
            retailer_id=RETAILER_ID,
            user_id=USER_ID,
            account_id=None,
            kind="earn",
            amount=10,
            now=now,
            actor="demo",
            reason="welcome points",
            reference_id="demo-welcome",
        )
    return USER_ID


GUIDE_CHECK_ID = "3b0bdfb0-8c40-4960-bcf1-3b31627a7e83"


def demo_text(info: DemoInfo, base_url: str) -> str:
    api_basic = base64.b64encode(f"{info.api_key}:{info.api_secret}".encode()).decode()
    pos_basic = base64.b64encode(f"{info.pos_client_id}:{info.pos_client_secret}".encode()).decode()
    offer = info.offer_id or "<offer_id from step 1>"
    lock_basic = base64.b64encode(f"{LOCK_CLIENT_ID}:{LOCK_CLIENT_SECRET}".encode()).decode()
    items = [
        {
            "line_id": "0",
            "item_id": "1",
            "quantity": "1",
            "unit_price": "10",
            "subtotal": "10",
            "tax_included": ".70",
            "modifies_line_id": "",
        },
        {
            "line_id": "1",
            "item_id": "2",
            "quantity": "1",
            "unit_price": "1",
            "subtotal": "1",
            "tax_included": ".07",
            "modifies_line_id": "0",
        },
    ]
    check = {
        "pos_employee_id": "1000",
        "table_id": "12",
        "channel": "STORE",
        "transaction_id": GUIDE_CHECK_ID,
        "guest_count": "1",
        "subtotal": "11.77",
        "TaxTotal": ".77",
        "open_time": "2018-06-10 9:20:00.000",
        "modified_time": "2018-06-10 9:30:00.000",
        "items": items,
        "discounts": [],
        "payments": [],
    }
    discount = {
        "reference_id": str(USER_OFFER_ID),
        "reference_id_type": "userofferid",
        "discount_source": "sessionm",
        "amount": 5,
        "discounted_line_ids": ["0", "1"],
        "stack_order": 0,
    }
    guide_check = json.dumps(check)
    closed_check = json.dumps({**check, "is_closed": "true", "discounts": [discount]})
    return f"""
[bold]Demo retailer[/bold] {info.retailer_id} ({"created" if info.created else "already there"})
  Admin UI sign-in: {base_url}/admin  e-mail [bold]{info.account_email}[/bold]  password [bold]{info.account_password}[/bold]
    (or the admin API key: key [bold]{info.api_key}[/bold]  secret [bold]{info.api_secret}[/bold])
  API key Authorization: Basic {api_basic}
  POS client {info.pos_client_id} secret {info.pos_client_secret}  (Authorization: Basic {pos_basic})
  Stores: {", ".join(str(s) for s in info.store_ids)}
  Demo offer: {info.offer_id}
  Demo user: {info.user_id} (external_customer_id 14311211, holding the demo offer and 10 points)

Step 1, create an offer:
  curl -s -H "Content-Type: application/json" -H "Authorization: Basic {api_basic}" \\
    {base_url}/api/2.0/offers/management/create --data '{{"retailer_id": "{str(info.retailer_id).upper()}", "offer_type": "manual_fulfillment", "publish": "true", "text_config": [{{"title": "Test Image URL", "description": "Session M Test Offer - KY", "terms_and_conditions": "Subject to availability.", "culture": "en"}}], "media_config": [], "common_config": {{"acquisition_start_date": "2018-03-01 00:00:00.0", "acquisition_end_date": "2019-03-31 23:59:00.0", "does_not_expire": false, "valid_after_end_date": false, "reward_store": false, "validity_unit": "years", "validity_period": 100, "custom_data": "{{\\"CustomAttribute\\":\\"CustomValue\\"}}"}}, "discount_config": {{}}, "offer_config": {{"type": "manual_fulfillment"}}, "use_restrictions": [], "purchase_restrictions": [], "catalog_restrictions": [], "location_restrictions": []}}'

Step 2, fetch an offer:
  curl -s -X POST -H "Content-Type: application/json" -H "Authorization: Basic {api_basic}" \\
    {base_url}/api/2.0/offers/fetch_offer --data '{{"retailer_id": "{str(info.retailer_id).upper()}", "offer_id": "{offer}", "culture": "en-us"}}'

Step 3, issue an offer to a customer (loyalty rules do this too):
  curl -s -H "Content-Type: application/json" -H "Authorization: Basic {api_basic}" \
    {base_url}/api/2.0/offers/acquisition/issue --data '{{"retailer_id": "{info.retailer_id}", "user_id": "{USER_ID}", "offer_id": "{offer}", "quantity": 1}}'

Step 4, Lookup, exactly as the guide sends it (its Authorization header is the demo POS client):
  curl -s -X POST {base_url}/api/2.0/Lookup -H 'Authorization: Basic {pos_basic}' -H 'Content-Type: application/json' \
    -d '{{"store_id": "{LOOKUP_STORE_ID}", "client_id": "{info.pos_client_id}", "request_id": "1", "request_payload": {{"external_customer_id": "{EXTERNAL_CUSTOMER_ID}"}}}}'

Step 5, Lock the guide's user offer on the guide's check (client {LOCK_CLIENT_ID}, secret {LOCK_CLIENT_SECRET}):
  curl -s -X POST {base_url}/api/2.0/Lock -H 'Authorization: Basic {lock_basic}' -H 'Content-Type: application/json' \
    -d '{{"store_id": "{LOCK_STORE_ID}", "client_id": "{LOCK_CLIENT_ID}", "request_id": "1", "request_payload": {{"offer_lookup_code": "{USER_OFFER_ID}", "offer_lookup_type": "userofferid", "transaction": {guide_check}}}}}'

Step 6, close the check (send_transaction): redeems what it carries as a sessionm discount:
  curl -s -X POST {base_url}/api/2.0/send_transaction -H 'Authorization: Basic {lock_basic}' -H 'Content-Type: application/json' \
    -d '{{"store_id": "{LOCK_STORE_ID}", "client_id": "{LOCK_CLIENT_ID}", "request_id": "2", "request_payload": {closed_check}}}'

Then the history shows it Redeemed:
  curl -s -H "Content-Type: application/json" -H "Authorization: Basic {api_basic}" \
    {base_url}/api/2.0/offers/user_offer_history --data '{{"retailer_id": "{str(info.retailer_id).upper()}", "user_ids": ["{USER_ID}"], "rollback_option": 0, "skip": 0, "take": 5}}'
"""
