"""Point use cases: accounts, deposit, spend, balances, history.

`post` is the in-transaction building block that POS earning, loyalty rules and the reward store
call inside their own transaction; the other public functions each own exactly one transaction.
Every retailer has a default account (its id derived from the retailer's) created on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, IdempotencyKeyReused, NotFound, UserNotFound, ValidationFailed
from openoffers.kit.ids import new_id
from openoffers.loyalty import repository as repo
from openoffers.loyalty.repository import PointAccountRow
from openoffers.loyalty.schemas import (
    BalanceOut,
    BalancesOut,
    BalancesRequest,
    CreatePointAccountRequest,
    DepositRequest,
    LedgerEntryOut,
    ListPointAccountsRequest,
    PointAccountList,
    PointAccountOut,
    PointsChangeResult,
    PointsHistoryOut,
    PointsHistoryRequest,
    SpendRequest,
)
from openoffers.wallet import users_repository as users_repo

INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"

# kind -> (sign of the available change, sign of the lifetime change). Only a spend is floored at zero:
# a reverse takes back what a voided check earned even when it was already spent.
KINDS: dict[str, tuple[int, int]] = {"earn": (1, 1), "adjust": (1, 0), "spend": (-1, 0), "reverse": (-1, -1)}


@dataclass(frozen=True, slots=True)
class Posted:
    entry_id: int
    applied: bool  # False: the reference_id had been applied before; nothing changed now
    account_id: UUID
    available: int
    lifetime: int


def _account_out(account: PointAccountRow) -> PointAccountOut:
    return PointAccountOut(
        point_account_id=account.id,
        name=account.name,
        grouping_label=account.grouping_label,
        is_default=account.is_default,
        created_at=iso_z(account.created_at) or "",
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


async def _require_user(conn: AsyncConnection, retailer_id: UUID, user_id: UUID) -> None:
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
    user_checked: bool = False,
) -> Posted:
    """Write one ledger entry and change the balance with it, in the caller's transaction.

    `user_checked`: the caller already read the user in this transaction (users are never deleted),
    so their existence is not read again.

    A spend without enough available points raises CONFLICT (reason INSUFFICIENT_POINTS), so the
    caller's transaction rolls back whole. A `reference_id` already applied for this kind answers
    `applied=False` when it was the same change, IDEMPOTENCY_KEY_REUSED when it was another.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if amount <= 0:
        raise ValueError("amount must be positive")
    if not user_checked:
        await _require_user(conn, retailer_id, user_id)
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
        floor_at_zero=kind == "spend",
    )
    if balance is None:
        raise Conflict(
            f"not enough points: {amount} needed", reason=INSUFFICIENT_POINTS, fields={"amount": ["exceeds balance"]}
        )
    available, lifetime = balance
    return Posted(entry_id, True, account, available, lifetime)


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


def _change_result(user_id: UUID, posted: Posted) -> PointsChangeResult:
    return PointsChangeResult(
        user_id=user_id,
        point_account_id=posted.account_id,
        entry_id=posted.entry_id,
        applied=posted.applied,
        available_balance=posted.available,
        lifetime_value=posted.lifetime,
    )


async def deposit(db: Database, request: DepositRequest, now: datetime, actor: str) -> PointsChangeResult:
    async with db.write() as conn:
        if request.kind == "earn":
            # Earned points fire the account's threshold rules, in this same transaction. Imported here:
            # the engine is built on this module.
            from openoffers.loyalty import engine

            posted, _ = await engine.deposit_earned(
                conn,
                retailer_id=request.retailer_id,
                user_id=request.user_id,
                account_id=request.point_account_id,
                amount=request.amount,
                now=now,
                actor=actor,
                reason=request.reason,
                reference_id=request.reference_id,
            )
            return _change_result(request.user_id, posted)
        posted = await post(
            conn,
            retailer_id=request.retailer_id,
            user_id=request.user_id,
            account_id=request.point_account_id,
            kind=request.kind,
            amount=request.amount,
            now=now,
            actor=actor,
            reason=request.reason,
            reference_id=request.reference_id,
        )
    return _change_result(request.user_id, posted)


