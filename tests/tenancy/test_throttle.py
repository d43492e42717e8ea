"""Wrong Basic-auth secrets on the API slow only the (address, key) pair that sends them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from openoffers.kit.throttle import MAX_DELAY_SECONDS, FailureCounter, delay_seconds
from openoffers.tenancy.throttle import BasicAuthThrottle
from tests.conftest import Tenant, asgi_transport, basic

PATH = "/api/2.0/point_accounts/list"


def at(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def call(http: httpx.AsyncClient, tenant: Tenant, secret: str) -> httpx.Response:
    return await http.post(PATH, json={"retailer_id": str(tenant.retailer_id)}, headers=basic(tenant.key, secret))


async def test_five_wrong_secrets_then_429_for_that_pair_only(app: Any, tenant: Tenant) -> None:
    async with at(app, "203.0.113.9") as guesser, at(app, "198.51.100.1") as owner:
        assert [(await call(guesser, tenant, "wrong-secret")).status_code for _ in range(5)] == [401] * 5
        paused = await call(guesser, tenant, tenant.secret)  # not even checked
        assert (paused.status_code, paused.headers["retry-after"]) == (429, "1")
        assert paused.json() == {
            "status": "error",
            "payload": None,
            "errors": {
                "code": "RATE_LIMITED",
                "message": "too many wrong secrets for this key from this address; try again in 1 s",
            },
        }
        # The owner elsewhere, and the same address with another key, are not slowed.
        assert (await call(owner, tenant, tenant.secret)).status_code == 200
        pos = await guesser.post(
            "/api/2.0/lookup",
            json={"store_id": str(tenant.store_id), "client_id": str(tenant.client_id), "request_payload": {}},
            headers=tenant.pos_auth,
        )
        assert pos.status_code != 429


async def test_malformed_headers_and_other_paths_are_not_counted(app: Any, tenant: Tenant) -> None:
    async with at(app, "203.0.113.9") as http:
        for _ in range(8):
            missing = await http.post(PATH, json={"retailer_id": str(tenant.retailer_id)})
            assert missing.status_code == 401
            garbled = await http.post(PATH, json={}, headers={"Authorization": "Basic !!!"})
            assert garbled.status_code == 401
        assert (await call(http, tenant, tenant.secret)).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_delay_doubles_and_a_success_clears_it() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        ok = dict(scope["headers"])[b"authorization"] == basic("k", "right")["Authorization"].encode()
        await send({"type": "http.response.start", "status": 200 if ok else 401, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    clock = Clock()
    throttled = BasicAuthThrottle(app, free=2, window_seconds=900, clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(throttled), base_url="http://t") as http:

        async def status(secret: str) -> tuple[int, str | None]:
            response = await http.get("/api/x", headers=basic("k", secret))
            return response.status_code, response.headers.get("retry-after")

        assert [await status("wrong") for _ in range(2)] == [(401, None)] * 2
        for wait in (1, 2, 4):
            assert await status("right") == (429, str(wait))
            clock.now += wait - 0.5
            assert await status("right") == (429, "1")
            clock.now += 0.5
            assert await status("wrong") == (401, None)
        assert await status("right") == (429, "8")
        clock.now += 8
        assert await status("right") == (200, None)
        assert await status("wrong") == (401, None)  # cleared: the count starts again
        assert await status("wrong") == (401, None)
        assert await status("right") == (429, "1")


def test_delays_double_up_to_the_cap() -> None:
    assert [delay_seconds(n, 5) for n in range(4, 16)] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert delay_seconds(10**6, 5) == MAX_DELAY_SECONDS


def test_failure_counter_forgets_after_the_window_and_stays_bounded() -> None:
    counter = FailureCounter(free=1, window_seconds=60, capacity=3)
    counter.failed(("a", "k"), 0)
    assert counter.wait(("a", "k"), 0.5) == 0.5
    assert counter.wait(("a", "k"), 60) == 0.0  # out of the window: forgotten
    for n in range(5):
        counter.failed((f"address-{n}", "k"), 100)
    assert counter.wait(("address-0", "k"), 100) == 0.0  # evicted, the least recently failed first
    assert counter.wait(("address-4", "k"), 100) == 1.0


@pytest.mark.parametrize("free", [0, -3])
def test_at_least_one_free_failure(free: int) -> None:
    assert FailureCounter(free=free, window_seconds=60).wait(("a", "k"), 0) == 0.0
