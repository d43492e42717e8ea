"""The reward store: published `reward_store` offers with a `points_cost`, bought with points.

A purchase spends the points and issues the user offers in one transaction, or does neither: any
refusal (not enough points, inventory, per-customer or frequency limit) raises and rolls back all.
Lock order is the balance row, then the offer's revision, then the issuance counters, the same as
a closing POS check that earns points and then issues offers, so the two cannot deadlock.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict
from openoffers.kit.ids import new_id
from openoffers.loyalty.incentives import all_balances_out, balances_in
from openoffers.loyalty.points import ledger as loyalty
from openoffers.loyalty.points import repository as loyalty_repo
from openoffers.loyalty.points.ledger import require_user
from openoffers.loyalty.schemas import RewardStoreOut, UserRewardStoresOut, UserRewardStoresRequest
from openoffers.offers import repository as offers_repo
from openoffers.offers.presentation import definition_of
from openoffers.offers.repository import OfferRow
from openoffers.wallet import lifecycle
from openoffers.wallet.history import default_culture_of, localize
from openoffers.wallet.issuance import acquisition_refusal, issue_in, limits_of, resolve_target
from openoffers.wallet.schemas import (
    PurchaseRequest,
    PurchaseResult,
    RewardStoreList,
    RewardStoreOffer,
    RewardStoreRequest,
)
from openoffers.wallet.service import issue_status

NOT_IN_REWARD_STORE = "NOT_IN_REWARD_STORE"
# A retailer has one reward store, open to every customer; SessionM clients list stores by id and name.
REWARD_STORE_ID = UUID(int=0)
REWARD_STORE_NAME = "Reward Store"


def points_cost(offer: OfferRow) -> int | None:
    """The cost of one copy, when the offer is in the reward store."""
    cost = offer.definition["common_config"].get("points_cost")
    return int(cost) if offer.reward_store and cost else None


async def reward_store_offers(db: Database, request: RewardStoreRequest, now: datetime) -> RewardStoreList:
    """Offers that can be bought now, newest first; with a `user_id`, that user's default-account points."""
    async with db.read() as conn:
        available: int | None = None
        if request.user_id is not None:
            await require_user(conn, request.retailer_id, request.user_id)
            account_id = loyalty_repo.default_account_id(request.retailer_id)
            balance = await loyalty_repo.get_balance(conn, request.retailer_id, account_id, request.user_id)
            available = balance.available if balance else 0
        total, results = await _offers_in(conn, request.retailer_id, request.culture, request.skip, request.take, now)
    return RewardStoreList(total_records=total, results=results, available_points=available)


async def _offers_in(
    conn: AsyncConnection, retailer_id: UUID, culture: str | None, skip: int, take: int, now: datetime
) -> tuple[int, list[RewardStoreOffer]]:
    total, rows = await offers_repo.reward_store_offers(conn, retailer_id, now, skip=skip, take=take)
    counts = await offers_repo.offer_counts(conn, retailer_id, [r.root_offer_id for r in rows])
    default_culture = await default_culture_of(conn, retailer_id)
    results: list[RewardStoreOffer] = []
    for row in rows:
        text = localize(row, culture, default_culture)
        inventory = limits_of(definition_of(row)).inventory
        results.append(
            RewardStoreOffer(
                offer_id=row.id,
                root_offer_id=row.root_offer_id,
                offer_type=row.offer_type,
                title=text.title,
                description=text.description,
                terms=text.terms,
                culture=text.culture,
                media_uri=text.media_uri,
                media_culture=text.media_culture,
                points_cost=points_cost(row) or 0,
                acquisition_start_date=iso_z(row.acquisition_start),
                acquisition_end_date=iso_z(row.acquisition_end),
                total_inventory=inventory,
                available_inventory_remaining=counts[row.root_offer_id].remaining(inventory),
            )
        )
    return total, results


async def user_reward_stores(db: Database, request: UserRewardStoresRequest, now: datetime) -> UserRewardStoresOut:
    """rewardstores/get_user_reward_stores: the reward stores the user may buy in (a retailer has one, every
    customer may use it) with a page of their offers, and with `include_point_balances` the user's
    balances in all_balances' shape."""
    async with db.read() as conn:
        await require_user(conn, request.retailer_id, request.user_id)
        total, results = await _offers_in(conn, request.retailer_id, request.culture, request.skip, request.take, now)
        rows = (
            await balances_in(conn, request.retailer_id, request.user_id, now)
            if request.include_point_balances
            else None
        )
    return UserRewardStoresOut(
        user_id=request.user_id,
        reward_stores=[RewardStoreOut(id=REWARD_STORE_ID, name=REWARD_STORE_NAME, total_records=total, offers=results)],
        point_balances=None if rows is None else all_balances_out(request.retailer_id, request.user_id, rows),
    )


def _refuse(reason: str, message: str) -> Conflict:
    return Conflict(message, reason=reason, fields={"offer_id": [reason.lower().replace("_", " ")]})


async def purchase(db: Database, request: PurchaseRequest, now: datetime, actor: str) -> PurchaseResult:
    """Spend `points_cost x quantity` and issue `quantity` user offers of the offer's newest revision."""
    retailer_id, user_id = request.retailer_id, request.user_id
    async with db.write() as conn:
        await require_user(conn, retailer_id, user_id)
        w = await lifecycle.begin_user_write(conn, retailer_id, user_id, now, actor)
        probe = await resolve_target(conn, retailer_id, request.offer_id, exact=False, mark=False)
        cost = points_cost(probe.latest)
        if cost is None:
            raise _refuse(NOT_IN_REWARD_STORE, "this offer is not sold in the reward store")
        refusal = acquisition_refusal(probe.latest, now)
        if refusal is not None:
            raise _refuse(refusal, f"the offer cannot be acquired now: {refusal}")
        user_offer_ids = [new_id() for _ in range(request.quantity)]
        named = await loyalty.paying_account(
            conn, retailer_id, user_id, request.point_account_ids, cost * request.quantity, now
        )
        posted = await loyalty.post(
            conn,
            retailer_id=retailer_id,
            user_id=user_id,
            account_id=named or request.point_account_id,
            kind="spend",
            amount=cost * request.quantity,
            now=now,
            actor=actor,
            reason=f"reward store: {probe.latest.title}"[:500],
            detail={"offer_id": str(probe.latest.id), "user_offer_ids": [str(i) for i in user_offer_ids]},
        )
        # Marked only now (after the balance row, see the module docstring); if the price changed in
        # between, this purchase was priced on a stale read: refuse rather than charge the old price.
        target = await resolve_target(conn, retailer_id, request.offer_id, exact=False)
        if target.revision.id != probe.latest.id or points_cost(target.revision) != cost:
            raise Conflict("the offer changed while buying it; retry", fields={"offer_id": ["changed concurrently"]})
        outcomes = await issue_in(
            w,
            offer_id=target.revision.id,
            quantity=request.quantity,
            source="reward_store",
            reason="bought in the reward store",
            detail={"points_cost": cost, "ledger_entry_id": posted.entry_id},
            all_or_nothing=True,
            user_offer_ids=user_offer_ids,
            target=target,
        )
    return PurchaseResult(
        status_list=[issue_status(o) for o in outcomes],
        points_spent=cost * request.quantity,
        point_account_id=posted.account_id,
        available_balance=posted.available,
    )
