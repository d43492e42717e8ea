"""Restriction checks, in PRICING.md's order; the first failure is the offer's reason.

Order: stores, channels, days of week and time of day, min_subtotal, min_quantity, required_items,
catalog, max_uses, exclusive. Decisions where PRICING.md is silent:
- Store ids and tags, and channels, compare case-insensitively (ids are UUIDs, tags are labels).
- A check without a channel fails a channels restriction.
- min_quantity and required_items look at root lines only (modifiers never qualify on their own) with
  a quantity above zero; min_quantity counts units (whole quantity n = n, fractional = 1) whatever
  their remaining amount, and with no items or categories listed every root line matches.
- min_subtotal compares the whole check's remaining total (every line, before this discount).
- A kind that discounts nothing (manual_fulfillment) discounts no lines, so its catalog check only
  asks for one root line passing the catalog restrictions (when it has any), not for a remaining
  amount.
- exclusive: an exclusive offer needs a check with no discount at all (zero-amount ones included);
  any offer fails when one of the check's discounts is exclusive.
"""

from __future__ import annotations

import calendar
import datetime as dt

from .basket import Group, root_matches
from .check import Pool, PreparedCheck
from .kinds.base import Kind
from .model import Context, Ineligible, Reason
from .terms import (
    WEEKDAY_NAMES,
    Channels,
    DaysOfWeek,
    LocationRestriction,
    MaxUses,
    MinQuantity,
    MinSubtotal,
    Mode,
    OfferTerms,
    PeriodUnit,
    RequiredItems,
    TimeOfDay,
)

_FIXED_UNITS = {
    PeriodUnit.MINUTES: dt.timedelta(minutes=1),
    PeriodUnit.HOURS: dt.timedelta(hours=1),
    PeriodUnit.DAYS: dt.timedelta(days=1),
    PeriodUnit.WEEKS: dt.timedelta(weeks=1),
}


def max_uses_period_start(restriction: MaxUses, now: dt.datetime) -> dt.datetime:
    """Start of the rolling max_uses window ending at `now`: count redemptions at or after it.

    Minutes to weeks are exact durations; months and years step back on the calendar in `now`'s own
    offset (pass UTC), clamping the day to the month's length (31 March minus one month is 28 or 29
    February). A window reaching past year 1 starts at the earliest representable time.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    earliest = dt.datetime.min.replace(tzinfo=now.tzinfo)
    unit = restriction.period_unit
    if unit in _FIXED_UNITS:
        try:
            return now - _FIXED_UNITS[unit] * restriction.period_value
        except OverflowError:
            return earliest
    months = restriction.period_value * (12 if unit is PeriodUnit.YEARS else 1)
    year, month_index = divmod(now.year * 12 + now.month - 1 - months, 12)
    if year < dt.MINYEAR:
        return earliest
    day = min(now.day, calendar.monthrange(year, month_index + 1)[1])
    return now.replace(year=year, month=month_index + 1, day=day)


def check_restrictions(
    terms: OfferTerms, kind: Kind, check: PreparedCheck, pool: Pool, context: Context
) -> Ineligible | None:
    """The first failing restriction as an `Ineligible`, or None when all pass; `pool` is what
    the offer's catalog restrictions let it touch (`PreparedCheck.pool`)."""
    use = terms.use
    purchase = terms.purchase
    groups = check.layout.groups
    failure = _stores(terms.location, context)
    if use and failure is None:
        failure = _channels([r for r in use if isinstance(r, Channels)], context) or _time(
            [r for r in use if isinstance(r, DaysOfWeek | TimeOfDay)], context
        )
    if purchase and failure is None:
        failure = (
            _min_subtotal([r for r in purchase if isinstance(r, MinSubtotal)], check.total)
            or _min_quantity([r for r in purchase if isinstance(r, MinQuantity)], groups)
            or _required_items([r for r in purchase if isinstance(r, RequiredItems)], groups)
        )
    return (
        failure
        or _catalog(terms, kind, check, pool)
        or (_max_uses([r for r in use if isinstance(r, MaxUses)], context) if use else None)
        or _stacking(terms, check)
    )


def check_listing(
    terms: OfferTerms, kind: Kind, check: PreparedCheck, pool: Pool, context: Context
) -> Ineligible | None:
    """Only the store and catalog restrictions (public: a Lookup with a transaction lists the offers that
    pass these two, whatever the others say), in `check_restrictions`' order."""
    return _stores(terms.location, context) or _catalog(terms, kind, check, pool)


