"""request_id: a replay answers the first reply byte for byte without doing the work again; another body
is IDEMPOTENCY_KEY_REUSED; a refusal is not stored; concurrent duplicates run once."""

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


async def test_a_different_body_under_the_same_request_id_is_refused(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    _, other = await customer_with_offer(client, tenant)
    assert (await send(client, tenant, LOCK, envelope(tenant, lock_body(uo), request_id="k"))).status_code == 200
    before = await snapshot(db, *POS_TABLES)
    response = await send(client, tenant, LOCK, envelope(tenant, lock_body(other), request_id="k"))
    assert response.status_code == 409
    errors = response.json()["errors"]
    assert (errors["code"], errors["fields"]) == (
        "IDEMPOTENCY_KEY_REUSED",
        {"request_id": ["already used with a different body"]},
    )
    assert await snapshot(db, *POS_TABLES) == before
    # The same request_id on another route is another key.
    redeem = await send(client, tenant, REDEEM, envelope(tenant, lock_body(other), request_id="k"))
    assert redeem.status_code == 200
    assert await status_of(db, other) == 3


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
    changed = json.loads(json.dumps(body))
    changed["request_payload"]["items"][0]["subtotal"] = "9"
    reused = await send(client, tenant, SEND, changed)
    assert (reused.status_code, reused.json()["errors"]["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")


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
