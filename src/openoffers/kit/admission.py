"""Admission control: a bound on the requests one server process works on at once.

Past the bound a request is answered at once with 503 `UNAVAILABLE` and `Retry-After`, in the API's
error envelope, instead of joining a queue whose wait grows without limit (measured before: p99 0.5 s at
64 connections, 5.3 s at 256). What is admitted keeps its latency; a client told to retry can go to
another node. One event loop per process runs every request, so the counter needs no lock: nothing
awaits between its check and its increment.
"""

from __future__ import annotations

from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from openoffers.kit.envelopes import send_error
from openoffers.kit.errors import Unavailable

# Probes must see the process as it is, also when it sheds: a load balancer reads /health for that.
EXEMPT_PATHS = frozenset({"/health", "/metrics"})


class InFlightLimit:
    """ASGI wrapper: at most `limit` HTTP requests in progress in this process (0: no limit)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self.shed = 0  # requests refused since the start, for tests and curiosity

    def __getattr__(self, name: str) -> Any:
        # Tests and servers reach the wrapped app's attributes (state, plugins) through us.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or self.limit <= 0 or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.shed += 1
            await send_error(
                send, Unavailable(f"this server is working on its limit of {self.limit} requests; retry shortly")
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
