"""The partner guide's Lookup, Lock and send_transaction requests, verbatim, with ids that exist, on both
engines: the demo retailer has most of them; the rest (the Lock's POS client, the send_transaction's
customer and user offer) are created here with the guide's own ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from openoffers import demo
from openoffers.kit.db import Database
from openoffers.offers import service as offers_service
from openoffers.offers.schemas import CreateOfferRequest, DiscountConfig, TextConfig
from openoffers.wallet import lifecycle
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.issuance import issue_in
from tests.conftest import FrozenClock, basic, snapshot
from tests.pos.pos_support import POS_TABLES, events_of, status_of

# The guide's Lookup, exactly as printed (its curl's -d body and Authorization header).
GUIDE_LOOKUP_AUTHORIZATION = "Basic ZDRkOTUwYWYtMWEzNy00YTEwLWJhOGItYzJmYjhlZTI0MzQwOnFQQ0ZlN05xRTVNOUUy"
GUIDE_LOOKUP = """{
 "store_id": "136b6d16-1317-4ac6-b551-19540d53bd6c",
 "client_id": "d4d950af-1a37-4a10-ba8b-c2fb8ee24340",
 "request_id": "1",
 "request_payload": {
  "external_customer_id": "14311211"
 }
}
"""

# The guide's Lock body (its curl ends the body with a typographic quote, which is the shell's, not JSON).
GUIDE_LOCK = """{
"store_id": "332b6ee0-e981-4f96-8047-d0d358cfb3e0",
"client_id": "686ed454-ecab-4e86-8abe-c9470e8dd787",
  "request_id": "1",
  "request_payload": {
    "offer_lookup_code": "757144c2-6693-4a29-9f2c-f1d3aa2fa24f",
    "offer_lookup_type": "userofferid",
    "transaction": {
      "pos_employee_id": "1000",
      "table_id": "12",
      "channel": "STORE",
      "transaction_id": "3b0bdfb0-8c40-4960-bcf1-3b31627a7e83",
      "guest_count": "1",
      "subtotal": "11.77",
      "TaxTotal": ".77",
      "open_time": "2018-06-10 9:20:00.000",
      "modified_time": "2018-06-10 9:30:00.000",
      "items": [
        {
          "line_id": "0",
          "item_id": "1",
          "quantity": "1",
          "unit_price": "10",
          "subtotal": "10",
          "tax_included": ".70",
          "modifies_line_id": ""
        },
        {
          "line_id": "1",
          "item_id": "2",
          "quantity": "1",
          "unit_price": "1",
          "subtotal": "1",
          "tax_included": ".07",
          "modifies_line_id": "0"
        }
      ],
      "discounts": [],
      "payments": []
    }
  }
}"""

# The guide's send_transaction body, with its mismatched closing brackets (`}}]`) kept as printed.
GUIDE_SEND = """{
"store_id": "332b6ee0-e981-4f96-8047-d0d358cfb3e0",
"client_id": "686ed454-ecab-4e86-8abe-c9470e8dd787",
"request_id": "1",
"request_payload": {
  "is_closed": "true",
  "pos_employee_id": "1",
  "channel": "Store",
  "transaction_id": "24222-2-424242-4qwe-q",
  "guest_count": "1",
  "subtotal": "2703.00",
  "tax_total": "0.25",
  "open_time": "2018-09-01 10:20:00.000",
  "modified_time": "2018-09-01 10:20:00.000",
  "items": [
    {
      "line_id": "1",
      "item_id": "2",
      "quantity": "1",
      "unit_price": "2701.50",
      "subtotal": "2701.50"
    },
    {
      "line_id": "2",
      "item_id": "2",
      "quantity": "1",
      "unit_price": "1.50",
      "subtotal": "1.50"
    }
  ],
  "payments": [
    {
      "payment_id": "df42224-462w-sdf89",
      "amount": "2703.25",
      "type": "CREDIT",
      "payment_time": "2018-09-01 10:20:00.000",
      "user_id": "7a5d1ba6-b1e3-11e8-842b-88002c64166c",
      "user_id_type": "SessionM_ID"
    }
  ],
  "discounts": [{
       "reference_id": "264310e3-34ad-42a9-bcf5-8ca16ff4bc91",
       "reference_id_type": "userofferid",
       "user_id": "57a7f64a-ab16-11e8-9c40-e1d6fdd3934a",
       "status": "LOCKED",
       "display_name": "10$",
       "discounted_line_ids": [
         "0"
       ],
       "discount_source": "sessionm",
       "amount": 1,
       "stack_order": 0,
       "applied_time": "2018-08-29T06:59:04.5326816Z"
     }}]"""

# The demo creates the guide's Lock client with a known secret (the guide leaves it to the reader).
LOCK_CLIENT_ID = demo.LOCK_CLIENT_ID
LOCK_CLIENT_SECRET = demo.LOCK_CLIENT_SECRET
SEND_USER_ID = UUID("7a5d1ba6-b1e3-11e8-842b-88002c64166c")
SEND_USER_OFFER_ID = UUID("264310e3-34ad-42a9-bcf5-8ca16ff4bc91")
JSON = {"Content-Type": "application/json"}
LOCK_AUTH = {**JSON, **basic(str(LOCK_CLIENT_ID), LOCK_CLIENT_SECRET)}
ADMIN_AUTH = basic(demo.API_KEY, demo.API_SECRET)

DISCOUNT_KEYS = [
    "reference_id",
    "user_id",
    "reference_id_type",
    "pos_discount_id",
    "status",
    "display_name",
    "image_url",
    "discounted_line_ids",
    "discounted_line_id_quantities",
    "discount_source",
    "amount",
    "stack_order",
    "applied_time",
]


async def guide_ids(db: Database, clock: FrozenClock) -> None:
    """The demo retailer, the Lock's POS client, and the send_transaction's customer holding a "10$" offer
    as the user offer its discount names."""
    await demo.ensure_demo(db, clock)
    created = await offers_service.create_offer(
        db,
        CreateOfferRequest(
            retailer_id=demo.RETAILER_ID,
            publish=True,
            offer_type="fixed_amount_check_discount",
            text_config=[TextConfig(title="10$", culture="en")],
            discount_config=DiscountConfig(amount=Decimal(10)),
        ),
        clock(),
    )
    async with db.write() as conn:
        now = clock()
        await users_repo.insert_user(
            conn,
            users_repo.UserRow(SEND_USER_ID, demo.RETAILER_ID, None, "S", "M", None, None, {}, now, now),
        )
        w = await lifecycle.begin_user_write(conn, demo.RETAILER_ID, SEND_USER_ID, now, "test")
        await issue_in(
            w,
            offer_id=created.offer_id,
            quantity=1,
            source="api",
            user_offer_ids=[SEND_USER_OFFER_ID],
        )


async def test_the_guides_lookup_verbatim(db: Database, clock: FrozenClock, client: httpx.AsyncClient) -> None:
    await guide_ids(db, clock)
    headers = {**JSON, "Authorization": GUIDE_LOOKUP_AUTHORIZATION}
    response = await client.post("/api/2.0/Lookup", content=GUIDE_LOOKUP, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["status", "payload", "errors"]
    assert (body["status"], body["errors"]) == ("success", None)
    [user] = body["payload"]
    guide_keys = [
        "user_reference_id",
        "user_account_id",
        "partial_response",
        "first_name",
        "last_name",
        "phone",
        "email",
        "points",
        "profile_fields",
        "offers",
        "accounts",
    ]
    assert list(user)[: len(guide_keys)] == guide_keys
    user_id = str(demo.USER_ID)
    assert {k: user[k] for k in guide_keys if k not in ("offers", "accounts")} == {
        "user_reference_id": user_id,
        "user_account_id": user_id,
        "partial_response": False,
        "first_name": "J",
        "last_name": "H",
        "phone": "1440273702",
        "email": "jh@sessionm.com",
        "points": 10,
        "profile_fields": {},
    }
    [offer] = user["offers"]
    assert list(offer) == DISCOUNT_KEYS
    assert offer == {
        "reference_id": str(demo.USER_OFFER_ID),
        "user_id": user_id,
        "reference_id_type": "userofferid",
        "pos_discount_id": None,
        "status": "INFO",
        "display_name": "$5 off Check",
        "image_url": None,
        "discounted_line_ids": [],
        "discounted_line_id_quantities": [],
        "discount_source": "sessionm",
        "amount": 0,
        "stack_order": 0,
        "applied_time": None,
    }
    [account] = user["accounts"]
    assert list(account) == [
        "AccountName",
        "UserPointAccountID",
        "PointAccountID",
        "GroupingLabel",
        "AvailableBalance",
        "LifeTimeValue",
    ]
    assert (account["AccountName"], account["GroupingLabel"]) == ("Points", "")
    assert (account["AvailableBalance"], account["LifeTimeValue"]) == (10, 10)
    UUID(account["UserPointAccountID"])
    UUID(account["PointAccountID"])

    # The guide lists api/2.0/offers/get_user_offers as this call's URI: given the POS envelope it answers
    # the same.
    same = await client.post("/api/2.0/offers/get_user_offers", content=GUIDE_LOOKUP, headers=headers)
    assert (same.status_code, same.content) == (200, response.content)


async def test_the_guides_lock_verbatim(db: Database, clock: FrozenClock, client: httpx.AsyncClient) -> None:
    await guide_ids(db, clock)
    response = await client.post("/api/2.0/Lock", content=GUIDE_LOCK, headers=LOCK_AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["status", "payload", "errors"]
    assert (body["status"], body["errors"]) == ("OK", None)
    locked = body["payload"]
    assert list(locked) == DISCOUNT_KEYS
    # The demo offer is $5 off the check: the guide's two lines (10.00 and its 1.00 modifier) share it.
    assert locked == {
        "reference_id": "757144c2-6693-4a29-9f2c-f1d3aa2fa24f",
        "user_id": str(demo.USER_ID),
        "reference_id_type": "userofferid",
        "pos_discount_id": None,
        "status": "LOCKED",
        "display_name": "$5 off Check",
        "image_url": None,
        "discounted_line_ids": ["0", "1"],
        "discounted_line_id_quantities": [1, 1],
        "discount_source": "sessionm",
        "amount": 5,
        "stack_order": 0,
        "applied_time": "2026-06-15T12:00:00Z",
    }
    assert await status_of(db, str(demo.USER_OFFER_ID)) == 2
    # Its other URI, with PATCH, is the same route for request_id purposes: the same body replays.
    again = await client.patch("/api/2.0/offers/redemption/lock", content=GUIDE_LOCK, headers=LOCK_AUTH)
    assert (again.status_code, again.content) == (200, response.content)
    assert await events_of(db, str(demo.USER_OFFER_ID)) == ["issued", "locked"]


async def test_the_guides_send_transaction_verbatim(
    db: Database, clock: FrozenClock, client: httpx.AsyncClient
) -> None:
    await guide_ids(db, clock)
    response = await client.post("/api/2.0/send_transaction", content=GUIDE_SEND, headers=LOCK_AUTH)
    assert response.status_code == 200, response.text
    assert response.content == b'{"status":"OK","payload":null,"errors":null}'
    # The discount was not locked: it was lockable, so it was locked and redeemed with the check.
    assert await status_of(db, str(SEND_USER_OFFER_ID)) == 3
    assert await events_of(db, str(SEND_USER_OFFER_ID)) == ["issued", "locked", "redeemed"]
    history = await client.post(
        "/api/2.0/offers/user_offer_history",
        json={"retailer_id": str(demo.RETAILER_ID), "user_ids": [str(SEND_USER_ID)], "take": 10},
        headers=ADMIN_AUTH,
    )
    [entry] = history.json()["payload"]["results"]
    assert (entry["user_offer_id"], entry["status"], entry["status_description"]) == (
        str(SEND_USER_OFFER_ID),
        3,
        "Redeemed",
    )

    # The same request again replays; its other URI with another request_id is the same closed check: OK,
    # and nothing changes.
    before = await snapshot(db, *POS_TABLES)
    again = await client.post("/api/2.0/offers/send_transaction", content=GUIDE_SEND, headers=LOCK_AUTH)
    assert (again.status_code, again.content) == (200, response.content)
    other_id = GUIDE_SEND.replace('"request_id": "1"', '"request_id": "2"')
    same_check = await client.post("/api/2.0/offers/send_transaction", content=other_id, headers=LOCK_AUTH)
    assert (same_check.status_code, same_check.content) == (200, response.content)
    after = await snapshot(db, *POS_TABLES)
    assert {k: v for k, v in after.items() if k != "pos_requests"} == {
        k: v for k, v in before.items() if k != "pos_requests"
    }


async def test_a_truncated_send_transaction_is_refused_and_changes_nothing(
    db: Database, clock: FrozenClock, client: httpx.AsyncClient
) -> None:
    await guide_ids(db, clock)
    before = await snapshot(db, *POS_TABLES)
    cut = GUIDE_SEND[: GUIDE_SEND.index('"discount_source"')]
    response = await client.post("/api/2.0/send_transaction", content=cut, headers=LOCK_AUTH)
    assert response.status_code == 400, response.text
    errors: dict[str, Any] = response.json()["errors"]
    assert (errors["code"], errors["fields"]) == ("VALIDATION", {"body": ["malformed JSON"]})
    assert await snapshot(db, *POS_TABLES) == before
