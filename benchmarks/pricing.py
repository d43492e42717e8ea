"""Pricing micro-benchmark (`make bench`): many offers priced over one check, in process.

A mix of check, item, Buy X Get Y and set-price offers, some with a catalog restriction or a minimum
subtotal, over lines with modifiers and several units. Only the public `openoffers.pricing` names are
used, three ways:

- each on one check: what a Lookup with a check asks of the pure engine. The check is prepared once
  and every offer is priced on its own against it (`evaluate_prepared`, then `listing_failure` for an
  offer that fails), none on top of another's discount. Lock prices its one offer the same way, and
  close prices each of the check's discounts on the check holding the ones before it (and again with
  all the others), also with `evaluate_prepared`; none of them calls `stack`;
- `pricing.stack`: offer k evaluated on the check already carrying the discounts of offers 0..k-1
  (prepared once, each discount put on top), measured against issue 10's targets;
- `evaluate` called once per offer with the basket rebuilt to carry the earlier discounts, as a caller
  without `stack` would do (for reference: it grows with offers x offers x lines).

The first two are checked against plain `evaluate` calls before measuring. Prints the median milliseconds of
a full evaluation (all offers).

Usage: python benchmarks/pricing.py [--rounds N] [--seconds S]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openoffers.pricing import (
    Basket,
    CatalogRestriction,
    Context,
    Discount,
    ExistingDiscount,
    Line,
    MinSubtotal,
    OfferTerms,
    OfferType,
    evaluate,
    evaluate_prepared,
    listing_failure,
    prepare,
    stack,
)

# (offers, lines, target ms per full evaluation)
CASES = [(20, 20, 1.0), (100, 50, 15.0)]

# Cycled through by offer number; every fourth offer also carries a restriction.
SHAPES = [
    OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=200),
    OfferTerms(OfferType.PERCENT_ITEM_DISCOUNT, percent_bp=1000, max_items=2),
    OfferTerms(OfferType.BUY_X_GET_Y_PERCENT, buy_count=2, get_count=1, percent_bp=10_000, recurrence=2),
    OfferTerms(OfferType.SET_PRICE_COUPON, price=100),
    OfferTerms(OfferType.PERCENT_CHECK_DISCOUNT, percent_bp=500, max_discount=1000),
    OfferTerms(OfferType.FIXED_AMOUNT_ITEM_DISCOUNT, amount=50, max_items=3),
    OfferTerms(OfferType.BUY_X_GET_Y_FIXED, buy_count=1, get_count=1, amount=75),
]


def offers(count: int) -> list[OfferTerms]:
    result = []
    for number in range(count):
        shape = SHAPES[number % len(SHAPES)]
        if number % 4 == 3:
            catalog = (CatalogRestriction(item_ids=tuple(f"item-{i}" for i in range(0, 10, 2))),)
            shape = dataclasses.replace(shape, catalog=catalog, purchase=(MinSubtotal(1000),))
        result.append(shape)
    return result


def check(count: int) -> tuple[Line, ...]:
    """`count` lines: ten items, one to three units each, every fourth line a modifier of the last."""
    lines = []
    for number in range(count):
        quantity = 1 + number % 3
        unit = 250 + 100 * (number % 5)
        modifies = str(number - 1) if number % 4 == 3 else None
        lines.append(Line(str(number), f"item-{number % 10}", Decimal(quantity), unit, unit * quantity, modifies))
    return tuple(lines)


CONTEXT = Context(
    store_id="store-1", now=dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC), time_zone=ZoneInfo("America/New_York")
)


def stacked(terms: list[OfferTerms], lines: tuple[Line, ...]) -> int:
    """Evaluate each offer on the basket carrying the earlier offers' discounts; how many applied."""
    discounts: list[ExistingDiscount] = []
    for offer in terms:
        result = evaluate(offer, Basket(lines, tuple(discounts)), CONTEXT)
        if isinstance(result, Discount) and result.amount:
            discounts.append(
                ExistingDiscount(
                    amount=result.amount,
                    discounted_line_ids=result.discounted_line_ids,
                    stack_order=result.stack_order,
                    line_shares=tuple((share.line_id, share.amount) for share in result.line_shares),
                )
            )
    return len(discounts)


def stacked_by_engine(terms: list[OfferTerms], lines: tuple[Line, ...]) -> int:
    """`stacked` through `pricing.stack`."""
    results = stack([(offer, CONTEXT) for offer in terms], Basket(lines, ()))
    return sum(1 for result in results if isinstance(result, Discount) and result.amount)


def each_on_one_check(terms: list[OfferTerms], lines: tuple[Line, ...]) -> int:
    """Price every offer on its own against one prepared check, as a Lookup does; how many applied."""
    prepared = prepare(Basket(lines, ()))
    applied = 0
    for offer in terms:
        result = evaluate_prepared(offer, prepared, CONTEXT)
        if isinstance(result, Discount):
            applied += 1 if result.amount else 0
        else:
            listing_failure(offer, prepared, CONTEXT)  # a Lookup asks whether to list an ineligible offer
    return applied


def each_by_evaluate(terms: list[OfferTerms], lines: tuple[Line, ...]) -> int:
    """`each_on_one_check` with `evaluate` and the basket built for every offer."""
    results = [evaluate(offer, Basket(lines, ()), CONTEXT) for offer in terms]
    return sum(1 for result in results if isinstance(result, Discount) and result.amount)


Run = Callable[[list[OfferTerms], tuple[Line, ...]], int]

# (row name, what is measured, the plain `evaluate` calls it must agree with (None: it is those
# calls), whether issue 10's targets apply, the flag printed otherwise)
WAYS: list[tuple[str, Run, Run | None, bool, str]] = [
    ("each on one check", each_on_one_check, each_by_evaluate, False, "(a Lookup)"),
    ("pricing.stack", stacked_by_engine, stacked, True, ""),
    ("evaluate loop", stacked, None, False, "(reference)"),
]


def measure(
    count: int, lines: int, run: Run, reference: Run | None, *, rounds: int, seconds: float
) -> tuple[float, int]:
    """Median ms of one full evaluation over `rounds` rounds of about `seconds` each (bounded in
    calls too), and how many of the offers applied."""
    terms, basket_lines = offers(count), check(lines)
    applied = run(terms, basket_lines)  # warm-up, and the number reported
    if reference is not None and applied != reference(terms, basket_lines):
        raise SystemExit(f"{run.__name__} and {reference.__name__} disagree")
    medians: list[float] = []
    for _ in range(rounds):
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and len(times) < 10_000:
            start = time.perf_counter()
            run(terms, basket_lines)
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times))
    return statistics.median(medians) * 1000, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"\nPricing, in process: median ms per full evaluation of every offer, {args.rounds} rounds")
    print(f"{'case':<46}{'applied':>9}{'ms':>10}{'target':>10}  flags")
    for way, run, reference, targeted, flag in WAYS:
        for count, lines, target in CASES:
            ms, applied = measure(count, lines, run, reference, rounds=args.rounds, seconds=args.seconds)
            name = f"{count} offers x {lines} lines, {way}"
            if targeted:
                verdict = "ok" if ms <= target else "over target"
                print(f"{name:<46}{applied:>9}{ms:>10.2f}{f'<={target:g}':>10}  {verdict}")
            else:
                print(f"{name:<46}{applied:>9}{ms:>10.2f}{'':>10}  {flag}")


if __name__ == "__main__":
    main()
