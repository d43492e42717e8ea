"""The webhook worker against a real receiver on 127.0.0.1, with the clock driven by hand: delivery,
Standard Webhooks signatures, the retry schedule, disabling after sustained failure, order per
customer, and the address policy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from openoffers.kit.db import Database
from openoffers.settings import Settings
from openoffers.tables.events import outbox_events, webhook_attempts, webhook_deliveries, webhook_endpoints
from openoffers.webhooks import delivery, service
from openoffers.webhooks.schemas import CreateEndpointRequest, EndpointRequest
from openoffers_client import WebhookSignatureError, verify_webhook
from tests.conftest import FrozenClock, Tenant
from tests.events.receiver import Receiver, receiving
from tests.pos.pos_support import api, create_user

ALLOWED = Settings(webhook_allow_private_urls=1, webhook_timeout_seconds=5)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, follow_redirects=False, trust_env=False) as client:
        yield client


async def endpoint(db: Database, tenant: Tenant, receiver: Receiver, now: datetime, *types: str) -> Any:
    request = CreateEndpointRequest(retailer_id=tenant.retailer_id, url=receiver.url, event_types=list(types))
    return await service.create(db, request, now, allow_private=True)


async def rows(db: Database, table: Any) -> list[Any]:
    async with db.read() as conn:
        return list(await conn.execute(select(table).order_by(*table.primary_key.columns)))


async def test_each_wanted_event_is_delivered_once_signed_per_standard_webhooks(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, http: httpx.AsyncClient
) -> None:
    clock = FrozenClock(datetime.now(UTC))  # the receiver's library checks the signature's time
    with receiving() as receiver:
        created = await endpoint(db, tenant, receiver, clock(), "user.created", "points.adjusted")
        user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
        await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 3, "kind": "adjust"})
        await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 4})  # not wanted
        done = await delivery.run_once(db, ALLOWED, clock, http)
        assert (done.delivered, done.failed) == (2, 0)
        assert await delivery.run_once(db, ALLOWED, clock, http) == delivery.Round(0, 0, 0)
        got = receiver.received()
    assert len(got) == 2
    events = {e.id: e for e in await rows(db, outbox_events)}
    bodies = [Webhook(created.secret).verify(r.body, r.headers) for r in got]  # raises on a bad signature
    # The SDK's helper, which integrators use, accepts exactly what the server sent, as the library does.
    assert [verify_webhook(created.secret, r.body, r.headers) for r in got] == bodies
    assert [b["type"] for b in bodies] == ["user.created", "points.adjusted"]
    assert [r.headers["webhook-id"] for r in got] == [b["id"] for b in bodies]
    first = events[UUID(bodies[0]["id"])]
    assert bodies[0] == {
        "id": str(first.id),
        "type": "user.created",
        "timestamp": first.occurred_at.isoformat().replace("+00:00", "Z"),
        "retailer_id": str(tenant.retailer_id),
        "data": first.data,
    }
    assert bodies[1]["data"]["amount"] == 3 and bodies[1]["data"]["user_id"] == user_id
    # Tampered or signed with another secret: the library refuses it.
    with pytest.raises(Exception, match="signature"):
        Webhook(created.secret).verify(got[0].body.replace(b"Ada", b"Eve"), got[0].headers)
    with pytest.raises(WebhookSignatureError):
        verify_webhook(created.secret, got[0].body.replace(b"Ada", b"Eve"), got[0].headers)
    rotated = await service.rotate_secret(
        db, EndpointRequest(retailer_id=tenant.retailer_id, webhook_id=created.webhook_id), clock()
    )
    with pytest.raises(Exception, match="signature"):
        Webhook(rotated.secret).verify(got[0].body, got[0].headers)
    assert [(a.attempt, a.status_code, a.error) for a in await rows(db, webhook_attempts)] == [
        (1, 200, ""),
        (1, 200, ""),
    ]


async def test_a_failing_receiver_gets_retries_on_schedule_then_the_endpoint_is_disabled(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    with receiving(status=500) as receiver:
        created = await endpoint(db, tenant, receiver, clock())
        await create_user(client, tenant, first_name="Ada", last_name="L")
        started = clock()
        for attempt in range(1, delivery.ATTEMPTS + 1):
            done = await delivery.run_once(db, ALLOWED, clock, http)
            assert (done.delivered, done.failed) == (0, 1)
            assert len(receiver.received()) == attempt
            # Not due again until its retry time.
            assert await delivery.run_once(db, ALLOWED, clock, http) == delivery.Round(0, 0, 0)
            [row] = await rows(db, webhook_deliveries)
            assert row.attempts == attempt and row.last_status_code == 500 and row.last_error == "HTTP 500"
            if attempt == delivery.ATTEMPTS:
                break
            delay = row.next_attempt_at - clock()
            base = delivery.SCHEDULE[attempt - 1]
            assert base * 0.9 <= delay <= base * 1.1
            clock.now = row.next_attempt_at
            [ep] = await rows(db, webhook_endpoints)
            assert ep.status == "active" and ep.failing_since == started
        # The last attempt, some 27 hours in, ends the schedule and the sustained failure disables it.
        assert clock() - started >= timedelta(hours=24)
        [row] = await rows(db, webhook_deliveries)
        assert row.status == "failed"
        [ep] = await rows(db, webhook_endpoints)
        assert ep.status == "disabled" and "HTTP 500" in ep.disabled_reason
        # A disabled endpoint gets nothing more, even of new events...
        await create_user(client, tenant, first_name="Bob", last_name="M")
        clock.advance(days=3)
        assert (await delivery.run_once(db, ALLOWED, clock, http)).failed == 0
        assert len(receiver.received()) == delivery.ATTEMPTS
        # ...until the retailer resumes it: the waiting one goes out; the failed one on resend.
        receiver.status = 204
        await service.resume(
            db, EndpointRequest(retailer_id=tenant.retailer_id, webhook_id=created.webhook_id), clock()
        )
        assert (await delivery.run_once(db, ALLOWED, clock, http)).delivered == 1
        assert len(receiver.received()) == delivery.ATTEMPTS + 1
    attempts = await rows(db, webhook_attempts)
    assert [a.attempt for a in attempts] == [*range(1, delivery.ATTEMPTS + 1), 1]


async def test_one_customers_events_go_out_in_order(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    with receiving(status=503) as receiver:
        await endpoint(db, tenant, receiver, clock())
        ada = await create_user(client, tenant, first_name="Ada", last_name="L")
        await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": ada, "amount": 3})
        bob = await create_user(client, tenant, first_name="Bob", last_name="M")
        # Ada's first event fails: her second waits behind it; Bob's is not held up.
        done = await delivery.run_once(db, ALLOWED, clock, http)
        assert (done.delivered, done.failed) == (0, 2)
        sent = [json.loads(r.body) for r in receiver.received()]
        # Sent together (different customers), so in either order.
        assert sorted((b["type"], b["data"]["user_id"]) for b in sent) == sorted(
            [("user.created", ada), ("user.created", bob)]
        )
        receiver.status = 200
        clock.advance(seconds=6)
        done = await delivery.run_once(db, ALLOWED, clock, http)
        assert (done.delivered, done.failed) == (3, 0)
        sent = [json.loads(r.body) for r in receiver.received()][2:]
    # Ada's second is claimed only once her first is delivered (a later claim of the same round).
    assert sorted((b["type"], b["data"]["user_id"]) for b in sent[:2]) == sorted(
        [("user.created", ada), ("user.created", bob)]
    )
    assert (sent[2]["type"], sent[2]["data"]["user_id"]) == ("points.earned", ada)


async def test_private_addresses_are_refused_unless_the_operator_allows_them(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    with receiving() as receiver:
        await endpoint(db, tenant, receiver, clock())  # created while the setting allowed it
        await create_user(client, tenant, first_name="Ada", last_name="L")
        done = await delivery.run_once(db, Settings(), clock, http)
        assert (done.delivered, done.failed) == (0, 1)
        assert receiver.received() == []
    [row] = await rows(db, webhook_deliveries)
    assert row.last_status_code is None and "non-public address (127.0.0.1)" in row.last_error


async def test_paused_endpoints_keep_their_deliveries_for_resume(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    with receiving() as receiver:
        created = await endpoint(db, tenant, receiver, clock())
        ref = EndpointRequest(retailer_id=tenant.retailer_id, webhook_id=created.webhook_id)
        await service.pause(db, ref, clock())
        await create_user(client, tenant, first_name="Ada", last_name="L")
        assert (await delivery.run_once(db, ALLOWED, clock, http)).dispatched == 1
        assert receiver.received() == []
        await service.resume(db, ref, clock())
        assert (await delivery.run_once(db, ALLOWED, clock, http)).delivered == 1
        assert len(receiver.received()) == 1


def _metric(text: str, name: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.rsplit(" ", 1)[1])


async def test_the_backlog_and_failures_are_in_metrics(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    with receiving(status=500) as failing, receiving() as paused_receiver:
        await endpoint(db, tenant, failing, clock())
        paused = await endpoint(db, tenant, paused_receiver, clock())
        await service.pause(db, EndpointRequest(retailer_id=tenant.retailer_id, webhook_id=paused.webhook_id), clock())
        before = (await client.get("/metrics")).text
        await create_user(client, tenant, first_name="Ada", last_name="L")
        await create_user(client, tenant, first_name="Bob", last_name="M")
        assert (await delivery.run_once(db, ALLOWED, clock, http)).failed == 2
    after = (await client.get("/metrics")).text
    # Two deliveries wait for their retry, two for the paused endpoint (due now); none undispatched.
    assert _metric(after, 'openoffers_webhook_backlog{state="undispatched_events"}') == 0
    assert _metric(after, 'openoffers_webhook_backlog{state="pending_deliveries"}') == 4
    assert _metric(after, 'openoffers_webhook_backlog{state="due_deliveries"}') == 2
    failed = 'openoffers_webhook_attempts_total{outcome="failed"}'
    assert _metric(after, failed) - (_metric(before, failed) if failed in before else 0) == 2


async def test_an_attempt_whose_endpoint_was_deleted_meanwhile_is_dropped(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    with receiving() as receiver:
        created = await endpoint(db, tenant, receiver, clock())
        await create_user(client, tenant, first_name="Ada", last_name="L")
        await delivery.dispatch(db, clock())
        [claimed] = await delivery.claim(db, clock(), timedelta(seconds=40), 8)
        # Claimed twice? No: it is leased.
        assert await delivery.claim(db, clock(), timedelta(seconds=40), 8) == []
        outcome = await delivery.send(http, claimed, clock(), allow_private=True)
        await service.delete(
            db, EndpointRequest(retailer_id=tenant.retailer_id, webhook_id=created.webhook_id), clock()
        )
        assert not await delivery.record(db, claimed, outcome, clock(), timedelta(hours=24))
    assert await rows(db, webhook_attempts) == [] and await rows(db, webhook_deliveries) == []
