"""POS calls are retried safely: the same `request_id` on every attempt, only after a transport failure
or a 503/429 with `Retry-After`; a reply lost on the way back is replayed by the server, not redone.

The failures are made by an httpx transport in front of the real one (the network between the client
and the server); every request that gets through reaches a real `openoffers serve`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from openoffers_client import (
    AsyncClient,
    Client,
    ConnectionFailed,
    RetryPolicy,
    ServerError,
    Unavailable,
)
from tests.sdk.conftest import credentials, guide_check, offer_definition

FAST = RetryPolicy(attempts=4, backoff_seconds=0.0, max_wait_seconds=0.0)
UNAVAILABLE = {"status": "error", "payload": None, "errors": {"code": "UNAVAILABLE", "message": "busy"}}


class Network:
    """What happens to each request in turn: `"connect"` (never reaches the server), `"lost"` (reaches
    it, its reply is dropped), `"503"`, `"429"` (refused with `Retry-After: 0`), `"503-bare"` (refused
    without `Retry-After`), `"500"`; then every request passes. Records each request's path and body."""

    def __init__(self, plan: list[str]) -> None:
        self.plan = list(plan)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.lost: list[dict[str, Any]] = []

    def before(self, request: httpx.Request) -> httpx.Response | None:
        self.sent.append((request.url.path, json.loads(request.content)))
        step = self.plan[0] if self.plan else None
        if step == "connect":
            self.plan.pop(0)
            raise httpx.ConnectError("connection refused", request=request)
        if step in ("503", "429", "503-bare", "500"):
            self.plan.pop(0)
            headers = {} if step in ("503-bare", "500") else {"Retry-After": "0"}
            body = (
                UNAVAILABLE
                if step != "500"
                else {**UNAVAILABLE, "errors": {"code": "INTERNAL_SERVER_ERROR", "message": "bug"}}
            )
            return httpx.Response(int(step[:3]), headers=headers, json=body)
        return None

    def after(self, request: httpx.Request, body: bytes) -> None:
        if self.plan and self.plan[0] == "lost":
            self.plan.pop(0)
            self.lost.append(json.loads(body))
            raise httpx.ReadError("connection reset by peer", request=request)

    def request_ids(self) -> list[str]:
        return [body["request_id"] for _, body in self.sent]


class FlakyTransport(httpx.BaseTransport):
    def __init__(self, network: Network) -> None:
        self.network = network
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        refused = self.network.before(request)
        if refused is not None:
            return refused
        response = self.inner.handle_request(request)
        body = response.read()
        self.network.after(request, body)
        return httpx.Response(response.status_code, headers=response.headers, content=body)


class AsyncFlakyTransport(httpx.AsyncBaseTransport):
    def __init__(self, network: Network) -> None:
        self.network = network
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        refused = self.network.before(request)
        if refused is not None:
            return refused
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.network.after(request, body)
        return httpx.Response(response.status_code, headers=response.headers, content=body)


def issued_offer(client: Client) -> tuple[str, str]:
    """A new customer holding a new $5 offer: (user_id, user_offer_id)."""
    offer_id = client.offers.create(offer_definition(), publish=True)["offer_id"]
    user = client.users.create(external_customer_id=f"retry-{uuid.uuid4().hex[:8]}")
    [status] = client.wallet.issue(user["user_id"], offer_id)["status_list"]
    return user["user_id"], status["user_offer_id"]


def test_a_lost_reply_is_replayed_under_the_same_request_id_and_the_work_done_once(served: str) -> None:
    network = Network(["connect", "503", "lost"])
    transaction_id = str(uuid.uuid4())
    with Client(served, **credentials()) as setup:
        user_id, user_offer_id = issued_offer(setup)
    with Client(served, **credentials(), retry=FAST, transport=FlakyTransport(network)) as client:
        discount = client.pos.lock(user_offer_id, guide_check(transaction_id))
        # Four attempts: refused at connect, shed with 503, done but its reply lost, then the replay.
        assert [path for path, _ in network.sent] == ["/api/2.0/lock"] * 4
        [request_id] = set(network.request_ids())
        assert len(request_id) == 32
        # The server answered the last attempt with the reply it stored for the one whose reply was lost.
        [lost] = network.lost
        assert lost["payload"] == discount
        assert (discount["status"], discount["amount"]) == ("LOCKED", 5)

        network.plan = ["lost"]
        closed = guide_check(transaction_id, is_closed="true", discounts=[discount])
        assert client.pos.send_transaction(closed, request_id="close-1") is None
        assert network.request_ids()[-2:] == ["close-1", "close-1"]

    with Client(served, **credentials()) as check:
        history = check.wallet.history([user_id])
        assert [(row["user_offer_id"], row["status"]) for row in history["results"]] == [(user_offer_id, 3)]
        events = check.wallet.user_offer(user_offer_id)["events"]
        assert [event["kind"] for event in events] == ["issued", "locked", "redeemed"]


def test_429_with_retry_after_is_retried_then_the_attempts_run_out(served: str) -> None:
    network = Network(["429", "503", "503", "503"])
    with Client(served, **credentials(), retry=FAST, transport=FlakyTransport(network)) as client:
        with pytest.raises(Unavailable) as refused:
            client.pos.lookup(external_customer_id="14311211", request_id="lookup-7")
        assert refused.value.code == "UNAVAILABLE"
        assert network.request_ids() == ["lookup-7"] * 4
        # The next call goes through.
        [customer] = client.pos.lookup(external_customer_id="14311211")
        assert customer["first_name"] == "J"


@pytest.mark.parametrize("step", ["503-bare", "500"])
def test_no_retry_without_retry_after_or_on_other_errors(served: str, step: str) -> None:
    network = Network([step])
    with Client(served, **credentials(), retry=FAST, transport=FlakyTransport(network)) as client:
        with pytest.raises(Unavailable if step == "503-bare" else ServerError):
            client.pos.lookup(external_customer_id="14311211")
        assert len(network.sent) == 1


def test_offers_api_calls_are_never_retried(served: str) -> None:
    network = Network(["503"])
    with Client(served, **credentials(), retry=FAST, transport=FlakyTransport(network)) as client:
        with pytest.raises(Unavailable):
            client.offers.list()
        assert len(network.sent) == 1
        network.plan = ["connect"]
        with pytest.raises(ConnectionFailed) as failed:
            client.offers.list()
        assert failed.value.code == "CONNECTION_FAILED"
        assert len(network.sent) == 2


def test_connection_failures_exhaust_the_attempts(served: str) -> None:
    network = Network(["connect"] * 4)
    with Client(served, **credentials(), retry=FAST, transport=FlakyTransport(network)) as client:
        with pytest.raises(ConnectionFailed) as failed:
            client.pos.unlock(str(uuid.uuid4()), request_id="u-1")
        assert "after 4 attempts" in failed.value.message
        assert network.request_ids() == ["u-1"] * 4


async def test_the_async_client_retries_the_same_way(served: str) -> None:
    network = Network(["connect", "lost"])
    transaction_id = str(uuid.uuid4())
    with Client(served, **credentials()) as setup:
        _, user_offer_id = issued_offer(setup)
    async with AsyncClient(served, **credentials(), retry=FAST, transport=AsyncFlakyTransport(network)) as client:
        discount = await client.pos.lock(user_offer_id, guide_check(transaction_id))
        assert len(set(network.request_ids())) == 1
        assert len(network.sent) == 3
        assert network.lost[0]["payload"] == discount
