"""create_app(settings): routes, error handlers, plugins. Nothing else.

`build_app` and `bind` are its two halves: the routes, and what they serve."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.plugins.prometheus import PrometheusController

from openoffers import __version__
from openoffers.admin.routes import ROUTES as ADMIN_ROUTES
from openoffers.catalog.routes import ROUTES as CATALOG_ROUTES
from openoffers.context import AppContext, context
from openoffers.kit import wire
from openoffers.kit.actor import actor_scope
from openoffers.kit.admission import InFlightLimit
from openoffers.kit.api_docs import docs_assets, docs_init, docs_page
from openoffers.kit.clock import Clock, utc_now
from openoffers.kit.db import Database
from openoffers.kit.envelopes import handle_domain_error, handle_http_error, handle_unexpected
from openoffers.kit.errors import DomainError
from openoffers.kit.http import CaseInsensitivePaths, SecurityHeaders
from openoffers.kit.logs import RequestIds, configure_structlog
from openoffers.kit.metrics import metrics_middleware
from openoffers.kit.openapi import build_openapi
from openoffers.kit.wire import MAX_BODY_BYTES
from openoffers.loyalty.routes import ROUTES as POINT_ROUTES
from openoffers.loyalty.rules.routes import ROUTES as RULE_ROUTES
from openoffers.maintenance import Housekeeper
from openoffers.offers.routes import ROUTES as OFFER_ROUTES
from openoffers.pos.routes import ROUTES as POS_ROUTES
from openoffers.reports.routes import ROUTES as REPORT_ROUTES
from openoffers.settings import Settings
from openoffers.tenancy.throttle import BasicAuthThrottle
from openoffers.wallet.routes import ROUTES as WALLET_ROUTES
from openoffers.webhooks.delivery import Dispatcher
from openoffers.webhooks.routes import ROUTES as WEBHOOK_ROUTES

# A load balancer's probe gives up after a second or two: answer before that whatever the database does.
HEALTH_DEADLINE_SECONDS = 0.8


@get("/health", include_in_schema=False)
async def health(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Liveness and database reachability, for load balancers: 200, or 503 saying what is wrong."""
    db = context(request).db
    problem = await db.problem(HEALTH_DEADLINE_SECONDS)
    body = {
        "status": "ok" if problem is None else "unavailable",
        "version": __version__,
        "database": problem or "ok",
        "connections_in_use": db.connections_in_use(),
    }
    if problem is None:
        return Response(wire.encode(body), media_type=MediaType.JSON)
    return Response(wire.encode(body), media_type=MediaType.JSON, status_code=503, headers={"Retry-After": "1"})


@get("/openapi.json", include_in_schema=False)
async def openapi_json() -> Response[bytes]:
    return Response(wire.encode(build_openapi()), media_type=MediaType.JSON)


class Metrics(PrometheusController):
    path = "/metrics"


def create_app(
    settings: Settings | None = None, *, database: Database | None = None, clock: Clock = utc_now
) -> RequestIds:
    settings = settings or Settings.from_env()
    db = database or Database(settings.database_url, pool_size=settings.db_pool_size, timeouts=settings.db_timeouts)
    return bind(build_app(), settings, db, clock, owns_database=database is None)


def build_app() -> Litestar:
    """Everything of an app but what it serves: routes, error handlers, middleware. Building it costs
    most of a second (Litestar copies and inspects some 480 handlers), so a test suite builds one per
    process and `bind`s it to each test's database instead."""
    configure_structlog()
    return Litestar(
        route_handlers=[
            health,
            openapi_json,
            docs_page,
            docs_init,
            docs_assets(),
            Metrics,
            *OFFER_ROUTES,
            *WALLET_ROUTES,
            *POINT_ROUTES,
            *RULE_ROUTES,
            *CATALOG_ROUTES,
            *POS_ROUTES,
            *WEBHOOK_ROUTES,
            *REPORT_ROUTES,
            *ADMIN_ROUTES,
        ],
        exception_handlers={
            DomainError: handle_domain_error,
            HTTPException: handle_http_error,
            Exception: handle_unexpected,
        },
        # Litestar's Prometheus middleware cost a sixth of a Lookup; ours records the same metrics.
        middleware=[metrics_middleware, actor_scope],
        state=State({}),
        openapi_config=None,
        # Logging is the process's (kit.logs, set up by `serve`): Litestar must not install its own handlers.
        logging_config=None,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )


def bind(app: Litestar, settings: Settings, db: Database, clock: Clock, *, owns_database: bool) -> RequestIds:
    """`app` serving `db`: its context (the only state handlers read, `openoffers.context`), its lifespan
    hooks, and the layers around it. Binding again replaces all three, so an app serves one binding at
    a time. `owns_database`: the app warms the pool at startup and disposes of it at shutdown."""
    app.state["ctx"] = AppContext(settings=settings, db=db, clock=clock)
    housekeeper = Housekeeper(db, settings, clock)
    webhooks = Dispatcher(db, settings, clock)
    # A process serving its own database fills the pool first (`Database.warm` says why).
    app.on_startup[:] = [*([db.warm] if owns_database else []), housekeeper.start, webhooks.start]
    app.on_shutdown[:] = [housekeeper.stop, webhooks.stop, *([db.dispose] if owns_database else [])]
    throttled = BasicAuthThrottle(
        CaseInsensitivePaths(app), free=settings.login_max_failures, window_seconds=settings.login_window_seconds
    )
    return RequestIds(SecurityHeaders(InFlightLimit(throttled, settings.max_in_flight)))
