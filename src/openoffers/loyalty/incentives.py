"""The Incentives service's point calls as public SessionM clients make them: `user_points/all_balances`
and `user_points/spend_multiple` (the .NET client `DOTNET-RWS-LBE-Transaction` reads a balance, picks the
paying account, then spends). Each owns one transaction and writes through `points.ledger.post`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import ValidationFailed
from openoffers.loyalty.points import ledger
from openoffers.loyalty.points import repository as repo
from openoffers.loyalty.points.ledger import INSUFFICIENT_POINTS, paying_account, require_user
from openoffers.loyalty.points.repository import AccountBalance
from openoffers.loyalty.schemas import (
    AllBalancesOut,
    AllBalancesRequest,
    BalanceDetailOut,
    BalanceSummaryOut,
    SpendAuditOut,
    SpendDetailIn,
    SpendDetailOut,
    SpendMultipleOut,
    SpendMultipleRequest,
    SpendSummaryOut,
)

MAX_POINTS = 1_000_000_000
SPENT, NOT_ENOUGH_POINTS = 0, 1  # a spend detail's `error_status`


async def balances_in(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime) -> list[AccountBalance]:
    """Every account of the retailer with the user's balance, the default one shown before its first use."""
    rows = await repo.user_balances(conn, retailer_id, user_id)
    if not any(r.account.is_default for r in rows):
        rows = [AccountBalance(repo.default_account(retailer_id, now), None), *rows]
    return rows


def all_balances_out(retailer_id: UUID, user_id: UUID, rows: list[AccountBalance]) -> AllBalancesOut:
    return AllBalancesOut(
        retailer_id=retailer_id,
        user_id=user_id,
        summary=BalanceSummaryOut(
            total_points=sum(r.available for r in rows), life_time_points=sum(r.lifetime for r in rows)
        ),
        details=[
            BalanceDetailOut(
                account_name=r.account.name,
                user_point_account_id=r.balance.id if r.balance else None,
                point_account_id=r.account.id,
                grouping_label=r.account.grouping_label,
                available_balance=r.available,
                life_time_value=r.lifetime,
            )
            for r in rows
        ],
    )


async def all_balances(db: Database, request: AllBalancesRequest, now: datetime) -> AllBalancesOut:
    async with db.read() as conn:
        await require_user(conn, request.retailer_id, request.user_id)
        rows = await balances_in(conn, request.retailer_id, request.user_id, now)
    return all_balances_out(request.retailer_id, request.user_id, rows)


def _points(detail: SpendDetailIn, index: int) -> int:
    field = f"spend_details[{index}].amount"
    if detail.amount != detail.amount.to_integral_value():
        raise ValidationFailed.field(field, "points are whole: give a whole number")
    if not 1 <= detail.amount <= MAX_POINTS:
        raise ValidationFailed.field(field, f"must be between 1 and {MAX_POINTS}")
    if detail.is_return:
        raise ValidationFailed.field(
            f"spend_details[{index}].is_return", "is not supported: credit points back with user_points/deposit"
        )
    return int(detail.amount)


@dataclass(frozen=True, slots=True)
class _Spent:
    detail: SpendDetailOut
    audit: SpendAuditOut | None


