"""Every point query: accounts, balances and the ledger. Each takes the retailer id.

A balance changes only through `change_balance`, always next to a ledger row written by the same
transaction; a spend is `available - n WHERE available >= n`, so it can never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.driver import Command, insert_ignore, insert_ignore_returning
from openoffers.kit.ids import new_id
from openoffers.tables.points import point_accounts, point_balances, point_ledger

DEFAULT_ACCOUNT_NAME = "Points"
_DEFAULT_ACCOUNT_NAMESPACE = UUID("8f1c4f0e-6a52-4d1b-9d8e-0b6a3c1f5e21")


@dataclass(frozen=True, slots=True)
class PointAccountRow:
    id: UUID
    retailer_id: UUID
    name: str
    grouping_label: str
    is_default: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BalanceRow:
    id: UUID  # the user's point account (Lookup's UserPointAccountID)
    account_id: UUID
    user_id: UUID
    available: int
    lifetime: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """An account of the retailer with the user's balance in it (None: never used by this user)."""

    account: PointAccountRow
    balance: BalanceRow | None

    @property
    def available(self) -> int:
        return self.balance.available if self.balance else 0

    @property
    def lifetime(self) -> int:
        return self.balance.lifetime if self.balance else 0


@dataclass(frozen=True, slots=True)
class LedgerRow:
    id: int
    account_id: UUID
    user_id: UUID
    kind: str
    amount: int
    available_delta: int
    lifetime_delta: int
    reason: str
    reference_id: str | None
    actor: str
    detail: dict[str, Any]
    at: datetime


def _account(row: Any) -> PointAccountRow:
    return PointAccountRow(**{name: getattr(row, name) for name in PointAccountRow.__slots__})


def _balance(row: Any) -> BalanceRow:
    return BalanceRow(row.id, row.account_id, row.user_id, int(row.available), int(row.lifetime), row.updated_at)


def _entry(row: Any) -> LedgerRow:
    return LedgerRow(**{name: getattr(row, name) for name in LedgerRow.__slots__})


# --------------------------------------------------------------------------------------- accounts


def default_account_id(retailer_id: UUID) -> UUID:
    """Derived from the retailer, so every process creating it lazily inserts the same key."""
    return uuid5(_DEFAULT_ACCOUNT_NAMESPACE, f"default-point-account:{retailer_id}")


def default_account(retailer_id: UUID, now: datetime) -> PointAccountRow:
    return PointAccountRow(default_account_id(retailer_id), retailer_id, DEFAULT_ACCOUNT_NAME, "", True, now)


async def ensure_default_account(conn: AsyncConnection, retailer_id: UUID, now: datetime) -> PointAccountRow:
    account = default_account(retailer_id, now)
    await insert_ignore(
        conn, point_accounts, {name: getattr(account, name) for name in PointAccountRow.__slots__}, ["id"]
    )
    stored = await get_account(conn, retailer_id, account.id)
    assert stored is not None, "the default account was just ensured"
    return stored


async def ensure_default_account_id(conn: AsyncConnection, retailer_id: UUID, now: datetime) -> UUID:
    """`ensure_default_account` for callers that need only its id (known from the retailer's): the
    insert-ignore without reading the row back."""
    account = default_account(retailer_id, now)
    await insert_ignore(
        conn, point_accounts, {name: getattr(account, name) for name in PointAccountRow.__slots__}, ["id"]
    )
    return account.id


async def insert_account(conn: AsyncConnection, account: PointAccountRow) -> None:
    await conn.execute(
        insert(point_accounts).values(**{name: getattr(account, name) for name in PointAccountRow.__slots__})
    )


async def get_account(conn: AsyncConnection, retailer_id: UUID, account_id: UUID) -> PointAccountRow | None:
    row = (
        await conn.execute(
            select(point_accounts).where(point_accounts.c.retailer_id == retailer_id, point_accounts.c.id == account_id)
        )
    ).first()
    return _account(row) if row else None


async def account_named(conn: AsyncConnection, retailer_id: UUID, name: str) -> PointAccountRow | None:
    row = (
        await conn.execute(
            select(point_accounts).where(
                point_accounts.c.retailer_id == retailer_id, func.lower(point_accounts.c.name) == name.lower()
            )
        )
    ).first()
    return _account(row) if row else None


async def list_accounts(conn: AsyncConnection, retailer_id: UUID) -> list[PointAccountRow]:
    """The default account first, then by creation."""
    rows = await conn.execute(
        select(point_accounts)
        .where(point_accounts.c.retailer_id == retailer_id)
        .order_by(point_accounts.c.is_default.desc(), point_accounts.c.created_at, point_accounts.c.id)
    )
    return [_account(r) for r in rows]


# --------------------------------------------------------------------------------------- balances


