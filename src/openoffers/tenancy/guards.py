"""Authorization checks that routes call before any work.

Another retailer's id is answered NOT_FOUND, never ACCESS_DENIED: a caller learns nothing about
objects outside its own retailer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.context import AppContext, context
from openoffers.kit.actor import Actor, set_actor
from openoffers.kit.db import Database
from openoffers.kit.errors import AccessDenied, NotFound
from openoffers.kit.http import read_body
from openoffers.tenancy import repository as repo
from openoffers.tenancy.repository import Retailer, Store
from openoffers.tenancy.service import Principal, Role, authenticate

# Which roles each kind of Offers API call accepts.
WRITE_ROLES = frozenset({Role.ADMIN, Role.OFFERS})
READ_ROLES = frozenset({Role.ADMIN, Role.OFFERS, Role.POS})
ADMIN_ROLES = frozenset({Role.ADMIN})


async def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """Who is calling; also who acts, for the audit log of the changes this request makes."""
    principal = await authenticate(context(request).db, request.headers.get("authorization"))
    set_actor(Actor(principal.actor, f"API key {principal.key}" if principal.kind == "api_key" else principal.actor))
    return principal


def require_api_key(principal: Principal, retailer_id: UUID, roles: frozenset[Role]) -> Principal:
    """An Offers API call: an API key of this retailer with one of `roles`."""
    if principal.kind != "api_key":
        raise AccessDenied("this endpoint needs an API key, not POS client credentials")
    if principal.retailer_id != retailer_id:
        raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
    if principal.role not in roles:
        raise AccessDenied(f"the key's role {principal.role} may not call this endpoint")
    return principal


async def require_pos_client(
    conn: AsyncConnection, principal: Principal, client_id: UUID, store_id: UUID
) -> tuple[Store, Retailer]:
    """A POS API call: the envelope's client must be the caller, and the store one of its stores.
    Returns the store and its retailer, read together in one query."""
    _require_caller(principal, client_id)
    found = await repo.get_store_and_retailer(conn, principal.retailer_id, store_id)
    return _require_store(principal, store_id, found)


def require_pos_client_with(
    principal: Principal, client_id: UUID, store_id: UUID, found: tuple[Store, Retailer] | None
) -> tuple[Store, Retailer]:
    """`require_pos_client` with the store already read with the credentials
    (`tenancy.service.authenticate_pos_in`): the same checks in the same order, no query."""
    _require_caller(principal, client_id)
    return _require_store(principal, store_id, found)


def _require_caller(principal: Principal, client_id: UUID) -> None:
    if principal.kind != "pos_client":
        raise AccessDenied("this endpoint needs POS client credentials (client_id:secret)")
    if principal.client_id != client_id:
        raise AccessDenied("client_id is not the authenticated POS client", fields={"client_id": ["mismatch"]})


def _require_store(
    principal: Principal, store_id: UUID, found: tuple[Store, Retailer] | None
) -> tuple[Store, Retailer]:
    if found is None:
        raise NotFound("store not found", fields={"store_id": ["not found"]})
    if principal.store_ids and store_id not in principal.store_ids:
        raise AccessDenied("this POS client may not act for that store", fields={"store_id": ["not allowed"]})
    return found


class RetailerScoped(Protocol):
    @property
    def retailer_id(self) -> UUID: ...


B = TypeVar("B", bound=RetailerScoped)


@dataclass(frozen=True, slots=True)
class OffersCall(Generic[B]):
    """An authorized Offers API request: its decoded body, the caller, and the app's context."""

    body: B
    principal: Principal
    ctx: AppContext

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def now(self) -> datetime:
        return self.ctx.clock()

    @property
    def actor(self) -> str:
        return self.principal.actor


async def offers_call(request: Request[Any, Any, Any], body_type: type[B], roles: frozenset[Role]) -> OffersCall[B]:
    """Authenticate, decode the body, and check the key may act for the body's retailer with `roles`.
    Credentials are checked before the body, so a wrong secret is a 401 whatever was sent."""
    principal = await principal_of(request)
    body = await read_body(request, body_type)
    require_api_key(principal, body.retailer_id, roles)
    return OffersCall(body, principal, context(request))
