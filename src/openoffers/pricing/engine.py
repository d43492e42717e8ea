"""`evaluate`: one offer against one check, as a `Discount` or an `Ineligible` reason; and `stack`,
many offers each on top of the discounts of the ones before it.

Pure: the caller passes the time (`Context.now` plus the store's zone), the catalog's categories and
the customer's use count; nothing here reads a clock, a database or a setting.
"""

from __future__ import annotations

from collections.abc import Iterable

from .check import PreparedCheck, prepare
from .discounts import discount_shares
from .kinds import KINDS
from .model import Basket, Context, Discount, Ineligible
from .restrictions import check_listing, check_restrictions
from .terms import OfferTerms


def evaluate(terms: OfferTerms, basket: Basket, context: Context) -> Discount | Ineligible:
    """Price `terms` on `basket`: restrictions first (the first failure is the reason), then the amount.

    The check's existing discounts apply first, in `stack_order`; the result's `stack_order` is one
    more than the highest on the check (0 if none). The same input always gives the same output.
    """
    return evaluate_prepared(terms, prepare(basket), context)


def evaluate_prepared(terms: OfferTerms, check: PreparedCheck, context: Context) -> Discount | Ineligible:
    """`evaluate` on a check prepared once (`pricing.prepare`) for all the offers priced on it."""
    kind = KINDS[terms.offer_type]  # OfferTerms holds an OfferType member, never a bare str
    pool = check.pool(terms.catalog)
    failure = check_restrictions(terms, kind, check, pool, context)
    if failure is not None:
        return failure
    if kind.benefit is None:
        return Discount(amount=0, line_shares=(), stack_order=check.next_stack_order)
    amount, shares = discount_shares(terms, kind, check, pool)
    return Discount(amount=amount, line_shares=shares, stack_order=check.next_stack_order)


def listing_failure(terms: OfferTerms, check: PreparedCheck, context: Context) -> Ineligible | None:
    """Why a Lookup with this check leaves the offer out: its store or catalog restriction fails (the
    first, in `evaluate`'s order), or None when it is listed (its other restrictions may still fail)."""
    return check_listing(terms, KINDS[terms.offer_type], check, check.pool(terms.catalog), context)


def stack(
    offers: Iterable[tuple[OfferTerms, Context]], check: Basket | PreparedCheck
) -> tuple[Discount | Ineligible, ...]:
    """Price each offer on the check with every earlier offer's `Discount` already on it.

    Exactly what calling `evaluate` for each offer in turn gives, with the basket rebuilt each time
    to hold every earlier `Discount` result as `as_existing(result, terms.exclusive)` (zero amounts
    included: they still count for exclusivity); an `Ineligible` result adds nothing. Groups are
    built once and remaining amounts updated per discount, so the cost is linear in offers x lines.
    """
    current = prepare(check) if isinstance(check, Basket) else check
    results: list[Discount | Ineligible] = []
    for terms, context in offers:
        result = evaluate_prepared(terms, current, context)
        if isinstance(result, Discount):
            current = current.stacked(result, exclusive=terms.exclusive)
        results.append(result)
    return tuple(results)
