"""Taking points back (a return or a void of a closed check), and the retailer's choice of what happens
when the customer has already spent them (`loyalty_settings.points_clawback`):

- "negative" (the default): the balance goes below zero by what is missing; the customer earns it back;
- "floor": the balance stops at zero; what could not be taken (the shortfall) is recorded with the
  ledger entry's detail and on the check's version, and is not asked for again.

Either way the ledger's entries sum to the balance: an entry is written for exactly what was taken.
The caller holds the customer's loyalty row (`repository.lock_user`), so the balance read here is the
one the entry changes.

What a take-back takes from (points/lots.py): the lot of the earning it undoes first (named in the
entry's detail as `lot`), then the oldest live lots, like a spend. Points of that earning that have
already expired are not taken again: they left the balance with the expiry. So of what is due, the
part the earning's expiry took (less what earlier take-backs of it already counted) is recorded as
`expired` and not taken; only the rest is taken, as far as the policy allows. Whether the expiry run
comes before or after the return, the customer loses the same points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.driver import upsert
from openoffers.kit.errors import ValidationFailed
from openoffers.loyalty.points import ledger as points
from openoffers.loyalty.points import repository as points_repo
from openoffers.loyalty.rules import repository as repo
from openoffers.tables.rules import loyalty_settings

NEGATIVE, FLOOR = "negative", "floor"
POLICIES = (NEGATIVE, FLOOR)


async def policy_of(conn: AsyncConnection, retailer_id: UUID) -> str:
    row = (
        await conn.execute(
            select(loyalty_settings.c.points_clawback).where(loyalty_settings.c.retailer_id == retailer_id)
        )
    ).first()
    return str(row.points_clawback) if row is not None else NEGATIVE


async def set_policy(conn: AsyncConnection, retailer_id: UUID, policy: str, now: datetime) -> None:
    if policy not in POLICIES:
        raise ValidationFailed.field("points_clawback", f"must be one of {', '.join(POLICIES)}")
    await upsert(
        conn,
        loyalty_settings,
        {"retailer_id": retailer_id, "points_clawback": policy, "updated_at": now},
        ["retailer_id"],
    )


@dataclass(frozen=True, slots=True)
class Taken:
    points: int  # taken from the balance (the ledger entry's amount; 0: no entry)
    shortfall: int  # due but not taken: the balance was at zero ("floor")
    expired: int  # due but not taken: those points of the earning had already expired


async def take_back(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    user_id: UUID,
    account_id: UUID,
    kind: str,
    due: int,
    floor: bool,
    now: datetime,
    actor: str,
    reason: str,
    reference_id: str,
    earned_reference: str,
    expired_before: int,
    detail: dict[str, Any],
) -> Taken:
    """Take `due` points back from the customer's available and lifetime balance (ledger `kind`
    "return" or "reverse"), as far as the policy allows. `earned_reference` names the earn entry undone;
    `expired_before` is how much of its expiry earlier take-backs of it already counted as expired."""
    lot = await points_repo.lot_by_reference(conn, retailer_id, "earn", earned_reference)
    expired = min(due, max(0, lot.expired - expired_before)) if lot is not None else 0
    amount = due - expired
    if floor:
        available = (await repo.balances(conn, retailer_id, user_id, for_update=True)).get(account_id, (0, 0))[0]
        amount = min(amount, max(0, available))
    shortfall = due - expired - amount
    if amount > 0:
        await points.post(
            conn,
            retailer_id=retailer_id,
            user_id=user_id,
            account_id=account_id,
            kind=kind,
            amount=amount,
            now=now,
            actor=actor,
            reason=reason,
            reference_id=reference_id,
            detail={
                **detail,
                "due": due,
                "shortfall": shortfall,
                "expired": expired,
                **({"lot": lot.entry_id} if lot is not None else {}),
            },
        )
    return Taken(amount, shortfall, expired)