async def ensure_balance(
    conn: AsyncConnection, retailer_id: UUID, account_id: UUID, user_id: UUID, now: datetime
) -> None:
    await insert_ignore(
        conn,
        point_balances,
        {
            "id": new_id(),
            "retailer_id": retailer_id,
            "account_id": account_id,
            "user_id": user_id,
            "available": 0,
            "lifetime": 0,
            "updated_at": now,
        },
        ["account_id", "user_id"],
    )


async def change_balance(
    conn: AsyncConnection,
    retailer_id: UUID,
    account_id: UUID,
    user_id: UUID,
    available_delta: int,
    lifetime_delta: int,
    now: datetime,
    *,
    floor_at_zero: bool,
) -> tuple[int, int] | None:
    """Add the deltas in SQL. With `floor_at_zero` only when available stays >= 0 (a spend): None
    means there were not enough points and nothing changed. Write the ledger row in the same
    transaction. Answers the balance after the change, (available, lifetime), returned by the update
    itself rather than read back."""
    statement = _SPEND if floor_at_zero and available_delta < 0 else _CREDIT if available_delta > 0 else _CHANGE
    parameters = {
        "credit_at": now,
        "held_retailer_id": retailer_id,
        "held_account_id": account_id,
        "held_user_id": user_id,
        "available_delta": available_delta,
        "lifetime_delta": lifetime_delta,
        "updated_at": now,
    }
    row = await statement.first(conn, parameters)
    return (int(row.available), int(row.lifetime)) if row is not None else None


# Built once (every earn and spend runs one), with bind parameters: the change, and the change that
# happens only when enough points are available (a spend). Run on the driver (kit.driver.Command); the
# `updated_at` SET column comes from the parameters.
_CHANGE_STATEMENT = (
    update(point_balances)
    .where(
        point_balances.c.retailer_id == bindparam("held_retailer_id"),
        point_balances.c.account_id == bindparam("held_account_id"),
        point_balances.c.user_id == bindparam("held_user_id"),
    )
    .values(
        available=point_balances.c.available + bindparam("available_delta", type_=point_balances.c.available.type),
        lifetime=point_balances.c.lifetime + bindparam("lifetime_delta", type_=point_balances.c.lifetime.type),
    )
    .returning(point_balances.c.available, point_balances.c.lifetime)
)
_CHANGE = Command(_CHANGE_STATEMENT)
_SPEND = Command(_CHANGE_STATEMENT.where(point_balances.c.available + bindparam("available_delta") >= 0))
# A credit is a new lot: the expiry bookmark moves back to it if it is the oldest (tables/points.py).
_OLDEST = point_balances.c.oldest_lot_at
_CREDIT = Command(
    _CHANGE_STATEMENT.values(
        oldest_lot_at=case(
            (or_(_OLDEST.is_(None), _OLDEST > bindparam("credit_at", type_=_OLDEST.type)), bindparam("credit_at")),
            else_=_OLDEST,
        )
    )
)


async def get_balance(conn: AsyncConnection, retailer_id: UUID, account_id: UUID, user_id: UUID) -> BalanceRow | None:
    row = (
        await conn.execute(
            select(point_balances).where(
                point_balances.c.retailer_id == retailer_id,
                point_balances.c.account_id == account_id,
                point_balances.c.user_id == user_id,
            )
        )
    ).first()
    return _balance(row) if row else None


async def user_balances(conn: AsyncConnection, retailer_id: UUID, user_id: UUID) -> list[AccountBalance]:
    """Every account of the retailer with the user's balance in it, in one query (Lookup's `accounts`)."""
    rows = await conn.execute(
        select(
            *[point_accounts.c[name].label(f"a_{name}") for name in PointAccountRow.__slots__],
            point_balances.c.id.label("b_id"),
            point_balances.c.available,
            point_balances.c.lifetime,
            point_balances.c.updated_at,
        )
        .select_from(
            point_accounts.outerjoin(
                point_balances,
                and_(
                    point_balances.c.account_id == point_accounts.c.id,
                    point_balances.c.retailer_id == point_accounts.c.retailer_id,
                    point_balances.c.user_id == user_id,
                ),
            )
        )
        .where(point_accounts.c.retailer_id == retailer_id)
        .order_by(point_accounts.c.is_default.desc(), point_accounts.c.created_at, point_accounts.c.id)
    )
    result: list[AccountBalance] = []
    for r in rows:
        account = PointAccountRow(**{name: getattr(r, f"a_{name}") for name in PointAccountRow.__slots__})
        balance = None
        if r.b_id is not None:
            balance = BalanceRow(r.b_id, account.id, user_id, int(r.available), int(r.lifetime), r.updated_at)
        result.append(AccountBalance(account, balance))
    return result


async def point_totals(conn: AsyncConnection, retailer_id: UUID, user_id: UUID) -> tuple[int, int]:
    """(available, lifetime) summed over the user's accounts."""
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(point_balances.c.available), 0),
                func.coalesce(func.sum(point_balances.c.lifetime), 0),
            ).where(point_balances.c.retailer_id == retailer_id, point_balances.c.user_id == user_id)
        )
    ).one()
    return int(row[0]), int(row[1])