def _stores(restrictions: tuple[LocationRestriction, ...], context: Context) -> Ineligible | None:
    if not restrictions:
        return None
    store = context.store_id.casefold()
    tags = {tag.casefold() for tag in context.store_tags}
    for restriction in restrictions:
        listed = store in {s.casefold() for s in restriction.store_ids} or not tags.isdisjoint(
            t.casefold() for t in restriction.store_tags
        )
        if listed != (restriction.mode is Mode.INCLUDE):
            verb = "is not among" if restriction.mode is Mode.INCLUDE else "is excluded by"
            return Ineligible(Reason.STORE_NOT_ELIGIBLE, f"store {context.store_id} {verb} the offer's stores")
    return None


def _channels(restrictions: list[Channels], context: Context) -> Ineligible | None:
    channel = (context.channel or "").casefold()
    for restriction in restrictions:
        allowed = {c.casefold() for c in restriction.channels}
        if not channel or channel not in allowed:
            return Ineligible(
                Reason.CHANNEL_NOT_ELIGIBLE,
                f"channel {context.channel!r} is not one of {', '.join(restriction.channels)}",
            )
    return None


def _time(restrictions: list[DaysOfWeek | TimeOfDay], context: Context) -> Ineligible | None:
    local = context.local_time
    for restriction in restrictions:
        if isinstance(restriction, DaysOfWeek):
            if local.weekday() not in restriction.weekdays():
                return Ineligible(
                    Reason.OUTSIDE_VALID_TIME,
                    f"not valid on {WEEKDAY_NAMES[local.weekday()]} (store time {local:%Y-%m-%d %H:%M})",
                )
        elif not restriction.contains(local.time()):
            return Ineligible(
                Reason.OUTSIDE_VALID_TIME,
                f"store time {local:%H:%M} is outside {restriction.start:%H:%M}-{restriction.end:%H:%M}",
            )
    return None


def _min_subtotal(restrictions: list[MinSubtotal], total: int) -> Ineligible | None:
    needed = max((restriction.amount for restriction in restrictions), default=0)
    if total < needed:
        return Ineligible(
            Reason.MIN_SUBTOTAL_NOT_MET,
            f"check total {total} is below the minimum {needed}",
            missing_amount=needed - total,
        )
    return None


def _min_quantity(restrictions: list[MinQuantity], groups: tuple[Group, ...]) -> Ineligible | None:
    for restriction in restrictions:
        listed_nothing = not restriction.item_ids and not restriction.category_ids
        units = sum(
            group.units
            for group in groups
            if listed_nothing
            or root_matches(group.root.item_id, group.categories, restriction.item_ids, restriction.category_ids)
        )
        if units < restriction.quantity:
            return Ineligible(
                Reason.MIN_QUANTITY_NOT_MET,
                f"{units} matching units, {restriction.quantity} needed",
                missing_quantity=restriction.quantity - units,
            )
    return None


def _required_items(restrictions: list[RequiredItems], groups: tuple[Group, ...]) -> Ineligible | None:
    if not restrictions:
        return None
    present = [group for group in groups if group.root.quantity > 0]
    items = {group.root.item_id for group in present}
    categories: set[str] = set()
    for group in present:
        categories |= group.categories
    for restriction in restrictions:
        missing = [i for i in restriction.item_ids if i not in items]
        missing += [f"category {c}" for c in restriction.category_ids if c not in categories]
        if missing:
            return Ineligible(
                Reason.REQUIRED_ITEMS_MISSING, f"missing {', '.join(missing)}", missing_items=tuple(missing)
            )
    return None


def _catalog(terms: OfferTerms, kind: Kind, check: PreparedCheck, pool: Pool) -> Ineligible | None:
    if kind.benefit is None:  # discounts nothing: it only needs a matching line
        groups = check.layout.groups
        if not terms.catalog or any(groups[index].root.quantity > 0 for index in pool.eligible.indices):
            return None
        return Ineligible(Reason.NO_ELIGIBLE_ITEMS, "no line on the check matches the offer's items")
    # An eligible line with a remaining amount above zero. Remaining amounts never go below zero, so
    # that is a positive eligible total (and an item kind never has to list the lines to know it).
    if pool.total > 0:
        return None
    return Ineligible(Reason.NO_ELIGIBLE_ITEMS, "no eligible line has an amount left to discount")


def _max_uses(restrictions: list[MaxUses], context: Context) -> Ineligible | None:
    for restriction in restrictions:
        if context.uses_in_period >= restriction.uses:
            return Ineligible(
                Reason.USE_LIMIT_REACHED,
                f"used {context.uses_in_period} times in the last {restriction.period_value} "
                f"{restriction.period_unit}; the limit is {restriction.uses}",
            )
    return None


def _stacking(terms: OfferTerms, check: PreparedCheck) -> Ineligible | None:
    if terms.exclusive and check.discounted:
        return Ineligible(Reason.NOT_STACKABLE, "an exclusive offer cannot join a check that has discounts")
    if check.exclusive:
        return Ineligible(Reason.NOT_STACKABLE, "the check already has an exclusive discount")
    return None
