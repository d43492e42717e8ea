"""The points ledger: `post` writes one ledger entry and changes the balance with it, inside the caller's
transaction. POS earning, loyalty rules, the reward store and the points API all write through it.
Every retailer has a default account (its id derived from the retailer's) created on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import events
from openoffers.events import EventType
from openoffers.kit.clock import iso_z
from openoffers.kit.errors import Conflict, IdempotencyKeyReused, NotFound, UserNotFound
from openoffers.loyalty.points import repository as repo
from openoffers.loyalty.points.repository import PointAccountRow
from openoffers.tenancy import audit
from openoffers.wallet import users_repository as users_repo

INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"

# kind -> (sign of the available change, sign of the lifetime change). Only a spend is floored at zero:
# a reverse (a voided check) and a return (lines of a closed check brought back) take back what was
# earned even when it was already spent, unless the retailer chose otherwise (loyalty/rules/clawback.py).
# An expiry takes what is left of one lot (loyalty/points/expiry.py), never more than is available, and
# leaves the lifetime points alone: they were earned.
KINDS: dict[str, tuple[int, int]] = {
    "earn": (1, 1),
    "adjust": (1, 0),
    "spend": (-1, 0),
    "reverse": (-1, -1),
    "return": (-1, -1),
    "expire": (-1, 0),
}
# The outbox event each kind publishes (a replayed reference publishes nothing: nothing changed). A
# return takes points back as a void does, line by line: to the outside both are a reversal.
PUBLISHED: dict[str, EventType] = {
    "earn": EventType.POINTS_EARNED,
    "adjust": EventType.POINTS_ADJUSTED,
    "spend": EventType.POINTS_SPENT,
    "reverse": EventType.POINTS_REVERSED,
    "return": EventType.POINTS_REVERSED,
    "expire": EventType.POINTS_EXPIRED,
}


@dataclass(frozen=True, slots=True)
class Posted:
    entry_id: int
    applied: bool  # False: the reference_id had been applied before; nothing changed now
    account_id: UUID
    available: int
    lifetime: int


async def audit_posted(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, kind: str, change: int, posted: Posted, now: datetime
) -> None:
    """A points change made from the management side (the points API's deposit, spend and spend_multiple,
    or the admin's adjustment) in the audit log: the customer's available balance in that account before
    and after. A replay changed nothing: no row. `post` itself does not audit, because the POS and the
    rules post through it too, and theirs is the customers' activity (docs/DECISIONS.md)."""
    if not posted.applied:
        return
    account = str(posted.account_id)
    await audit.record(
        conn,
        retailer_id=retailer_id,
        object_type="points",
        object_id=user_id,
        action=kind,
        before={"point_account_id": account, "available": posted.available - change},
        after={"point_account_id": account, "available": posted.available, "entry_id": posted.entry_id},
        now=now,
    )


async def resolve_account(
    conn: AsyncConnection, retailer_id: UUID, account_id: UUID | None, now: datetime
) -> PointAccountRow:
    """The named account of this retailer, or the default one (created here on first use)."""
    if account_id is None or account_id == repo.default_account_id(retailer_id):
        return await repo.ensure_default_account(conn, retailer_id, now)
    account = await repo.get_account(conn, retailer_id, account_id)
    if account is None:
        raise NotFound("point account not found", fields={"point_account_id": ["not found"]})
    return account


async def paying_account(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, account_ids: Sequence[UUID], amount: int, now: datetime
) -> UUID | None:
    """Which of `account_ids` (a public spend's `point_account_ids`) pays `amount`: the first listed whose
    available balance covers it, else the first listed (whose spend then fails INSUFFICIENT_POINTS). None
    when the list is empty (the caller's own default applies). An unknown account is NOT_FOUND. Reads
    only: `post` spends conditionally, so a balance that shrank meanwhile still cannot go negative."""
    for account_id in account_ids:
        await resolve_account(conn, retailer_id, account_id, now)
    for account_id in account_ids:
        balance = await repo.get_balance(conn, retailer_id, account_id, user_id)
        if balance is not None and balance.available >= amount:
            return account_id
    return account_ids[0] if account_ids else None


async def require_user(conn: AsyncConnection, retailer_id: UUID, user_id: UUID) -> None:
    if await users_repo.get_user(conn, retailer_id, user_id) is None:
        raise UserNotFound("user not found", fields={"user_id": ["not found"]})


async def post(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    user_id: UUID,
    account_id: UUID | None,
    kind: str,
    amount: int,
    now: datetime,
    actor: str,
    reason: str = "",
    reference_id: str | None = None,
    detail: dict[str, Any] | None = None,
    balance_read: bool = False,
) -> Posted:
    """Write one ledger entry and change the balance with it, in the caller's transaction.

    `balance_read`: the caller read this user's balance row in `account_id` in this transaction (the
    loyalty engine does, FOR UPDATE), so the account and the row exist (neither is ever deleted) and
    are not ensured again: two statements fewer on every closed check that earns.

    The caller has read the user in this transaction (users are never deleted): the API's use cases
    with `require_user`, the loyalty engine when it begins the customer's write, the reward store and
    the POS with the reads they need anyway. So nothing here reads them again.

    A spend without enough available points raises CONFLICT (reason INSUFFICIENT_POINTS), so the
    caller's transaction rolls back whole. A `reference_id` already applied for this kind answers
    `applied=False` when it was the same change, IDEMPOTENCY_KEY_REUSED when it was another.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if amount <= 0:
        raise ValueError("amount must be positive")
    if balance_read and account_id is not None:
        account = account_id
    else:
        account = await _account_id(conn, retailer_id, account_id, now)
    available_sign, lifetime_sign = KINDS[kind]
    values: dict[str, Any] = {
        "retailer_id": retailer_id,
        "account_id": account,
        "user_id": user_id,
        "kind": kind,
        "amount": amount,
        "available_delta": available_sign * amount,
        "lifetime_delta": lifetime_sign * amount,
        "reason": reason[:500],
        "reference_id": reference_id,
        "actor": actor[:200],
        "detail": detail or {},
        "at": now,
    }
    if not balance_read:
        await repo.ensure_balance(conn, retailer_id, account, user_id, now)
    if reference_id is not None:
        # Claim the reference first: a concurrent duplicate waits on the unique key, then sees ours.
        entry_id = await repo.claim_reference(conn, values)
        if entry_id is None:
            return await _replay(conn, retailer_id, user_id, account, kind, amount, reference_id)
    else:
        entry_id = await repo.insert_entry(conn, values)
    balance = await repo.change_balance(
        conn,
        retailer_id,
        account,
        user_id,
        values["available_delta"],
        values["lifetime_delta"],
        now,
        floor_at_zero=kind in ("spend", "expire"),
    )
    if balance is None:
        raise Conflict(
            f"not enough points: {amount} needed", reason=INSUFFICIENT_POINTS, fields={"amount": ["exceeds balance"]}
        )
    available, lifetime = balance
    await events.record(conn, retailer_id, PUBLISHED[kind], now, user_id, _published(entry_id, values, balance))
    return Posted(entry_id, True, account, available, lifetime)


def _published(entry_id: int, values: dict[str, Any], balance: tuple[int, int]) -> dict[str, Any]:
    """A `points.*` event's data: the ledger entry as `user_points/history` answers it, with the user
    and the balance after it (as `deposit` and `spend` answer)."""
    return {
        "entry_id": entry_id,
        "user_id": str(values["user_id"]),
        "point_account_id": str(values["account_id"]),
        "kind": values["kind"],
        "amount": values["amount"],
        "available_delta": values["available_delta"],
        "lifetime_delta": values["lifetime_delta"],
        "reason": values["reason"],
        "reference_id": values["reference_id"],
        "actor": values["actor"],
        "at": iso_z(values["at"]),
        "detail": values["detail"],
        "available_balance": balance[0],
        "lifetime_value": balance[1],
    }


async def _account_id(conn: AsyncConnection, retailer_id: UUID, account_id: UUID | None, now: datetime) -> UUID:
    """`resolve_account`'s id: `post` needs only the id, so the default account (whose id is derived)
    is ensured without reading its row back."""
    if account_id is None or account_id == repo.default_account_id(retailer_id):
        return await repo.ensure_default_account_id(conn, retailer_id, now)
    return (await resolve_account(conn, retailer_id, account_id, now)).id


async def _replay(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, account_id: UUID, kind: str, amount: int, reference_id: str
) -> Posted:
    existing = await repo.find_reference(conn, retailer_id, kind, reference_id)
    if existing is None:  # the claim lost to a row we cannot see: only possible mid-rollback
        raise Conflict("reference_id is being applied by another request; retry")
    if (existing.user_id, existing.account_id, existing.amount) != (user_id, account_id, amount):
        raise IdempotencyKeyReused(
            "reference_id was already used for a different change", fields={"reference_id": ["already used"]}
        )
    balance = await repo.get_balance(conn, retailer_id, account_id, user_id)
    assert balance is not None
    return Posted(existing.id, False, account_id, balance.available, balance.lifetime)