async def _spend_one(
    conn: AsyncConnection, request: SpendMultipleRequest, detail: SpendDetailIn, amount: int, now: datetime, actor: str
) -> _Spent:
    retailer_id, user_id = request.retailer_id, request.user_id
    named = await paying_account(conn, retailer_id, user_id, detail.point_account_ids, amount, now)
    account = await ledger.resolve_account(conn, retailer_id, named, now)
    key = detail.idempotency_id or None
    replay = key is not None and await repo.find_reference(conn, retailer_id, "spend", key) is not None
    balance = await repo.get_balance(conn, retailer_id, account.id, user_id)
    available = balance.available if balance else 0

    def out(**varying: Any) -> SpendDetailOut:
        return SpendDetailOut(
            account_name=account.name,
            point_account_id=account.id,
            reference_id=detail.reference_id,
            reference_type=detail.reference_type,
            idempotency_id=detail.idempotency_id,
            retailer_id=retailer_id,
            user_id=user_id,
            point_source_id=detail.point_source_id,
            **varying,
        )

    if request.allow_partial_success and not replay and available < amount:
        # Reported, not raised: the other spends of the request still happen. `post` is not even tried,
        # so nothing of this one is written.
        return _Spent(
            out(
                user_point_account_id=balance.id if balance else None,
                amount_spent=0,
                remaining_balance=available,
                tracking_id=None,
                error_status=NOT_ENOUGH_POINTS,
                idempotency_summary=None,
                message=f"{INSUFFICIENT_POINTS}: {amount} needed, {available} available",
            ),
            None,
        )
    posted = await ledger.post(
        conn,
        retailer_id=retailer_id,
        user_id=user_id,
        account_id=account.id,
        kind="spend",
        amount=amount,
        now=now,
        actor=actor,
        reason=" ".join(p for p in (detail.reference_type, detail.reference_id) if p) or "spend_multiple",
        reference_id=key,
        detail={
            name: getattr(detail, name)
            for name in ("id", "timestamp", "reference_id", "reference_type", "transaction_id", "point_source_id")
            if getattr(detail, name)
        },
    )
    await ledger.audit_posted(conn, retailer_id, user_id, "spend", -amount, posted, now)
    after = await repo.get_balance(conn, retailer_id, account.id, user_id)
    upa_id = after.id if after else None
    at = iso_z(now) or ""
    return _Spent(
        out(
            user_point_account_id=upa_id,
            amount_spent=amount,
            remaining_balance=posted.available,
            tracking_id=str(posted.entry_id),
            error_status=SPENT,
            idempotency_summary=None if key is None else ("applied" if posted.applied else "already_applied"),
            message=None,
        ),
        SpendAuditOut(
            id=str(posted.entry_id),
            retailer_id=retailer_id,
            user_id=user_id,
            account_name=account.name,
            point_account_id=account.id,
            user_point_account_id=upa_id,
            modification=-amount,
            amount_spent=amount,
            modification_type="spend",
            time_of_occurrence=at,
            transaction_id=detail.transaction_id,
            idempotency_id=detail.idempotency_id,
        )
        if posted.applied
        else None,
    )


async def spend_multiple(db: Database, request: SpendMultipleRequest, now: datetime, actor: str) -> SpendMultipleOut:
    """Each spend from the first of its `point_account_ids` that covers it (the default account when none
    is named), in `rank` order, in one transaction. Without `allow_partial_success` a spend the balance
    cannot cover is 409 INSUFFICIENT_POINTS and nothing changes; with it, that spend is reported with
    `error_status` 1 and the others happen. An unknown account is NOT_FOUND either way."""
    amounts = [_points(detail, index) for index, detail in enumerate(request.spend_details)]
    order = sorted(range(len(amounts)), key=lambda i: request.spend_details[i].rank)
    spent: dict[int, _Spent] = {}
    async with db.write() as conn:
        await require_user(conn, request.retailer_id, request.user_id)
        for index in order:
            spent[index] = await _spend_one(conn, request, request.spend_details[index], amounts[index], now, actor)
        rows = await balances_in(conn, request.retailer_id, request.user_id, now)
    details = [spent[i].detail for i in range(len(amounts))]
    return SpendMultipleOut(
        details=details,
        retailer_id=request.retailer_id,
        user_id=request.user_id,
        summary=SpendSummaryOut(
            amount_spent=sum(d.amount_spent for d in details), remaining_balance=sum(r.available for r in rows)
        ),
        audits=[audit for audit in (spent[i].audit for i in order) if audit is not None],
        time_of_occurrence=iso_z(now) or "",
    )
