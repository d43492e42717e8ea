"""The API's Basic auth, throttled per (client address, key) on the principle of `kit.throttle`.

An ASGI wrapper, so that no route needs to know: a pair that must still wait is answered 429
`RATE_LIMITED` with Retry-After before anything runs (the secret is not checked); a 401 answer counts as
one failure of its pair; any success clears the pair. Each server process counts for itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from openoffers.kit.envelopes import send_error
from openoffers.kit.errors import InvalidApiKey, RateLimited
from openoffers.kit.http import api_path
from openoffers.kit.throttle import FailureCounter, client_address
from openoffers.tenancy.service import parse_basic


class BasicAuthThrottle:
    def __init__(
        self, app: ASGIApp, *, free: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.counter = FailureCounter(free=free, window_seconds=window_seconds)
        self.clock = clock

    def __getattr__(self, name: str) -> Any:
        # Tests and servers reach the wrapped app's attributes (state, plugins) through us.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pair = _pair(scope) if scope["type"] == ScopeType.HTTP else None
        if pair is None:
            await self.app(scope, receive, send)
            return
        wait = self.counter.wait(pair, self.clock())
        if wait > 0:
            seconds = max(math.ceil(wait), 1)
            message = f"too many wrong secrets for this key from this address; try again in {seconds} s"
            await send_error(send, RateLimited(message, retry_after=seconds))
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == InvalidApiKey.status:
            self.counter.failed(pair, self.clock())
        elif 200 <= status < 400:
            self.counter.succeeded(pair)


def _pair(scope: Scope) -> tuple[str, str] | None:
    """(address, key) of an API request with well-formed Basic credentials, else None."""
    if api_path(scope["path"]) is None:  # the service prefixes are API paths too
        return None
    header = next((value for name, value in scope["headers"] if name == b"authorization"), None)
    if header is None:
        return None
    try:
        key, _secret = parse_basic(header.decode("latin-1"))
    except InvalidApiKey:
        return None  # refused before any secret is compared: nothing to guess, nothing to count
    client = scope.get("client")
    return client_address(client[0] if client else None), key
