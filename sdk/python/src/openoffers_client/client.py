"""`Client` (sync) and `AsyncClient`: credentials, the HTTP connection pool, and POS retries.

The Offers API authenticates with an API key (`api_key`, `api_secret`) and carries `retailer_id`;
the POS API with a POS client (`pos_client_id`, `pos_secret`) at a store (`store_id`). Either pair
may be left out when only the other API is used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, Self

import httpx

from openoffers_client._core import NO_RETRY, Call, RetryPolicy, payload_of
from openoffers_client.api import Catalog, Offers, Points, Pos, Rules, Users, Wallet
from openoffers_client.errors import ConnectionFailed, OpenOffersError

DEFAULT_TIMEOUT = httpx.Timeout(10.0)


class _Credentials:
    def __init__(
        self,
        api_key: str | None,
        api_secret: str | None,
        pos_client_id: str | None,
        pos_secret: str | None,
    ) -> None:
        self.api = httpx.BasicAuth(api_key, api_secret) if api_key and api_secret is not None else None
        self.pos = httpx.BasicAuth(pos_client_id, pos_secret) if pos_client_id and pos_secret is not None else None

    def for_call(self, call: Call) -> httpx.BasicAuth:
        auth = self.pos if call.pos else self.api
        if auth is None:
            which = "pos_client_id and pos_secret" if call.pos else "api_key and api_secret"
            raise OpenOffersError(f"{call.path} needs {which}", code="MISSING_CREDENTIALS")
        return auth


def _connection_failed(call: Call, error: httpx.TransportError, attempts: int) -> ConnectionFailed:
    return ConnectionFailed(
        f"{call.path}: {type(error).__name__}: {error} (after {attempts} attempt{'s' if attempts > 1 else ''})",
        code="CONNECTION_FAILED",
    )


class Client:
    """The sync client. Use as a context manager, or call `close()`."""

    offers: Offers[Any]
    users: Users[Any]
    wallet: Wallet[Any]
    points: Points[Any]
    rules: Rules[Any]
    catalog: Catalog[Any]
    pos: Pos[Any]

    def __init__(
        self,
        base_url: str,
        *,
        retailer_id: str = "",
        api_key: str | None = None,
        api_secret: str | None = None,
        pos_client_id: str | None = None,
        pos_secret: str | None = None,
        store_id: str = "",
        culture: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport, headers=headers)
        self._credentials = _Credentials(api_key, api_secret, pos_client_id, pos_secret)
        self._retry = retry or RetryPolicy()
        self.offers = Offers(self._send, retailer_id)
        self.users = Users(self._send, retailer_id)
        self.wallet = Wallet(self._send, retailer_id)
        self.points = Points(self._send, retailer_id)
        self.rules = Rules(self._send, retailer_id)
        self.catalog = Catalog(self._send, retailer_id)
        self.pos = Pos(self._send, pos_client_id or "", store_id, culture)

    def _send(self, call: Call) -> Any:
        auth = self._credentials.for_call(call)
        policy = self._retry if call.retry else NO_RETRY
        attempt = 0
        while True:
            attempt += 1
            response: httpx.Response | None = None
            try:
                response = self._http.post(call.path, json=call.body, auth=auth)
            except httpx.TransportError as error:
                delay = policy.delay(attempt, None)
                if delay is None:
                    raise _connection_failed(call, error, attempt) from error
            else:
                delay = policy.delay(attempt, response)
                if delay is None:
                    return payload_of(response)
            time.sleep(delay)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient:
    """The async client: the same namespaces, each call awaited. Use as an async context manager, or
    call `aclose()`."""

    offers: Offers[Awaitable[Any]]
    users: Users[Awaitable[Any]]
    wallet: Wallet[Awaitable[Any]]
    points: Points[Awaitable[Any]]
    rules: Rules[Awaitable[Any]]
    catalog: Catalog[Awaitable[Any]]
    pos: Pos[Awaitable[Any]]

    def __init__(
        self,
        base_url: str,
        *,
        retailer_id: str = "",
        api_key: str | None = None,
        api_secret: str | None = None,
        pos_client_id: str | None = None,
        pos_secret: str | None = None,
        store_id: str = "",
        culture: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport, headers=headers)
        self._credentials = _Credentials(api_key, api_secret, pos_client_id, pos_secret)
        self._retry = retry or RetryPolicy()
        self.offers = Offers(self._send, retailer_id)
        self.users = Users(self._send, retailer_id)
        self.wallet = Wallet(self._send, retailer_id)
        self.points = Points(self._send, retailer_id)
        self.rules = Rules(self._send, retailer_id)
        self.catalog = Catalog(self._send, retailer_id)
        self.pos = Pos(self._send, pos_client_id or "", store_id, culture)

    async def _send(self, call: Call) -> Any:
        auth = self._credentials.for_call(call)
        policy = self._retry if call.retry else NO_RETRY
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._http.post(call.path, json=call.body, auth=auth)
            except httpx.TransportError as error:
                delay = policy.delay(attempt, None)
                if delay is None:
                    raise _connection_failed(call, error, attempt) from error
            else:
                delay = policy.delay(attempt, response)
                if delay is None:
                    return payload_of(response)
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()
