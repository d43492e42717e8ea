"""kit.admission: past its bound a process answers 503 UNAVAILABLE with Retry-After at once, and works
on what it admitted; probes are always answered."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from litestar import Litestar, get

from openoffers.app import create_app
from openoffers.kit.admission import InFlightLimit
from openoffers.kit.db import Database, Timeouts
from openoffers.kit.logs import RequestIds
from openoffers.settings import Settings
from tests.conftest import FrozenClock, asgi_transport, make_tenant
from tests.test_stalled_database import stalled

SHED = {
    "status": "error",
    "payload": None,
    "errors": {"code": "UNAVAILABLE", "message": "this server is working on its limit of 3 requests; retry shortly"},
}


async def until_in_flight(limited: InFlightLimit | RequestIds, count: int) -> None:
    """Wait (at most 30 s, a bound for a stuck test, not a timing) until `count` requests are admitted."""
    for _ in range(3000):
        if limited.in_flight >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {limited.in_flight} requests in progress")


async def test_requests_past_the_limit_are_shed_and_the_admitted_finish() -> None:
    release = asyncio.Event()

    @get("/slow")
    async def slow() -> str:
        await release.wait()
        return "done"

    @get("/health")
    async def health() -> str:
        return "ok"

    limited = InFlightLimit(Litestar([slow, health]), limit=3)
    async with httpx.AsyncClient(transport=asgi_transport(limited), base_url="http://t") as client:
        admitted = [asyncio.create_task(client.get("/slow")) for _ in range(3)]
        await until_in_flight(limited, 3)
        shed = await asyncio.gather(*(client.get("/slow") for _ in range(4)))
        probe = await client.get("/health")  # exempt: a load balancer still hears from the process
        release.set()
        done = await asyncio.gather(*admitted)
        after = await client.get("/slow")

    assert [(r.status_code, r.headers["retry-after"], r.json()) for r in shed] == [(503, "1", SHED)] * 4
    assert all(r.headers["content-type"] == "application/json" for r in shed)
    assert (probe.status_code, probe.text) == (200, "ok")
    assert [(r.status_code, r.text) for r in done] == [(200, "done")] * 3
    assert (after.status_code, limited.in_flight, limited.shed) == (200, 0, 4)


async def test_no_limit_admits_everything() -> None:
    @get("/")
    async def index() -> str:
        return "x"

    limited = InFlightLimit(Litestar([index]), limit=0)
    async with httpx.AsyncClient(transport=asgi_transport(limited), base_url="http://t") as client:
        answers = await asyncio.gather(*(client.get("/") for _ in range(20)))
    assert [r.status_code for r in answers] == [200] * 20


async def test_a_stalled_api_sheds_exactly_what_is_past_the_limit(database_url: str, clock: FrozenClock) -> None:
    """Writers stuck behind a stalled database fill the limit (3); the next 9 are refused at once; once the
    stall ends the 3 admitted complete, and what was refused left nothing behind."""
    db = Database(database_url, pool_size=5, timeouts=Timeouts(lock_ms=30_000))
    app = create_app(Settings(database_url=db.url, max_in_flight=3), database=db, clock=clock)
    tenant = await make_tenant(db, clock)

    def create(n: int) -> Any:
        body = {"retailer_id": str(tenant.retailer_id), "external_customer_id": f"c-{n}"}
        return client.post("/api/2.0/users/create", json=body, headers=tenant.auth)

    try:
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://t") as client:
            async with stalled(database_url):
                admitted = [asyncio.create_task(create(n)) for n in range(3)]
                await until_in_flight(app, 3)
                shed = await asyncio.gather(*(create(n) for n in range(3, 12)))
            done = await asyncio.gather(*admitted)
            listed = await client.post(
                "/api/2.0/users/get",
                json={"retailer_id": str(tenant.retailer_id), "external_customer_id": "c-5"},
                headers=tenant.auth,
            )
    finally:
        await db.dispose()
    assert Counter(r.status_code for r in shed) == {503: 9}
    assert {r.headers["retry-after"] for r in shed} == {"1"}
    assert [r.status_code for r in done] == [200] * 3, [r.text for r in done]
    assert listed.json()["errors"]["code"] == "USER_NOT_FOUND"
