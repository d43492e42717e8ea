"""`evaluate`: one offer against one check, as a `Discount` or an `Ineligible` reason.

Pure: the caller passes the time (`Context.now` plus the store's zone), the catalog's categories and
the customer's use count; nothing here reads a clock, a database or a setting.
"""

from __future__ import annotations

from .basket import build_groups, passes_catalog, remaining_amounts
from .discounts import discount_shares
from .kinds import kind_of
from .kinds.base import Level
from .model import Basket, Context, Discount, Ineligible
from .restrictions import check_restrictions
from .terms import OfferTerms


def evaluate(terms: OfferTerms, basket: Basket, context: Context) -> Discount | Ineligible:
    """Price `terms` on `basket`: restrictions first (the first failure is the reason), then the amount.

    The check's existing discounts apply first, in `stack_order`; the result's `stack_order` is one
    more than the highest on the check (0 if none). The same input always gives the same output.
    """
    groups = build_groups(basket.lines)
    remaining = remaining_amounts(basket)
    failure = check_restrictions(terms, basket, context, groups, remaining)
    if failure is not None:
        return failure
    stack_order = max((discount.stack_order for discount in basket.discounts), default=-1) + 1
    if kind_of(terms.offer_type).level is Level.NONE:
        return Discount(amount=0, line_shares=(), stack_order=stack_order)
    eligible = tuple(group for group in groups if passes_catalog(basket, group.root, terms.catalog))
    order = {line.line_id: index for index, line in enumerate(basket.lines)}
    amount, shares = discount_shares(terms, eligible, remaining, order)
    return Discount(amount=amount, line_shares=shares, stack_order=stack_order)