# ----------------------------------------------------------------------------------------- ledger


async def insert_entry(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(point_ledger).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def claim_reference(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """Insert an entry carrying a `reference_id` unless that (kind, reference) exists: its id, or None
    when another request already applied it (the unique key decides, on both engines)."""
    entry_id = await insert_ignore_returning(conn, point_ledger, values, ["retailer_id", "kind", "reference_id"], "id")
    return int(entry_id) if entry_id is not None else None


async def find_reference(conn: AsyncConnection, retailer_id: UUID, kind: str, reference_id: str) -> LedgerRow | None:
    row = (
        await conn.execute(
            select(point_ledger).where(
                point_ledger.c.retailer_id == retailer_id,
                point_ledger.c.kind == kind,
                point_ledger.c.reference_id == reference_id,
            )
        )
    ).first()
    return _entry(row) if row else None


async def list_entries(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, account_id: UUID | None, *, skip: int, take: int
) -> tuple[int, list[LedgerRow]]:
    """Newest first."""
    conditions = [point_ledger.c.retailer_id == retailer_id, point_ledger.c.user_id == user_id]
    if account_id is not None:
        conditions.append(point_ledger.c.account_id == account_id)
    total = (await conn.execute(select(func.count()).select_from(point_ledger).where(*conditions))).scalar_one()
    rows = await conn.execute(
        select(point_ledger).where(*conditions).order_by(point_ledger.c.id.desc()).offset(skip).limit(take)
    )
    return int(total), [_entry(r) for r in rows]


async def ledger_sums(conn: AsyncConnection, retailer_id: UUID, account_id: UUID, user_id: UUID) -> tuple[int, int]:
    """(sum of available deltas, sum of lifetime deltas): what the balance must always equal."""
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(point_ledger.c.available_delta), 0),
                func.coalesce(func.sum(point_ledger.c.lifetime_delta), 0),
            ).where(
                point_ledger.c.retailer_id == retailer_id,
                point_ledger.c.account_id == account_id,
                point_ledger.c.user_id == user_id,
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def balance_entries(conn: AsyncConnection, retailer_id: UUID, account_id: UUID, user_id: UUID) -> list[LedgerRow]:
    """Every entry of one balance, in ledger order: what `lots.replay` reads."""
    rows = await conn.execute(
        select(point_ledger)
        .where(
            point_ledger.c.retailer_id == retailer_id,
            point_ledger.c.account_id == account_id,
            point_ledger.c.user_id == user_id,
        )
        .order_by(point_ledger.c.id)
    )
    return [_entry(r) for r in rows]


# ----------------------------------------------------------------------------------------- expiry


async def due_balances(
    conn: AsyncConnection, retailer_id: UUID, before: datetime, limit: int
) -> list[tuple[UUID, UUID]]:
    """Up to `limit` (account, user) balances whose oldest lot with points was credited before `before`,
    held for this transaction. On PostgreSQL rows another transaction holds are skipped, not waited for:
    a concurrent run takes others, and the holder (a spend, say) is not held up behind a whole batch."""
    rows = await conn.execute(
        select(point_balances.c.account_id, point_balances.c.user_id)
        .where(point_balances.c.retailer_id == retailer_id, point_balances.c.oldest_lot_at < before)
        .order_by(point_balances.c.oldest_lot_at, point_balances.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(r.account_id, r.user_id) for r in rows]


async def set_oldest_lot(
    conn: AsyncConnection, retailer_id: UUID, account_id: UUID, user_id: UUID, at: datetime | None
) -> None:
    """Move the expiry bookmark to the oldest lot still holding points (the caller holds the balance)."""
    await conn.execute(
        update(point_balances)
        .where(
            point_balances.c.retailer_id == retailer_id,
            point_balances.c.account_id == account_id,
            point_balances.c.user_id == user_id,
        )
        .values(oldest_lot_at=at)
    )


@dataclass(frozen=True, slots=True)
class LotEnd:
    """A credit (an earning) and what its expiry took, if it has expired (0 if not)."""

    entry_id: int
    expired: int


async def lot_by_reference(conn: AsyncConnection, retailer_id: UUID, kind: str, reference_id: str) -> LotEnd | None:
    """The credit entry of `kind` with `reference_id` (an earning a return or void takes back), with the
    points its expiry entry took."""
    credit = await find_reference(conn, retailer_id, kind, reference_id)
    if credit is None:
        return None
    ended = await find_reference(conn, retailer_id, "expire", lot_reference(credit.id))
    return LotEnd(credit.id, ended.amount if ended is not None else 0)


def lot_reference(entry_id: int) -> str:
    """The reference of a lot's expiry entry: one per lot, so it is recorded once however often it runs."""
    return f"lot:{entry_id}"
