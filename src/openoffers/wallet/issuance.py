"""Issuing offers to users inside a caller's transaction: the API's issue, the reward store, the demo
and (later) loyalty rules all go through `issue_in`.

Order of work, which is also the lock order everywhere (so concurrent requests cannot deadlock on
PostgreSQL): mark the revision referenced (its row lock stops an in-place update from slipping in),
read the definition, then per copy the (offer, user) counter, the offer's inventory counter, and the
insert. The per-customer maximum and the inventory are conditional updates; the frequency count runs
while the (offer, user) row is held, so it cannot race either.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import as_utc
from openoffers.kit.errors import Conflict, OfferNotFound, UserNotFound
from openoffers.kit.ids import new_id
from openoffers.offers import repository as offers_repo
from openoffers.offers.presentation import definition_of
from openoffers.offers.repository import DELETED, PUBLISHED, OfferRow
from openoffers.offers.schemas import CommonConfig, Frequency, Inventory, OfferDefinition, PerCustomer
from openoffers.wallet import counters, lifecycle
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.lifecycle import ISSUED, UserWrite
from openoffers.wallet.repository import UserOfferRow

# fail_reason values (also the `reason` of a refused reward store purchase).
OFFER_NOT_PUBLISHED = "OFFER_NOT_PUBLISHED"
ACQUISITION_NOT_STARTED = "ACQUISITION_NOT_STARTED"
ACQUISITION_ENDED = "ACQUISITION_ENDED"
INVENTORY_EXHAUSTED = "INVENTORY_EXHAUSTED"
PER_CUSTOMER_LIMIT = "PER_CUSTOMER_LIMIT"
FREQUENCY_LIMIT = "FREQUENCY_LIMIT"
# The wire's `fail_reason` is a number (the public .NET client reads it as an `int`: 0 when issued); the
# code above goes beside it as `fail_reason_code`. The numbers are ours (SessionM publishes none) and
# never change meaning: a new reason gets the next number. docs/DECISIONS.md lists them.
FAIL_REASON_NUMBERS: dict[str, int] = {
    OFFER_NOT_PUBLISHED: 1,
    ACQUISITION_NOT_STARTED: 2,
    ACQUISITION_ENDED: 3,
    INVENTORY_EXHAUSTED: 4,
    PER_CUSTOMER_LIMIT: 5,
    FREQUENCY_LIMIT: 6,
}


def fail_reason_number(code: str | None) -> int:
    """0 for an issued copy, else the reason's documented number."""
    return 0 if code is None else FAIL_REASON_NUMBERS[code]


_FIXED_UNITS = frozenset({"minutes", "hours", "days", "weeks"})


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise OverflowError("year out of range")
    # Calendar months: Jan 31 + 1 month is Feb 28 (or 29), never Mar 3.
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def shift(moment: datetime, unit: str, amount: int) -> datetime | None:
    """`moment` moved by `amount` units (negative goes back); months and years by the calendar with
    the day clamped. None when the result is past what a datetime can hold (effectively never)."""
    try:
        if unit in _FIXED_UNITS:
            return moment + timedelta(**{unit: amount})
        if unit == "months":
            return _add_months(moment, amount)
        if unit == "years":
            return _add_months(moment, 12 * amount)
    except OverflowError:
        return None
    raise ValueError(f"unknown period unit {unit!r}")


def redemption_window(common: CommonConfig, acquired_at: datetime) -> tuple[datetime, datetime | None]:
    """API.md 4: from acquisition; ends `validity_period validity_unit` later, and also at the offer's
    acquisition end unless `valid_after_end_date`; never when `does_not_expire`. None = never ends."""
    if common.does_not_expire:
        return acquired_at, None
    ends: list[datetime] = []
    if common.validity_unit is not None and common.validity_period:
        end = shift(acquired_at, common.validity_unit, common.validity_period)
        if end is not None:
            ends.append(end)
    if common.acquisition_end_date is not None and not common.valid_after_end_date:
        ends.append(as_utc(common.acquisition_end_date))
    return acquired_at, min(ends) if ends else None


@dataclass(frozen=True, slots=True)
class Limits:
    inventory: int | None = None
    per_customer: int | None = None
    frequency: Frequency | None = None


def limits_of(definition: OfferDefinition) -> Limits:
    inventory = per_customer = None
    frequency = None
    for restriction in definition.issuance_restrictions:
        if isinstance(restriction, Inventory):
            inventory = restriction.total
        elif isinstance(restriction, PerCustomer):
            per_customer = restriction.max
        elif isinstance(restriction, Frequency):
            frequency = restriction
    return Limits(inventory, per_customer, frequency)


def acquisition_refusal(offer: OfferRow, now: datetime) -> str | None:
    """Why the offer cannot be acquired now (status and acquisition window), or None."""
    if offer.status != PUBLISHED:
        return OFFER_NOT_PUBLISHED
    if offer.acquisition_start is not None and now < offer.acquisition_start:
        return ACQUISITION_NOT_STARTED
    if offer.acquisition_end is not None and now > offer.acquisition_end:
        return ACQUISITION_ENDED
    return None


@dataclass(frozen=True, slots=True)
class Issued:
    """One copy's outcome: a user offer id, or the reason it was not issued."""

    user_id: UUID
    user_offer_id: UUID | None
    offer_id: UUID
    root_offer_id: UUID
    fail_reason: str | None


@dataclass(frozen=True, slots=True)
class Target:
    """The revision a request issues, and the latest one whose settings govern issuance."""

    revision: OfferRow
    latest: OfferRow


