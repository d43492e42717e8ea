"""The points API's use cases: accounts, deposit, spend, balances, history. Each owns one transaction
and writes through `points.ledger.post`; an earn deposit also runs the account's threshold rules, which
is why this module sits above both `points` and `rules`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, NotFound, ValidationFailed
from openoffers.kit.ids import new_id
from openoffers.loyalty import expiry
from openoffers.loyalty.points import repository as repo
from openoffers.loyalty.points.ledger import Posted, audit_posted, post, require_user
from openoffers.loyalty.points.repository import PointAccountRow
from openoffers.loyalty.rules import clawback, engine
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
from openoffers.tenancy import audit
from openoffers.tenancy import repository as tenancy_repo
from openoffers.wallet import audited
from openoffers.wallet import history as wallet_history
from openoffers.wallet import service as users
from openoffers.wallet.lifecycle import SYSTEM_ACTOR
from openoffers.wallet.schemas import CreateUserRequest, UserOut, WalletOut, WalletRequest


def _account_out(account: PointAccountRow) -> PointAccountOut:
    return PointAccountOut(
        point_account_id=account.id,
        name=account.name,
        grouping_label=account.grouping_label,
        is_default=account.is_default,
        created_at=iso_z(account.created_at) or "",
    )


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
            # Earned points fire the account's threshold rules, in this same transaction.
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
            await audit_posted(conn, request.retailer_id, request.user_id, "earn", request.amount, posted, now)
            return _change_result(request.user_id, posted)
        await require_user(conn, request.retailer_id, request.user_id)
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
        await audit_posted(conn, request.retailer_id, request.user_id, request.kind, request.amount, posted, now)
    return _change_result(request.user_id, posted)


async def spend(db: Database, request: SpendRequest, now: datetime, actor: str) -> PointsChangeResult:
    async with db.write() as conn:
        await require_user(conn, request.retailer_id, request.user_id)
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
        await audit_posted(conn, request.retailer_id, request.user_id, "spend", -request.amount, posted, now)
    return _change_result(request.user_id, posted)


async def points_clawback(db: Database, retailer_id: UUID) -> str:
    """The retailer's choice for points a return or void takes back after they were spent:
    "negative" (default) or "floor" (loyalty/rules/clawback.py)."""
    async with db.read() as conn:
        await tenancy_repo.require_retailer(conn, retailer_id)
        return await clawback.policy_of(conn, retailer_id)


async def set_points_clawback(db: Database, retailer_id: UUID, policy: str, now: datetime) -> None:
    await set_loyalty_settings(db, retailer_id, now, clawback_policy=policy)


@dataclass(frozen=True, slots=True)
class LoyaltySettings:
    """The retailer's loyalty choices as the CLI and the admin's settings page show them."""

    points_clawback: str  # "negative" or "floor"
    points_expiry_months: int  # 0: points never expire

    def as_json(self) -> dict[str, Any]:
        return {"points_clawback": self.points_clawback, "points_expiry_months": self.points_expiry_months}


async def _settings_in(conn: AsyncConnection, retailer_id: UUID) -> LoyaltySettings:
    months = (await expiry.setting_of(conn, retailer_id)).months or 0
    return LoyaltySettings(await clawback.policy_of(conn, retailer_id), months)


async def loyalty_settings(db: Database, retailer_id: UUID) -> LoyaltySettings:
    async with db.read() as conn:
        await tenancy_repo.require_retailer(conn, retailer_id)
        return await _settings_in(conn, retailer_id)


async def set_loyalty_settings(
    db: Database,
    retailer_id: UUID,
    now: datetime,
    *,
    clawback_policy: str | None = None,
    expiry_months: int | None = None,
) -> LoyaltySettings:
    """Change the choices given (None: leave it) in one transaction, audited with the before and after
    when anything changed. `expiry_months` 0 turns expiry off (loyalty/expiry.py)."""
    async with db.write() as conn:
        await tenancy_repo.require_retailer(conn, retailer_id)
        before = await _settings_in(conn, retailer_id)
        if clawback_policy is not None and clawback_policy != before.points_clawback:
            await clawback.set_policy(conn, retailer_id, clawback_policy, now)
        if expiry_months is not None and expiry.months_of(expiry_months) != (before.points_expiry_months or None):
            await expiry.set_setting(conn, retailer_id, expiry_months, now)
        after = await _settings_in(conn, retailer_id)
        if after != before:
            await audit.record(
                conn,
                retailer_id=retailer_id,
                object_type="loyalty_settings",
                object_id=retailer_id,
                action="updated",
                before=before.as_json(),
                after=after.as_json(),
                now=now,
            )
        return after


async def upcoming_expiries(db: Database, retailer_id: UUID, user_id: UUID, now: datetime) -> list[tuple[date, int]]:
    """The customer's points still to expire, over all accounts: (the last local day they can be used,
    points), soonest first. Empty when the retailer's points never expire."""
    due: dict[date, int] = {}
    async with db.read() as conn:
        policy = await expiry.policy_of(conn, retailer_id)
        if policy is None:
            return []
        for account in await repo.user_balances(conn, retailer_id, user_id):
            if account.balance is None:
                continue
            book = await expiry.book_of(conn, retailer_id, account.account.id, user_id, policy)
            for at, points in book.upcoming(now):
                last_day = (at.astimezone(policy.zone) - timedelta(days=1)).date()
                due[last_day] = due.get(last_day, 0) + points
    return sorted(due.items())


async def expire_points(db: Database, now: datetime, *, batch: int = expiry.BATCH) -> int:
    """Record every point expiry due by `now` (housekeeping, `openoffers points expire`): lots expired."""
    return await expiry.expire_due(db, now, batch=batch)


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
        await audit.record(
            conn,
            retailer_id=account.retailer_id,
            object_type="point_account",
            object_id=account.id,
            action="created",
            before=None,
            after={"name": account.name, "grouping_label": account.grouping_label},
            now=now,
        )
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
        await require_user(conn, request.retailer_id, request.user_id)
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
        await require_user(conn, request.retailer_id, request.user_id)
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


# ------------------------------------------------------------------ calls that span points and wallet


async def create_user(db: Database, request: CreateUserRequest, now: datetime) -> UserOut:
    """users/create: the customer, then the enrolment rules (welcome offers), in one transaction. The
    audit log gets the customer; what the rules give them is in their ledger and offers' histories."""
    async with db.write() as conn:
        user = await users.create_user_in(conn, request, now)
        await audited.customer_created(conn, user, now)
        await engine.on_user_enrolled(conn, retailer_id=user.retailer_id, user_id=user.id, now=now, actor=SYSTEM_ACTOR)
    return users.user_out(user)


async def get_user_offers(db: Database, request: WalletRequest, now: datetime) -> WalletOut:
    """The Offers API's wallet: the user, a page of their redeemable offers, their point totals, and the
    wallet's one offer group and category (the public shape of Braze's SessionM integration page)."""
    async with db.read() as conn:
        total, offers = await wallet_history.wallet_page(conn, request, now)  # USER_NOT_FOUND first
        user = await users.find_user(conn, request.retailer_id, user_id=request.user_id)
        available, lifetime = await repo.point_totals(conn, request.retailer_id, request.user_id)
    return WalletOut(
        user=users.user_out(user),
        user_id=user.id,
        user_offers=offers,
        total_records=total,
        offer_groups=wallet_history.ALL_OFFERS,
        offer_categories=wallet_history.ALL_OFFERS,
        total_points=lifetime,
        available_points=available,
    )
