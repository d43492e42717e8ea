"""HTTP plumbing shared by every domain's routes.

- `endpoint` declares a JSON route once: the Litestar handler plus the entry that the OpenAPI
  document (`kit.openapi`) is built from, so the docs describe exactly the Structs we decode.
- `read_body` decodes a request body with the lenient wire rules.
- `CaseInsensitivePaths` lets `/api/2.0/Lookup` and `/api/2.0/lookup/` reach one route: the guide
  itself mixes `Lookup`, `Lock` and lower-case paths. It also maps SessionM's service prefixes
  (`/offers/api/2.0/...`, `/incentives/api/1.0/...`) onto `/api/2.0/...` (`api_path`).
- `SecurityHeaders` gives every response the headers a browser needs to treat it safely.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from litestar import Request, Response, route
from litestar.enums import HttpMethod, ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from openoffers.kit import wire

T = TypeVar("T")

Handler = Callable[..., Awaitable[Response[bytes]]]


@dataclass(frozen=True, slots=True)
class EndpointDoc:
    path: str
    methods: tuple[str, ...]
    summary: str
    description: str
    family: str  # "offers" or "pos": which envelope and which credentials
    request: type[Any] | None
    response: type[Any] | None
    tags: tuple[str, ...] = field(default_factory=tuple)


ENDPOINTS: list[EndpointDoc] = []


def endpoint(
    path: str,
    *,
    summary: str,
    request: type[Any] | None,
    response: type[Any] | None,
    family: str = "offers",
    methods: Sequence[str] = ("POST",),
    description: str = "",
    tags: Sequence[str] = (),
) -> Callable[[Handler], HTTPRouteHandler]:
    """Declare a JSON endpoint. Paths are registered lower-case (see `CaseInsensitivePaths`)."""
    lowered = path.lower()

    def decorate(handler: Handler) -> HTTPRouteHandler:
        ENDPOINTS.append(
            EndpointDoc(
                path=lowered,
                methods=tuple(m.upper() for m in methods),
                summary=summary,
                description=description or (handler.__doc__ or "").strip(),
                family=family,
                request=request,
                response=response,
                tags=tuple(tags),
            )
        )
        verbs = [HttpMethod(m.upper()) for m in methods]
        return route(lowered, http_method=verbs, include_in_schema=False, status_code=200)(handler)

    return decorate


async def read_body(request: Request[Any, Any, Any], target: type[T]) -> T:
    return wire.decode(await request.body(), target)


# SessionM runs its APIs as separate services, and public clients call them under the service's own prefix
# (the .NET client `DOTNET-RWS-LBE-Transaction` posts to `/offers/api/2.0/offers/acquisition/issue` and
# `/incentives/api/1.0/user_points/all_balances`; Braze's SessionM page to `/offers/api/2.0/offers/
# get_user_offers`). One server answers them all: each prefix is an alias of `/api/2.0/`.
SERVICE_PREFIXES = ("/offers/api/2.0/", "/incentives/api/1.0/")
API_PREFIX = "/api/2.0/"


def api_path(path: str) -> str | None:
    """The route path an API request's path reaches: lower-cased, a service prefix replaced by `/api/2.0/`,
    without a trailing slash. None for a path outside the API (pages, health, metrics)."""
    lowered = path.lower()
    for prefix in SERVICE_PREFIXES:
        if lowered.startswith(prefix):
            lowered = API_PREFIX + lowered[len(prefix) :]
            break
    if not lowered.startswith("/api/"):
        return None
    return lowered.rstrip("/")


class CaseInsensitivePaths:
    """ASGI wrapper: API paths (`api_path`) are lower-cased, unprefixed and unslashed before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        # Tests and servers reach the wrapped Litestar app's attributes (state, plugins) through us.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            path: str = scope["path"]
            normalized = api_path(path)
            if normalized is not None:
                if normalized != path:
                    scope = dict(scope)  # type: ignore[assignment]
                    scope["path"] = normalized
                    scope["raw_path"] = normalized.encode()
        await self.app(scope, receive, send)


# Every response: not to be sniffed into another type, framed, or leak its address onward.
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}
# Responses that are not pages (the API's JSON, metrics): nothing to run, nothing to keep.
DATA_HEADERS = {
    b"content-security-policy": b"default-src 'none'; frame-ancestors 'none'",
    b"cache-control": b"no-store",
}


class SecurityHeaders:
    """ASGI wrapper: adds `SECURITY_HEADERS` to every response, and `DATA_HEADERS` to every response that
    is not HTML, unless the response set them itself (the admin pages set their own policy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower(): bytes(value) for name, value in headers}
                extra = dict(SECURITY_HEADERS)
                if not present.get(b"content-type", b"").startswith(b"text/html"):
                    extra.update(DATA_HEADERS)
                headers += [(name, value) for name, value in extra.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
