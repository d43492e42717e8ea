"""Who is acting in this request, for the audit log (`tenancy.audit`).

Authentication sets it in one place per surface (the API's `tenancy.guards.principal_of`, the admin
UI's `admin.web.current_admin`); the audit writer reads it inside the service's transaction. It is a
context variable rather than a parameter of every service function so that no use case needs a new
argument, and no forgotten argument can record a change as nobody's: a change made outside a request
(the CLI, the demo, tests calling services) is recorded as `system`. `actor_scope` wraps every request
so that one request's actor never outlives it (the test client runs requests in one task).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from litestar.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class Actor:
    id: str  # `account:<uuid>`, `api_key:<key>` or `system`
    label: str  # what a reader recognises: an e-mail address, a key's name


SYSTEM = Actor("system", "system (command line)")

_current: ContextVar[Actor | None] = ContextVar("openoffers_actor", default=None)


def set_actor(actor: Actor) -> None:
    _current.set(actor)


def current_actor() -> Actor:
    return _current.get() or SYSTEM


def actor_scope(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: each request starts with no actor, and its actor ends with it."""

    async def scoped(scope: Scope, receive: Receive, send: Send) -> None:
        token = _current.set(None)
        try:
            await app(scope, receive, send)
        finally:
            _current.reset(token)

    return scoped
