"""The outbox events of a check: `transaction.closed` and `transaction.voided`, written by
`pos.checks` in the transaction that closes or voids the check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import events
from openoffers.events import EventType
from openoffers.kit.clock import iso_z
from openoffers.pos.scope import Scope


def ordering_key(scope: Scope, transaction_id: str, user_id: UUID | None) -> str:
    """A check's events keep their order with the customer's other events; a check without a
    customer keeps its own."""
    return str(user_id) if user_id is not None else f"check:{scope.store.id}:{transaction_id}"


async def publish(
    conn: AsyncConnection,
    scope: Scope,
    event_type: EventType,
    transaction_id: str,
    user_id: UUID | None,
    redeemed: Iterable[UUID],
    content: dict[str, Any],
) -> None:
    """`content` is the check as stored (`checks._content`): the payload the POS sent, times in UTC."""
    data = {
        "transaction_id": transaction_id,
        "store_id": str(scope.store.id),
        "user_id": None if user_id is None else str(user_id),
        "redeemed_user_offer_ids": [str(u) for u in sorted(redeemed)],
        "at": iso_z(scope.now),
        "check": content["check"],
    }
    key = ordering_key(scope, transaction_id, user_id)
    await events.record(conn, scope.retailer_id, event_type, scope.now, key, data)


async def publish_returned(
    conn: AsyncConnection,
    scope: Scope,
    transaction_id: str,
    user_id: UUID | None,
    version: int,
    remaining: dict[str, str],
    points_taken_back: list[dict[str, Any]],
    content: dict[str, Any],
) -> None:
    """`transaction.returned`: the check as re-sent, what each line has left after this return, and the
    points each rule took back (`loyalty.rules.returns`), in the transaction that records the return."""
    data = {
        "transaction_id": transaction_id,
        "store_id": str(scope.store.id),
        "user_id": None if user_id is None else str(user_id),
        "version": version,
        "remaining_quantities": remaining,
        "points_taken_back": points_taken_back,
        "at": iso_z(scope.now),
        "check": content["check"],
    }
    key = ordering_key(scope, transaction_id, user_id)
    await events.transaction_returned(conn, scope.retailer_id, scope.now, key, data)
