"""POS storage: its own tables (locks, checks, claim codes). Reads that join other domains' tables are
in `read_model.py`.

Each function takes the retailer id (ARCHITECTURE.md rule 8). A lock row exists exactly while its user
offer is Locked; every change to it is a conditional statement whose row count says whether this
caller made the change (rule 5): nothing here reads a lock to write it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.kit.driver import Command, Query, insert_ignore, upsert
from openoffers.tables.pos import claim_codes, pos_locks, pos_transactions
from openoffers.tables.wallet import users

# ------------------------------------------------------------------------------------------- locks


@dataclass(frozen=True, slots=True)
class LockRow:
    user_offer_id: UUID
    retailer_id: UUID
    store_id: UUID
    transaction_id: str
    user_id: UUID
    amount: int
    line_shares: tuple[pricing.LineShare, ...]
    stack_order: int
    locked_at: datetime
    expires_at: datetime

    def held_by(self, store_id: UUID, transaction_id: str) -> bool:
        return self.store_id == store_id and self.transaction_id == transaction_id

    def expired_at(self, now: datetime) -> bool:
        return self.expires_at <= now

    @property
    def shares(self) -> tuple[tuple[str, int], ...]:
        return tuple((share.line_id, share.amount) for share in self.line_shares)


def shares_json(shares: Sequence[pricing.LineShare]) -> list[dict[str, Any]]:
    # Quantities may be Decimal (weighed goods): stored as text so the JSON column stays exact.
    return [{"line_id": s.line_id, "amount": s.amount, "quantity": str(s.quantity)} for s in shares]


def _quantity(text: str) -> int | Decimal:
    if text.isascii() and text.isdigit():  # a whole count ("2"), as nearly every line's: int() is 10x cheaper
        return int(text)
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else value


def lock_of_row(row: Any, prefix: str = "") -> LockRow:
    def value(name: str) -> Any:
        return getattr(row, prefix + name)

    shares = tuple(
        pricing.LineShare(line_id=str(s["line_id"]), amount=int(s["amount"]), quantity=_quantity(str(s["quantity"])))
        for s in value("line_shares")
    )
    return LockRow(
        user_offer_id=value("user_offer_id"),
        retailer_id=value("retailer_id"),
        store_id=value("store_id"),
        transaction_id=value("transaction_id"),
        user_id=value("user_id"),
        amount=int(value("amount")),
        line_shares=shares,
        stack_order=int(value("stack_order")),
        locked_at=value("locked_at"),
        expires_at=value("expires_at"),
    )


async def locks_of(conn: AsyncConnection, retailer_id: UUID, user_offer_ids: Sequence[UUID]) -> dict[UUID, LockRow]:
    """The lock rows of these user offers, in one query."""
    if not user_offer_ids:
        return {}
    rows = await conn.execute(
        select(pos_locks).where(pos_locks.c.retailer_id == retailer_id, pos_locks.c.user_offer_id.in_(user_offer_ids))
    )
    return {r.user_offer_id: lock_of_row(r) for r in rows}


# Built once (every closing check reads its locks), with bind parameters; run on the driver.
_LOCKS_OF_CHECK = Query(
    select(pos_locks)
    .where(
        pos_locks.c.retailer_id == bindparam("retailer_id"),
        pos_locks.c.store_id == bindparam("store_id"),
        pos_locks.c.transaction_id == bindparam("transaction_id"),
    )
    .order_by(pos_locks.c.user_offer_id)
)


async def locks_of_check(
    conn: AsyncConnection, retailer_id: UUID, store_id: UUID, transaction_id: str
) -> list[LockRow]:
    """Every lock a check holds, ordered by user offer id (the order writes take row locks in)."""
    parameters = {"retailer_id": retailer_id, "store_id": store_id, "transaction_id": transaction_id}
    return [lock_of_row(r) for r in await _LOCKS_OF_CHECK.all(conn, parameters)]


def _lock_values(lock: LockRow) -> dict[str, Any]:
    return {
        "store_id": lock.store_id,
        "transaction_id": lock.transaction_id,
        "user_id": lock.user_id,
        "amount": lock.amount,
        "line_shares": shares_json(lock.line_shares),
        "stack_order": lock.stack_order,
        "locked_at": lock.locked_at,
        "expires_at": lock.expires_at,
    }


async def insert_lock(conn: AsyncConnection, lock: LockRow) -> None:
    """Only after this caller moved the user offer Issued -> Locked (which no one else can do at once).
    A leftover row (a Locked offer revoked by the Offers API keeps its row) is replaced: one upsert on
    the user offer id (the key) instead of a delete and an insert."""
    await upsert(
        conn,
        pos_locks,
        {"user_offer_id": lock.user_offer_id, "retailer_id": lock.retailer_id, **_lock_values(lock)},
        ["user_offer_id"],
    )


# Built once (every re-lock runs it): `_held` with bind parameters; the SET columns come from the
# execute parameters named like them. Run on the driver (kit.driver.Command).
_RELOCK = Command(
    update(pos_locks).where(
        pos_locks.c.retailer_id == bindparam("held_retailer_id"),
        pos_locks.c.user_offer_id == bindparam("held_user_offer_id"),
        pos_locks.c.store_id == bindparam("held_store_id"),
        pos_locks.c.transaction_id == bindparam("held_transaction_id"),
    )
)


# `release_held`'s delete, built once with `_held`'s conditions as bind parameters.
_RELEASE_HELD = Command(
    delete(pos_locks).where(
        pos_locks.c.retailer_id == bindparam("retailer_id"),
        pos_locks.c.user_offer_id == bindparam("user_offer_id"),
        pos_locks.c.store_id == bindparam("store_id"),
        pos_locks.c.transaction_id == bindparam("transaction_id"),
    )
)


async def relock(conn: AsyncConnection, lock: LockRow) -> bool:
    """The same check locks again (its basket changed): new amount and shares, a fresh expiry. False
    when the lock is no longer this check's."""
    held = {
        "held_retailer_id": lock.retailer_id,
        "held_user_offer_id": lock.user_offer_id,
        "held_store_id": lock.store_id,
        "held_transaction_id": lock.transaction_id,
    }
    return bool(await _RELOCK.run(conn, {**held, **_lock_values(lock)}))