def _not_found(offer_id: UUID) -> OfferNotFound:
    return OfferNotFound(f"offer {offer_id} not found", fields={"offer_id": ["not found"]})


async def resolve_target(
    conn: AsyncConnection, retailer_id: UUID, offer_id: UUID, *, exact: bool, mark: bool = True
) -> Target:
    """The revision to issue (`offer_id` itself when `exact`, else the newest), marked referenced
    before its definition is read. A deleted or unknown offer is OFFER_NOT_FOUND."""
    given = await offers_repo.get_offer(conn, retailer_id, offer_id)
    if given is None or given.status == DELETED:
        raise _not_found(offer_id)
    # A concurrent revision can retire the latest between our read and our mark: look again.
    for _ in range(3):
        wanted = given if exact else await offers_repo.get_latest(conn, retailer_id, given.root_offer_id)
        if wanted is None:
            raise _not_found(offer_id)
        if mark:
            await offers_repo.mark_referenced(conn, retailer_id, wanted.id)
        revision = await offers_repo.get_offer(conn, retailer_id, wanted.id)
        if revision is None or revision.status == DELETED:
            raise _not_found(offer_id)
        if revision.is_latest:
            return Target(revision, revision)
        if exact:
            latest = await offers_repo.get_latest(conn, retailer_id, revision.root_offer_id)
            return Target(revision, latest or revision)
    raise Conflict("the offer is being revised; retry", fields={"offer_id": ["changed concurrently"]})


async def _one_copy(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, root: UUID, limits: Limits, now: datetime, *, first: bool
) -> str | None:
    """Claim one copy against every issuance restriction; the refusal reason, or None when claimed."""
    if not await counters.claim_customer_slot(conn, retailer_id, root, user_id, limits.per_customer):
        return PER_CUSTOMER_LIMIT
    if first and limits.inventory is not None:
        # Only now, with the (offer, user) row held: the inventory row is always locked second.
        await counters.ensure_inventory(conn, retailer_id, root, limits.inventory)
    if limits.frequency is not None:
        since = shift(now, limits.frequency.period_unit, -limits.frequency.period_value)
        recent = await counters.count_issued_since(conn, retailer_id, root, user_id, since)
        if recent + 1 > limits.frequency.max:
            await counters.release_customer_slot(conn, retailer_id, root, user_id)
            return FREQUENCY_LIMIT
    if limits.inventory is not None and not await counters.take_inventory(conn, retailer_id, root):
        await counters.release_customer_slot(conn, retailer_id, root, user_id)
        return INVENTORY_EXHAUSTED
    return None


async def issue_in(
    w: UserWrite,
    *,
    offer_id: UUID,
    quantity: int,
    source: str,
    exact: bool = False,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    all_or_nothing: bool = False,
    user_offer_ids: Sequence[UUID] | None = None,
    target: Target | None = None,
) -> list[Issued]:
    """Issue up to `quantity` copies to `w`'s customer in its transaction; one `Issued` per copy.

    Copies are claimed one at a time; once one is refused the rest are refused for the same reason.
    With `all_or_nothing` a refusal raises CONFLICT (with the reason) instead, so the caller's whole
    transaction rolls back. `user_offer_ids` fixes the new ids (the demo uses the guide's); `target`
    skips resolving when the caller already resolved and marked the revision.
    """
    conn, retailer_id, user_id, now = w.conn, w.retailer_id, w.user_id, w.now
    if await users_repo.get_user(conn, retailer_id, user_id) is None:
        raise UserNotFound("user not found", fields={"user_id": ["not found"]})
    if target is None:
        # Check status and window before marking, so a refused draft is not marked referenced.
        probe = await resolve_target(conn, retailer_id, offer_id, exact=exact, mark=False)
        refusal = acquisition_refusal(probe.latest, now)
        target = probe if refusal else await resolve_target(conn, retailer_id, offer_id, exact=exact)
    revision, latest = target.revision, target.latest
    root = revision.root_offer_id
    refusal = acquisition_refusal(latest, now)
    if refusal is not None and all_or_nothing:
        raise Conflict(f"the offer cannot be acquired: {refusal}", reason=refusal)
    outcomes: list[Issued] = []
    if refusal is None:
        limits = limits_of(definition_of(latest))
        start, end = redemption_window(definition_of(revision).common_config, now)
        ids = list(user_offer_ids or [])
        for index in range(quantity):
            refusal = await _one_copy(conn, retailer_id, user_id, root, limits, now, first=index == 0)
            if refusal is not None:
                break
            user_offer_id = ids[index] if index < len(ids) else new_id()
            await lifecycle.issue(
                w,
                UserOfferRow(
                    id=user_offer_id,
                    retailer_id=retailer_id,
                    user_id=user_id,
                    offer_id=revision.id,
                    root_offer_id=root,
                    status=ISSUED,
                    acquired_at=now,
                    redemption_start=start,
                    redemption_end=end,
                    source=source,
                    updated_at=now,
                ),
                reason=reason,
                detail={"source": source, **(detail or {})},
            )
            outcomes.append(Issued(user_id, user_offer_id, revision.id, root, None))
    if refusal is not None:
        if all_or_nothing:
            raise Conflict(f"the offer cannot be acquired: {refusal}", reason=refusal)
        outcomes.extend(Issued(user_id, None, revision.id, root, refusal) for _ in range(quantity - len(outcomes)))
    return outcomes
