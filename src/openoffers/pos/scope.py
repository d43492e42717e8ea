"""Who is asking and where: one POS request's retailer, store, time and culture (`Scope`), checked
first in every POS transaction, and the lifecycle writes it begins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.checks.schemas import Transaction
from openoffers.tenancy.guards import require_pos_client_with
from openoffers.tenancy.repository import Retailer, Store
from openoffers.tenancy.service import Principal
from openoffers.wallet import lifecycle
from openoffers.wallet.lifecycle import UserWrite


@dataclass(frozen=True, slots=True)
class Scope:
    """One POS request: the retailer and store it acts for, when, and how answers are localised."""

    retailer: Retailer
    store: Store
    client_id: UUID
    now: datetime
    culture: str | None
    lock_ttl_seconds: int

    @property
    def retailer_id(self) -> UUID:
        return self.retailer.id

    @property
    def exponent(self) -> int:
        return self.retailer.exponent

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.store.timezone)

    @property
    def actor(self) -> str:
        return f"pos_client:{self.client_id}"


async def begin_write(conn: AsyncConnection, scope: Scope, user_id: UUID, *, has_due: bool | None) -> UserWrite:
    """Begin the write to a customer's offers for this POS request (see `lifecycle.begin_user_write`)."""
    return await lifecycle.begin_user_write(conn, scope.retailer_id, user_id, scope.now, scope.actor, has_due=has_due)


def row_write(conn: AsyncConnection, scope: Scope) -> lifecycle.RowWrite:
    """This POS request's write on explicit rows (a lock released, a voided check's redemptions)."""
    return lifecycle.RowWrite(conn, scope.retailer_id, scope.now, scope.actor)


def scope_of(
    principal: Principal,
    found: tuple[Store, Retailer] | None,
    *,
    client_id: UUID,
    store_id: UUID,
    culture: str | None,
    now: datetime,
    lock_ttl_seconds: int,
) -> Scope:
    """Authorize the envelope (its client is the caller, its store one of the client's), given the store
    and retailer read with the credentials. Runs first in every POS transaction, before anything is
    claimed or changed."""
    store, retailer = require_pos_client_with(principal, client_id, store_id, found)
    return Scope(retailer, store, client_id, now, culture, lock_ttl_seconds)


def transaction_key(transaction: Transaction) -> str:
    return str(transaction.transaction_id).strip()