async def take_over_expired(conn: AsyncConnection, lock: LockRow, now: datetime) -> bool:
    """Another check takes a lock whose time is up; False when it is not expired (any more) or gone."""
    result = await conn.execute(
        update(pos_locks)
        .where(
            pos_locks.c.retailer_id == lock.retailer_id,
            pos_locks.c.user_offer_id == lock.user_offer_id,
            pos_locks.c.expires_at <= now,
        )
        .values(**_lock_values(lock))
    )
    return bool(result.rowcount)


async def release_held(
    conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, store_id: UUID, transaction_id: str
) -> bool:
    """Delete the lock only if this check holds it (to redeem or release it)."""
    parameters = {
        "retailer_id": retailer_id,
        "user_offer_id": user_offer_id,
        "store_id": store_id,
        "transaction_id": transaction_id,
    }
    return bool(await _RELEASE_HELD.run(conn, parameters))


async def release_expired(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, now: datetime) -> bool:
    """Delete the lock only if its time is up (another check redeems it, or the sweep returns it)."""
    result = await conn.execute(
        delete(pos_locks).where(
            pos_locks.c.retailer_id == retailer_id,
            pos_locks.c.user_offer_id == user_offer_id,
            pos_locks.c.expires_at <= now,
        )
    )
    return bool(result.rowcount)


async def release_any(
    conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, transaction_id: str | None
) -> bool:
    """unlock: delete the lock whoever holds it, or only if `transaction_id` holds it when given."""
    conditions = [pos_locks.c.retailer_id == retailer_id, pos_locks.c.user_offer_id == user_offer_id]
    if transaction_id is not None:
        conditions.append(pos_locks.c.transaction_id == transaction_id)
    result = await conn.execute(delete(pos_locks).where(*conditions))
    return bool(result.rowcount)


async def expired_locks(conn: AsyncConnection, now: datetime, limit: int) -> list[LockRow]:
    """Locks whose time is up, across retailers (for the sweep, which runs without a tenant)."""
    rows = await conn.execute(
        select(pos_locks).where(pos_locks.c.expires_at <= now).order_by(pos_locks.c.user_offer_id).limit(limit)
    )
    return [lock_of_row(r) for r in rows]


# ------------------------------------------------------------------------------------------ checks


@dataclass(frozen=True, slots=True)
class CheckRow:
    id: UUID
    retailer_id: UUID
    store_id: UUID
    transaction_id: str
    user_id: UUID | None
    is_closed: bool
    is_voided: bool
    content_hash: str
    redeemed: tuple[UUID, ...]


def _check(row: Any) -> CheckRow:
    return CheckRow(
        id=row.id,
        retailer_id=row.retailer_id,
        store_id=row.store_id,
        transaction_id=row.transaction_id,
        user_id=row.user_id,
        is_closed=bool(row.is_closed),
        is_voided=bool(row.is_voided),
        content_hash=row.content_hash,
        redeemed=tuple(UUID(str(u)) for u in row.redeemed),
    )