async def spend(db: Database, request: SpendRequest, now: datetime, actor: str) -> PointsChangeResult:
    async with db.write() as conn:
        posted = await post(
            conn,
            retailer_id=request.retailer_id,
            user_id=request.user_id,
            account_id=request.point_account_id,
            kind="spend",
            amount=request.amount,
            now=now,
            actor=actor,
            reason=request.reason,
            reference_id=request.reference_id,
        )
    return _change_result(request.user_id, posted)


async def create_account(db: Database, request: CreatePointAccountRequest, now: datetime) -> PointAccountOut:
    name = request.name.strip()
    if not name:
        raise ValidationFailed.field("name", "must not be blank")
    async with db.write() as conn:
        await repo.ensure_default_account(conn, request.retailer_id, now)
        if await repo.account_named(conn, request.retailer_id, name) is not None:
            raise Conflict(f"a point account named {name!r} exists", fields={"name": ["already exists"]})
        account = PointAccountRow(new_id(), request.retailer_id, name, request.grouping_label.strip(), False, now)
        await repo.insert_account(conn, account)
    return _account_out(account)


def _with_default(accounts: list[PointAccountRow], retailer_id: UUID, now: datetime) -> list[PointAccountRow]:
    """Reads show the default account before its first use: it is created with exactly this id."""
    if any(a.is_default for a in accounts):
        return accounts
    return [repo.default_account(retailer_id, now), *accounts]


async def list_accounts(db: Database, request: ListPointAccountsRequest, now: datetime) -> PointAccountList:
    async with db.read() as conn:
        accounts = _with_default(await repo.list_accounts(conn, request.retailer_id), request.retailer_id, now)
    page = accounts[request.skip : request.skip + request.take]
    return PointAccountList(total_records=len(accounts), results=[_account_out(a) for a in page])


async def balances(db: Database, request: BalancesRequest, now: datetime) -> BalancesOut:
    async with db.read() as conn:
        await _require_user(conn, request.retailer_id, request.user_id)
        rows = await repo.user_balances(conn, request.retailer_id, request.user_id)
    if not any(r.account.is_default for r in rows):
        rows = [repo.AccountBalance(repo.default_account(request.retailer_id, now), None), *rows]
    return BalancesOut(
        user_id=request.user_id,
        available_points=sum(r.available for r in rows),
        lifetime_points=sum(r.lifetime for r in rows),
        accounts=[
            BalanceOut(
                point_account_id=r.account.id,
                user_point_account_id=r.balance.id if r.balance else None,
                name=r.account.name,
                grouping_label=r.account.grouping_label,
                available_balance=r.available,
                lifetime_value=r.lifetime,
            )
            for r in rows
        ],
    )


async def history(db: Database, request: PointsHistoryRequest) -> PointsHistoryOut:
    async with db.read() as conn:
        await _require_user(conn, request.retailer_id, request.user_id)
        if request.point_account_id is not None and request.point_account_id != repo.default_account_id(
            request.retailer_id
        ):
            if await repo.get_account(conn, request.retailer_id, request.point_account_id) is None:
                raise NotFound("point account not found", fields={"point_account_id": ["not found"]})
        total, entries = await repo.list_entries(
            conn,
            request.retailer_id,
            request.user_id,
            request.point_account_id,
            skip=request.skip,
            take=request.take,
        )
    return PointsHistoryOut(
        total_records=total,
        results=[
            LedgerEntryOut(
                entry_id=e.id,
                point_account_id=e.account_id,
                kind=e.kind,
                amount=e.amount,
                available_delta=e.available_delta,
                lifetime_delta=e.lifetime_delta,
                reason=e.reason,
                reference_id=e.reference_id,
                actor=e.actor,
                at=iso_z(e.at) or "",
                detail=e.detail,
            )
            for e in entries
        ],
    )
