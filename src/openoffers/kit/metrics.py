"""Request metrics for `/metrics`, recorded at microsecond cost.

The same four metrics, names, labels and buckets as Litestar's `PrometheusMiddleware` (which `/metrics`
exposed before, so dashboards keep working): `litestar_requests_total`,
`litestar_request_duration_seconds`, `litestar_requests_in_progress` and
`litestar_requests_error_total`, labelled `method`, `path` (the route's template), `status_code` and
`app_name`. Litestar's middleware builds a `Request`, matches exclusion patterns and resolves every
label child again on each request, about a sixth of a POS Lookup; this one keeps the label children in
a dict per (method, route, status), so a request costs two dict look-ups and the metric updates.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

APP_NAME = "openoffers"
PREFIX = "litestar"
LABELS = ("method", "path", "status_code", "app_name")

# Module level: prometheus_client's registry is per process, and a metric can be registered only once.
REQUESTS = Counter(f"{PREFIX}_requests_total", "Total requests", LABELS)
DURATION = Histogram(f"{PREFIX}_request_duration_seconds", "Request duration, in seconds", LABELS)
IN_PROGRESS = Gauge(
    f"{PREFIX}_requests_in_progress", "Total requests currently in progress", LABELS, multiprocess_mode="livesum"
)
ERRORS = Counter(f"{PREFIX}_requests_error_total", "Total errors in requests", LABELS)

# The webhook worker (openoffers.webhooks.delivery). The backlog is the database's, the same whichever
# process reports it, so several processes report their highest.
WEBHOOK_BACKLOG = Gauge(
    "openoffers_webhook_backlog",
    "Outbox events not yet dispatched, and webhook deliveries pending or due now",
    ("state",),
    multiprocess_mode="livemax",
)
WEBHOOK_ATTEMPTS = Counter("openoffers_webhook_attempts_total", "Webhook delivery attempts, by outcome", ("outcome",))
WEBHOOK_ENDPOINTS_DISABLED = Counter(
    "openoffers_webhook_endpoints_disabled_total", "Webhook endpoints disabled after sustained failure"
)

# Not measured: the scrape itself and the load balancer's health checks.
EXCLUDED = frozenset({"/metrics", "/health"})


class _Finished:
    """The label children of one (method, route, status): resolved once per process."""

    __slots__ = ("duration", "errors", "requests")

    def __init__(self, method: str, path: str, status: int) -> None:
        values = (method, path, str(status), APP_NAME)
        self.requests = REQUESTS.labels(*values)
        self.duration = DURATION.labels(*values)
        self.errors = ERRORS.labels(*values) if status >= 500 else None


_finished: dict[tuple[str, str, int], _Finished] = {}
# The in-progress gauge is labelled with status 200 while the request runs, as Litestar's was.
_in_progress: dict[tuple[str, str], Any] = {}


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Litestar middleware (it runs after routing, so the scope carries the route's path template)."""

    async def record(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] in EXCLUDED:
            await app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope.get("path_template") or scope["path"]
        gauge = _in_progress.get((method, path))
        if gauge is None:
            gauge = _in_progress[(method, path)] = IN_PROGRESS.labels(method, path, "200", APP_NAME)
        status = 200
        started = time.perf_counter()
        duration = 0.0

        async def send_recording(message: Message) -> None:
            nonlocal status, duration
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                duration = time.perf_counter() - started
            await send(message)

        gauge.inc()
        try:
            await app(scope, receive, send_recording)
        finally:
            gauge.dec()
            key = (method, path, status)
            finished = _finished.get(key)
            if finished is None:
                finished = _finished[key] = _Finished(method, path, status)
            if finished.errors is not None:
                finished.errors.inc()
            finished.requests.inc()
            finished.duration.observe(duration)

    return record
