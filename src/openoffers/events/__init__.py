"""The transactional outbox: what the outside hears about, written in the caller's transaction.

An event row is inserted in the same transaction as the change it describes, so it exists if and only
if that change committed (a rollback discards both); the webhook worker (`openoffers.webhooks`) reads
committed rows and delivers them. Each kind of change has one writer: user-offer events come from
`wallet.lifecycle`'s verbs, points events from the ledger's `post`, the others from their one use case.
This package sits low (above `tables`), so every domain can write here without importing another.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit import at_commit
from openoffers.kit.clock import iso_z
from openoffers.kit.driver import Command
from openoffers.kit.ids import new_id
from openoffers.tables.events import outbox_events


class EventType(StrEnum):
    USER_OFFER_ISSUED = "user_offer.issued"
    USER_OFFER_LOCKED = "user_offer.locked"
    USER_OFFER_UNLOCKED = "user_offer.unlocked"
    USER_OFFER_REDEEMED = "user_offer.redeemed"
    USER_OFFER_REINSTATED = "user_offer.reinstated"
    USER_OFFER_VOIDED = "user_offer.voided"
    USER_OFFER_REVOKED = "user_offer.revoked"
    USER_OFFER_EXPIRED = "user_offer.expired"
    POINTS_EARNED = "points.earned"
    POINTS_SPENT = "points.spent"
    POINTS_ADJUSTED = "points.adjusted"
    POINTS_REVERSED = "points.reversed"
    POINTS_EXPIRED = "points.expired"
    TRANSACTION_CLOSED = "transaction.closed"
    TRANSACTION_VOIDED = "transaction.voided"
    TRANSACTION_RETURNED = "transaction.returned"
    OFFER_PUBLISHED = "offer.published"
    OFFER_REVISED = "offer.revised"
    OFFER_DEACTIVATED = "offer.deactivated"
    USER_CREATED = "user.created"


EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)

# One statement for every event, its values as parameters, run on the driver (a hot path writes one
# event per change).
_INSERT = Command(insert(outbox_events))


async def _insert_all(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """A transaction's events, in the order they were recorded (so `seq` keeps it), in one statement."""
    await _INSERT.run_many(conn, rows)


async def record(
    conn: AsyncConnection,
    retailer_id: UUID,
    event_type: EventType,
    at: datetime,
    ordering_key: UUID | str,
    data: Any,
) -> UUID:
    """Write one event in the caller's transaction and answer its id. `data` is the API's shape of what
    changed (a msgspec Struct or JSON builtins); `ordering_key` names what its order matters within
    (the customer, or the offer), so an endpoint receives one key's events in the order they happened."""
    event_id = new_id()
    row = {
        "id": event_id,
        "retailer_id": retailer_id,
        "type": event_type.value,
        "occurred_at": at,
        "ordering_key": str(ordering_key),
        "data": msgspec.to_builtins(data),
        "dispatched": False,
    }
    # In a transaction `Database.write` began, the row goes in with the transaction's other events just
    # before it commits (`kit.at_commit`): a closing check's three events are one statement.
    deferred = at_commit.pending(conn, _insert_all)
    if deferred is None:
        await _INSERT.run(conn, row)
    else:
        deferred.append(row)
    return event_id


def envelope(event_id: UUID, retailer_id: UUID, event_type: str, at: datetime, data: Any) -> dict[str, Any]:
    """The body a webhook receives: Standard Webhooks' `type`, `timestamp` and `data`, plus the event's
    `id` (also the `webhook-id` header, the receiver's idempotency key) and its retailer."""
    return {
        "id": str(event_id),
        "type": event_type,
        "timestamp": iso_z(at),
        "retailer_id": str(retailer_id),
        "data": data,
    }


async def transaction_returned(
    conn: AsyncConnection, retailer_id: UUID, at: datetime, customer_key: UUID | str, data: Any
) -> UUID:
    """The writer a return use case calls, in its transaction, with the return as its API answers it:
    `customer_key` is the customer's id (or the check's id when it has none), which keeps the order."""
    return await record(conn, retailer_id, EventType.TRANSACTION_RETURNED, at, customer_key, data)
