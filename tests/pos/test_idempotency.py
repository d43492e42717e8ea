"""request_id: a replay answers the first reply byte for byte without doing the work again; the key is
the client's, the route's and what the call acts on (issue 11: public clients send request_id "1" for
every call), so a new check or user offer under a used request_id is a new request, and so is another
body for the same one; a refusal is not stored; concurrent duplicates run once.

Source: SessionM POS "General DTO Definitions" (https://docs.sessionm.com/developer/APIs/POS/
general_dto_definitions.htm): request_id "enforces idempotency ... If a subsequent request is made with
the same request_id, it will return the response when one had already been generated"."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from openoffers.kit.db import Database
from openoffers.pos import service
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import (
    LOCK,
    POS_TABLES,
    REDEEM,
    REDEMPTION_LOCK,
    SEND,
    UNLOCK,
    as_discount,
    check,
    customer_with_offer,
    envelope,
    events_of,
    line,
    lock,
    lock_body,
    status_of,
)


async def send(client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any] | str) -> httpx.Response:
    content = body if isinstance(body, str) else json.dumps(body)
    return await client.post(path, content=content, headers={**tenant.pos_auth, "Content-Type": "application/json"})


async def test_a_replayed_lock_answers_the_same_bytes_and_locks_once(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    body = envelope(tenant, lock_body(uo), request_id="lock-1")
    first = await send(client, tenant, LOCK, body)
    assert first.status_code == 200
    clock.advance(minutes=2)
    before = await snapshot(db, *POS_TABLES)
    # Its alias path shares the key; "1" and 1 and key order are the same body.
    replayed = json.loads(json.dumps(body))
    replayed["request_payload"]["transaction"]["items"][0]["quantity"] = 1
    reordered = dict(reversed(list(replayed.items())))
    for path, again in ((LOCK, body), (REDEMPTION_LOCK, reordered)):
        response = await send(client, tenant, path, again)
        assert (response.status_code, response.content) == (200, first.content)
    assert await snapshot(db, *POS_TABLES) == before
    assert json.loads(first.content)["payload"]["applied_time"] == "2026-06-15T12:00:00Z"


async def test_a_new_user_offer_under_a_used_request_id_is_a_new_request(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    """Before issue 11 this was IDEMPOTENCY_KEY_REUSED: a client that sends "1" for every call failed on
    its second offer. The key now includes the user offer the call acts on."""
    _, uo = await customer_with_offer(client, tenant)
    _, other = await customer_with_offer(client, tenant)
    first = await send(client, tenant, LOCK, envelope(tenant, lock_body(uo), request_id="k"))
    assert first.status_code == 200
    response = await send(client, tenant, LOCK, envelope(tenant, lock_body(other), request_id="k"))
    assert (response.status_code, response.json()["payload"]["reference_id"]) == (200, other)
    assert (await status_of(db, uo), await status_of(db, other)) == (2, 2)
    # Each key still replays its own reply byte for byte.
    again = await send(client, tenant, LOCK, envelope(tenant, lock_body(uo), request_id="k"))
    assert again.content == first.content
    # The same request_id on another route is another key.
    redeem = await send(client, tenant, REDEEM, envelope(tenant, lock_body(other), request_id="k"))
    assert redeem.status_code == 200
    assert await status_of(db, other) == 3


async def test_another_body_for_the_same_offer_is_a_new_request_and_its_retry_replays(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    """The basket of the same check changed under request_id "1": the lock is computed again (not the
    first reply), and a retry of the new body replays the new reply."""
    _, uo = await customer_with_offer(client, tenant, discount_config={"amount": "15"})
    small = envelope(tenant, lock_body(uo), request_id="1")
    bigger = envelope(
        tenant,
        lock_body(uo, check(items=[line("0", "10"), line("1", "1", item_id="2"), line("2", "8")])),
        request_id="1",
    )
    first = await send(client, tenant, LOCK, small)
    clock.advance(minutes=1)
    second = await send(client, tenant, LOCK, bigger)
    assert (first.json()["payload"]["amount"], second.json()["payload"]["amount"]) == (11, 15)
    before = await snapshot(db, *POS_TABLES)
    retried = await send(client, tenant, LOCK, bigger)
    assert (retried.status_code, retried.content) == (200, second.content)
    assert await snapshot(db, *POS_TABLES) == before
    assert await events_of(db, uo) == ["issued", "locked"]


async def test_a_refusal_is_not_stored_so_a_retry_runs_again(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    await lock(client, tenant, uo)
    attempt = envelope(tenant, lock_body(uo, check("T-2")), request_id="retry")
    refused = await send(client, tenant, LOCK, attempt)
    assert (refused.status_code, refused.json()["errors"]["code"]) == (409, "ALREADY_LOCKED")
    await send(client, tenant, UNLOCK, envelope(tenant, {"user_offer_id": uo}))
    retried = await send(client, tenant, LOCK, attempt)
    assert (retried.status_code, retried.json()["payload"]["status"]) == (200, "LOCKED")


async def test_send_transaction_replays(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    _, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo)
    body = envelope(tenant, check(discounts=[as_discount(locked)], is_closed=True), request_id="close")
    first = await send(client, tenant, SEND, body)
    second = await send(client, tenant, SEND, body)
    assert (first.status_code, second.content) == (200, first.content)
    assert await events_of(db, uo) == ["issued", "locked", "redeemed"]
    # Another body for the same check under the same request_id is a new request (issue 11): the same
    # lines again with another modified_time change nothing and answer OK (a return would take lines away).
    before = await snapshot(db, "pos_transactions", "point_ledger", "user_offers")
    changed = json.loads(json.dumps(body))
    changed["request_payload"]["modified_time"] = "2026-06-15 12:30:00"
    resent = await send(client, tenant, SEND, changed)
    assert (resent.status_code, resent.content) == (200, first.content)
    assert await snapshot(db, "pos_transactions", "point_ledger", "user_offers") == before
    # A line the check never had is still a change to a closed check.
    grown = json.loads(json.dumps(body))
    grown["request_payload"]["items"].append({"line_id": "9", "item_id": "9", "quantity": 1, "unit_price": 1})
    refused = await send(client, tenant, SEND, grown)
    assert (refused.status_code, refused.json()["errors"]["code"]) == (409, "TRANSACTION_CLOSED")
    assert await snapshot(db, "pos_transactions", "point_ledger", "user_offers") == before


async def test_concurrent_duplicates_run_once(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    _, uo = await customer_with_offer(client, tenant)
    body = envelope(tenant, lock_body(uo), request_id="dup")
    responses = await asyncio.gather(*(send(client, tenant, LOCK, body) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert await events_of(db, uo) == ["issued", "locked"]


async def test_old_replies_are_purged(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    await lock(client, tenant, uo)
    clock.advance(hours=23)
    assert await service.purge_replies(db, clock(), 24) == 0
    clock.advance(hours=2)
    assert await service.purge_replies(db, clock(), 24) == 1
    assert (await snapshot(db, "pos_requests"))["pos_requests"] == []
