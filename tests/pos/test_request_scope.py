"""request_id scope (issue 11, item 2): public clients send request_id "1" for every call, Lookup, Lock
and send_transaction alike (the partner guide does too). A replay key belongs to the client, the route
and what the call acts on (the check, the user offer): a retry replays byte for byte, each new check or
user offer is processed, and a read (Lookup) is never answered from another customer's reply.

Source: SessionM POS "General DTO Definitions" (https://docs.sessionm.com/developer/APIs/POS/
general_dto_definitions.htm): request_id is "the unique ID of the request to enforce idempotency ... If a
subsequent request is made with the same request_id, it will return the response when one had already
been generated"; the partner guide's requests (shared/seed/offer-management-api-workflow.txt) all send
"request_id": "1".
"""

from __future__ import annotations

from typing import Any

import httpx

from openoffers.kit.db import Database
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import (
    LOCK,
    LOOKUP,
    POS_TABLES,
    REINSTATE,
    SEND,
    UNLOCK,
    api,
    as_discount,
    check,
    customer_with_offer,
    envelope,
    events_of,
    lock_body,
    status_of,
)


async def call(client: httpx.AsyncClient, tenant: Tenant, path: str, payload: dict[str, Any]) -> httpx.Response:
    """A POS call with request_id "1", as the guide and public clients send every call."""
    return await client.post(path, json=envelope(tenant, payload, request_id="1"), headers=tenant.pos_auth)


async def test_a_client_that_always_sends_1_gets_every_check_processed(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    first_user, first_offer = await customer_with_offer(client, tenant)
    second_user, second_offer = await customer_with_offer(client, tenant)
    replies = {}
    for user_offer, transaction_id in ((first_offer, "T-1"), (second_offer, "T-2")):
        # The open check, then the lock, then the close: three bodies, one request_id.
        assert (await call(client, tenant, SEND, check(transaction_id))).status_code == 200
        locked = await call(client, tenant, LOCK, lock_body(user_offer, check(transaction_id)))
        assert locked.status_code == 200, locked.text
        closed = check(transaction_id, discounts=[as_discount(locked.json()["payload"])], is_closed=True)
        sent = await call(client, tenant, SEND, closed)
        assert sent.status_code == 200, sent.text
        replies[transaction_id] = (closed, sent.content)
        clock.advance(minutes=1)
    assert (await status_of(db, first_offer), await status_of(db, second_offer)) == (3, 3)
    for user_id in (first_user, second_user):
        balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
        assert balances["available_points"] == 6  # 11.00 - 5.00
    # A retry of either close, even the older one, replays its own reply and changes nothing.
    before = await snapshot(db, *POS_TABLES)
    for closed, content in replies.values():
        again = await call(client, tenant, SEND, closed)
        assert (again.status_code, again.content) == (200, content)
    assert await snapshot(db, *POS_TABLES) == before
    assert await events_of(db, first_offer) == ["issued", "locked", "redeemed"]


async def test_unlock_and_reinstate_under_1_act_on_each_user_offer(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, first = await customer_with_offer(client, tenant)
    _, second = await customer_with_offer(client, tenant)
    for user_offer, transaction_id in ((first, "T-1"), (second, "T-2")):
        assert (await call(client, tenant, LOCK, lock_body(user_offer, check(transaction_id)))).status_code == 200
    for user_offer in (first, second):
        response = await call(client, tenant, UNLOCK, {"user_offer_id": user_offer, "employee_id": "7"})
        assert response.status_code == 200, response.text
    assert (await status_of(db, first), await status_of(db, second)) == (1, 1)
    # Redeem both through closed checks, then reinstate both under "1".
    for user_offer, transaction_id in ((first, "T-3"), (second, "T-4")):
        locked = await call(client, tenant, LOCK, lock_body(user_offer, check(transaction_id)))
        closed = check(transaction_id, discounts=[as_discount(locked.json()["payload"])], is_closed=True)
        assert (await call(client, tenant, SEND, closed)).status_code == 200
    for user_offer in (first, second):
        response = await call(client, tenant, REINSTATE, {"user_offer_id": user_offer, "employee_id": "7"})
        assert response.status_code == 200, response.text
    assert (await status_of(db, first), await status_of(db, second)) == (1, 1)
    assert await events_of(db, second) == ["issued", "locked", "unlocked", "locked", "redeemed", "reinstated"]


async def test_lookup_under_1_is_never_answered_from_another_customers_reply(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    first_user, first_offer = await customer_with_offer(client, tenant)
    second_user, _ = await customer_with_offer(client, tenant)
    # A mutating call under "1" first: its reply is stored, and must not answer a Lookup.
    assert (await call(client, tenant, LOCK, lock_body(first_offer))).status_code == 200
    answers: dict[str, list[dict[str, Any]]] = {}
    for user_id in (first_user, second_user, first_user):
        response = await call(client, tenant, LOOKUP, {"user_id": user_id})
        assert response.status_code == 200, response.text
        [found] = response.json()["payload"]
        assert (found["user_reference_id"], found["user_account_id"]) == (user_id, user_id)
        answers.setdefault(user_id, []).append(found)
    # A read answers what is true now: the first customer's offer shows as locked both times.
    assert [[o["status"] for o in a["offers"]] for a in answers[first_user]] == [["LOCKED"], ["LOCKED"]]
    assert [o["status"] for o in answers[second_user][0]["offers"]] == ["INFO"]
