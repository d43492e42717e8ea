"""Two `openoffers serve` processes deliver webhooks to a receiver on 127.0.0.1 under load: every
event once per attempt, counted exactly, on both engines."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.tables.events import outbox_events, webhook_attempts, webhook_deliveries
from tests.conftest import QUEUEING_ENV, FrozenClock, _truncate_pg, make_tenant
from tests.events.receiver import Received, receiving
from tests.serve_support import serving

CUSTOMERS = 40
# How long the deliveries may take on a loaded CI machine; the wait ends as soon as they are done.
DEADLINE_SECONDS = 180


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'webhooks.db'}"
    url: str = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


@pytest.fixture
def two_workers(server_database: str, tmp_path: Path) -> Iterator[str]:
    env = {
        **QUEUEING_ENV,
        "OPENOFFERS_DB_POOL_SIZE": "5",
        "OPENOFFERS_WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "OPENOFFERS_WEBHOOK_POLL_MS": "50",
    }
    with serving(server_database, tmp_path, workers=2, env=env) as base_url:
        yield base_url


async def test_two_processes_deliver_each_event_once(two_workers: str, server_database: str) -> None:
    db = Database(server_database, pool_size=2)
    try:
        tenant = await make_tenant(db, FrozenClock(utc_now()))
        with receiving() as receiver:
            async with httpx.AsyncClient(base_url=two_workers, timeout=60, headers=tenant.auth) as http:
                body = {"retailer_id": str(tenant.retailer_id), "url": receiver.url}
                created = (await http.post("/api/2.0/webhooks/create", json=body)).json()["payload"]

                async def customer(n: int) -> None:
                    user = {"retailer_id": str(tenant.retailer_id), "first_name": f"C{n}", "last_name": "L"}
                    answer = await http.post("/api/2.0/users/create", json=user)
                    assert answer.status_code == 200, answer.text
                    deposit = {"retailer_id": str(tenant.retailer_id), "user_id": answer.json()["payload"]["user_id"]}
                    answer = await http.post("/api/2.0/user_points/deposit", json={**deposit, "amount": n + 1})
                    assert answer.status_code == 200, answer.text

                await asyncio.gather(*(customer(n) for n in range(CUSTOMERS)))
            expected = 2 * CUSTOMERS
            await _wait_for_deliveries(db, expected)
            got = receiver.received()
        async with db.read() as conn:
            event_ids = {str(e) for e in await conn.scalars(select(outbox_events.c.id))}
            attempts = list(await conn.execute(select(webhook_attempts.c.attempt, webhook_attempts.c.status_code)))
    finally:
        await db.dispose()
    assert len(event_ids) == expected
    assert received_ids(got) == Counter({event_id: 1 for event_id in event_ids})
    assert Counter(map(tuple, attempts)) == Counter({(1, 200): expected})
    # Every body verifies with the endpoint's secret, and each customer's events came in order.
    verifier = Webhook(created["secret"])
    bodies = [verifier.verify(r.body, r.headers) for r in got]
    order: dict[str, list[str]] = {}
    for b in bodies:
        order.setdefault(b["data"]["user_id"], []).append(b["type"])
    assert set(map(tuple, order.values())) == {("user.created", "points.earned")}


async def _wait_for_deliveries(db: Database, expected: int) -> None:
    """Until `expected` deliveries are recorded as delivered (or the deadline, and the counts fail)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    for _ in range(DEADLINE_SECONDS * 5):
        if await _delivered(db) >= expected or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.2)


def received_ids(got: list[Received]) -> Counter[str]:
    return Counter(r.headers["webhook-id"] for r in got)


async def _delivered(db: Database) -> int:
    async with db.read() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(webhook_deliveries).where(webhook_deliveries.c.status == "delivered")
        )
    return int(count or 0)