class _Values:
    """A dict read as a row (attribute access), for `_check` on values this transaction inserted."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


async def claim_check(conn: AsyncConnection, values: dict[str, Any]) -> tuple[CheckRow, bool]:
    """The check's row, created (open) when new, and held for the rest of the transaction: concurrent
    sends of one check queue here (the unique key, then FOR UPDATE on PostgreSQL; SQLite's write
    lock), so a check closes once. True when this call created it."""
    created = await insert_ignore(conn, pos_transactions, values, ["retailer_id", "store_id", "transaction_id"])
    if created:
        # Our own insert: the row is exactly `values`, and already ours until commit (an inserted row is
        # locked on PostgreSQL; SQLite's write lock is held), so reading it back would add nothing.
        return _check(_Values(values)), True
    row = (
        await conn.execute(
            select(pos_transactions)
            .where(
                pos_transactions.c.retailer_id == values["retailer_id"],
                pos_transactions.c.store_id == values["store_id"],
                pos_transactions.c.transaction_id == values["transaction_id"],
            )
            .with_for_update()
        )
    ).one()
    return _check(row), created


# Built once, run on the driver; the SET columns come from the parameters (one compiled form per set).
_UPDATE_CHECK = Command(
    update(pos_transactions).where(
        pos_transactions.c.retailer_id == bindparam("held_retailer_id"), pos_transactions.c.id == bindparam("held_id")
    )
)


async def update_check(conn: AsyncConnection, retailer_id: UUID, check_id: UUID, values: dict[str, Any]) -> None:
    await _UPDATE_CHECK.run(conn, {"held_retailer_id": retailer_id, "held_id": check_id, **values})


async def check_is_closed(conn: AsyncConnection, retailer_id: UUID, store_id: UUID, transaction_id: str) -> bool:
    row = (
        await conn.execute(
            select(pos_transactions.c.is_closed).where(
                pos_transactions.c.retailer_id == retailer_id,
                pos_transactions.c.store_id == store_id,
                pos_transactions.c.transaction_id == transaction_id,
            )
        )
    ).first()
    return bool(row and row.is_closed)


async def get_check(conn: AsyncConnection, retailer_id: UUID, store_id: UUID, transaction_id: str) -> CheckRow | None:
    row = (
        await conn.execute(
            select(pos_transactions).where(
                pos_transactions.c.retailer_id == retailer_id,
                pos_transactions.c.store_id == store_id,
                pos_transactions.c.transaction_id == transaction_id,
            )
        )
    ).first()
    return _check(row) if row else None


@dataclass(frozen=True, slots=True)
class CheckListRow:
    """A stored check as the admin UI lists it, with its customer's names (when it has one)."""

    id: UUID
    store_id: UUID
    transaction_id: str
    user_id: UUID | None
    is_closed: bool
    is_voided: bool
    subtotal: int
    discount_total: int
    check: dict[str, Any]
    redeemed: tuple[UUID, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    voided_at: datetime | None
    first_name: str | None
    last_name: str | None
    external_customer_id: str | None


async def list_checks(
    conn: AsyncConnection, retailer_id: UUID, store_id: UUID | None, *, skip: int, take: int
) -> tuple[int, list[CheckListRow]]:
    """Checks, most recently changed first (the retailer/store/updated_at index), optionally of one store."""
    conditions = [pos_transactions.c.retailer_id == retailer_id]
    if store_id is not None:
        conditions.append(pos_transactions.c.store_id == store_id)
    total = (await conn.execute(select(func.count()).select_from(pos_transactions).where(*conditions))).scalar_one()
    joined = pos_transactions.outerjoin(
        users, and_(users.c.id == pos_transactions.c.user_id, users.c.retailer_id == pos_transactions.c.retailer_id)
    )
    rows = await conn.execute(
        select(pos_transactions, users.c.first_name, users.c.last_name, users.c.external_customer_id)
        .select_from(joined)
        .where(*conditions)
        .order_by(pos_transactions.c.updated_at.desc(), pos_transactions.c.id)
        .offset(skip)
        .limit(take)
    )
    return int(total), [
        CheckListRow(
            id=r.id,
            store_id=r.store_id,
            transaction_id=r.transaction_id,
            user_id=r.user_id,
            is_closed=bool(r.is_closed),
            is_voided=bool(r.is_voided),
            subtotal=int(r.subtotal),
            discount_total=int(r.discount_total),
            check=r.check,
            redeemed=tuple(UUID(str(u)) for u in r.redeemed),
            created_at=r.created_at,
            updated_at=r.updated_at,
            closed_at=r.closed_at,
            voided_at=r.voided_at,
            first_name=r.first_name,
            last_name=r.last_name,
            external_customer_id=r.external_customer_id,
        )
        for r in rows
    ]


# ------------------------------------------------------------------------------------- claim codes


async def insert_claim_code(
    conn: AsyncConnection, retailer_id: UUID, code: str, user_offer_id: UUID, now: datetime, expires_at: datetime
) -> bool:
    """False when the code is taken (the caller draws another)."""
    return await insert_ignore(
        conn,
        claim_codes,
        {
            "code": code,
            "retailer_id": retailer_id,
            "user_offer_id": user_offer_id,
            "created_at": now,
            "expires_at": expires_at,
        },
        ["retailer_id", "code"],
    )


async def purge_claim_codes(conn: AsyncConnection, retailer_id: UUID, now: datetime) -> None:
    """Forget the retailer's expired codes, so an expired code can be drawn again."""
    await conn.execute(
        delete(claim_codes).where(claim_codes.c.retailer_id == retailer_id, claim_codes.c.expires_at <= now)
    )
