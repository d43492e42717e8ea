"""Each restriction kind passing and failing with its exact reason, and the order they are checked in."""

import datetime as dt

import pytest

from openoffers.pricing import (
    CatalogRestriction,
    Channels,
    DaysOfWeek,
    ExistingDiscount,
    LocationRestriction,
    MaxUses,
    MinQuantity,
    MinSubtotal,
    Mode,
    OfferTerms,
    OfferType,
    PeriodUnit,
    RequiredItems,
    TimeOfDay,
    max_uses_period_start,
)
from openoffers.pricing.terms import PurchaseRestriction, UseRestriction
from tests.pricing.pricing_helpers import NEW_YORK, UTC, WEDNESDAY, basket, context, discount, line, reason

CHECK = basket(line("A", 1000, item_id="latte"), line("B", 500, item_id="muffin"))


def offer(
    *,
    location: tuple[LocationRestriction, ...] = (),
    catalog: tuple[CatalogRestriction, ...] = (),
    purchase: tuple[PurchaseRestriction, ...] = (),
    use: tuple[UseRestriction, ...] = (),
    exclusive: bool = False,
) -> OfferTerms:
    return OfferTerms(
        OfferType.FIXED_AMOUNT_CHECK_DISCOUNT,
        amount=100,
        location=location,
        catalog=catalog,
        purchase=purchase,
        use=use,
        exclusive=exclusive,
    )


# Stores


def test_store_include_by_id_passes_case_insensitively() -> None:
    terms = offer(location=(LocationRestriction(Mode.INCLUDE, store_ids=("ABC-1",)),))
    assert discount(terms, CHECK, context(store_id="abc-1")).amount == 100


def test_store_include_fails_for_another_store() -> None:
    terms = offer(location=(LocationRestriction(Mode.INCLUDE, store_ids=("store-2",)),))
    assert reason(terms, CHECK, context(store_id="store-1")) == "STORE_NOT_ELIGIBLE"


def test_store_include_by_tag() -> None:
    terms = offer(location=(LocationRestriction(Mode.INCLUDE, store_tags=("Downtown",)),))
    assert discount(terms, CHECK, context(store_tags=frozenset({"downtown", "east"}))).amount == 100
    assert reason(terms, CHECK, context(store_tags=frozenset({"east"}))) == "STORE_NOT_ELIGIBLE"


def test_store_exclude_by_id_and_tag() -> None:
    terms = offer(location=(LocationRestriction(Mode.EXCLUDE, store_ids=("store-9",), store_tags=("airport",)),))
    assert discount(terms, CHECK, context(store_id="store-1")).amount == 100
    assert reason(terms, CHECK, context(store_id="store-9")) == "STORE_NOT_ELIGIBLE"
    assert reason(terms, CHECK, context(store_tags=frozenset({"airport"}))) == "STORE_NOT_ELIGIBLE"


# Channels


def test_channels_case_insensitive() -> None:
    terms = offer(use=(Channels(("Store", "online")),))
    assert discount(terms, CHECK, context(channel="STORE")).amount == 100
    assert discount(terms, CHECK, context(channel="Online")).amount == 100


def test_channels_fail_for_another_or_missing_channel() -> None:
    terms = offer(use=(Channels(("ONLINE",)),))
    assert reason(terms, CHECK, context(channel="STORE")) == "CHANNEL_NOT_ELIGIBLE"
    assert reason(terms, CHECK, context(channel=None)) == "CHANNEL_NOT_ELIGIBLE"


# Days of week and time of day (store-local)


def test_days_of_week_pass_and_fail() -> None:
    assert discount(offer(use=(DaysOfWeek(("wednesday",)),)), CHECK).amount == 100
    assert discount(offer(use=(DaysOfWeek((2,)),)), CHECK).amount == 100  # Monday = 0
    assert discount(offer(use=(DaysOfWeek(("Wednesday",)),)), CHECK).amount == 100
    assert reason(offer(use=(DaysOfWeek(("monday", "sunday")),)), CHECK) == "OUTSIDE_VALID_TIME"


def test_days_of_week_judged_in_the_store_zone() -> None:
    # Monday 03:30 UTC is Sunday 23:30 in New York (EDT, UTC-4).
    monday_utc = dt.datetime(2024, 6, 10, 3, 30, tzinfo=UTC)
    assert monday_utc.weekday() == 0
    in_new_york = context(now=monday_utc, time_zone=NEW_YORK)
    assert discount(offer(use=(DaysOfWeek(("sunday",)),)), CHECK, in_new_york).amount == 100
    assert reason(offer(use=(DaysOfWeek(("monday",)),)), CHECK, in_new_york) == "OUTSIDE_VALID_TIME"
    assert discount(offer(use=(DaysOfWeek(("monday",)),)), CHECK, context(now=monday_utc)).amount == 100


def test_days_of_week_reject_bad_values() -> None:
    with pytest.raises(ValueError):
        DaysOfWeek(("funday",))
    with pytest.raises(ValueError):
        DaysOfWeek((7,))


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 6, 5, hour, minute, tzinfo=UTC)


def test_time_of_day_window_start_inclusive_end_exclusive() -> None:
    terms = offer(use=(TimeOfDay(dt.time(11, 0), dt.time(14, 0)),))
    assert discount(terms, CHECK, context(now=_at(11))).amount == 100
    assert discount(terms, CHECK, context(now=_at(13, 59))).amount == 100
    assert reason(terms, CHECK, context(now=_at(14))) == "OUTSIDE_VALID_TIME"
    assert reason(terms, CHECK, context(now=_at(10, 59))) == "OUTSIDE_VALID_TIME"


def test_time_of_day_window_spanning_midnight() -> None:
    terms = offer(use=(TimeOfDay(dt.time(22, 0), dt.time(2, 0)),))
    assert discount(terms, CHECK, context(now=_at(23, 30))).amount == 100
    assert discount(terms, CHECK, context(now=_at(0, 0))).amount == 100
    assert discount(terms, CHECK, context(now=_at(1, 59))).amount == 100
    assert reason(terms, CHECK, context(now=_at(2, 0))) == "OUTSIDE_VALID_TIME"
    assert reason(terms, CHECK, context(now=_at(12, 0))) == "OUTSIDE_VALID_TIME"


def test_time_of_day_in_the_store_zone() -> None:
    # 03:30 UTC is 23:30 the evening before in New York: inside a 22:00-02:00 happy hour.
    terms = offer(use=(TimeOfDay(dt.time(22, 0), dt.time(2, 0)),))
    utc_0330 = dt.datetime(2024, 6, 10, 3, 30, tzinfo=UTC)
    assert discount(terms, CHECK, context(now=utc_0330, time_zone=NEW_YORK)).amount == 100
    assert reason(terms, CHECK, context(now=utc_0330)) == "OUTSIDE_VALID_TIME"


def test_time_of_day_equal_bounds_is_all_day() -> None:
    terms = offer(use=(TimeOfDay(dt.time(0, 0), dt.time(0, 0)),))
    assert discount(terms, CHECK, context(now=_at(17))).amount == 100


# Purchase restrictions


def test_min_subtotal_uses_the_remaining_total_before_this_discount() -> None:
    terms = offer(purchase=(MinSubtotal(1500),))
    assert discount(terms, CHECK).amount == 100
    earlier = ExistingDiscount(amount=1, discounted_line_ids=("A",))
    reduced = basket(*CHECK.lines, discounts=(earlier,))
    assert reason(terms, reduced) == "MIN_SUBTOTAL_NOT_MET"


def test_min_quantity_counts_matching_units() -> None:
    check = basket(
        line("A", 900, quantity="3", item_id="latte"),
        line("B", 100, item_id="syrup", modifies="A"),
        line("C", 400, quantity="0.8", item_id="cheese"),
        categories={"latte": ("coffee",), "syrup": ("coffee",)},
    )
    assert discount(offer(purchase=(MinQuantity(3, category_ids=("coffee",)),)), check).amount == 100
    # The syrup modifier does not count on its own.
    assert reason(offer(purchase=(MinQuantity(4, category_ids=("coffee",)),)), check) == "MIN_QUANTITY_NOT_MET"
    # A weighed line is one unit; with nothing listed every root line counts.
    assert discount(offer(purchase=(MinQuantity(1, item_ids=("cheese",)),)), check).amount == 100
    assert discount(offer(purchase=(MinQuantity(4),)), check).amount == 100
    assert reason(offer(purchase=(MinQuantity(5),)), check) == "MIN_QUANTITY_NOT_MET"


def test_required_items_by_item_and_category() -> None:
    check = basket(line("A", 500, item_id="latte"), categories={"latte": ("coffee",)})
    assert discount(offer(purchase=(RequiredItems(item_ids=("latte",)),)), check).amount == 100
    assert discount(offer(purchase=(RequiredItems(category_ids=("coffee",)),)), check).amount == 100
    missing_item = offer(purchase=(RequiredItems(item_ids=("latte", "bagel")),))
    assert reason(missing_item, check) == "REQUIRED_ITEMS_MISSING"
    missing_category = offer(purchase=(RequiredItems(category_ids=("coffee", "bakery")),))
    assert reason(missing_category, check) == "REQUIRED_ITEMS_MISSING"


def test_required_items_ignore_modifiers() -> None:
    check = basket(line("A", 500, item_id="latte"), line("B", 50, item_id="oat-milk", modifies="A"))
    assert reason(offer(purchase=(RequiredItems(item_ids=("oat-milk",)),)), check) == "REQUIRED_ITEMS_MISSING"


# Catalog


def test_catalog_include_and_exclude() -> None:
    include = offer(catalog=(CatalogRestriction(Mode.INCLUDE, item_ids=("muffin",)),))
    assert discount(include, CHECK).discounted_line_ids == ("B",)
    exclude = offer(catalog=(CatalogRestriction(Mode.EXCLUDE, item_ids=("muffin",)),))
    assert discount(exclude, CHECK).discounted_line_ids == ("A",)
    nothing = offer(catalog=(CatalogRestriction(Mode.INCLUDE, item_ids=("bagel",)),))
    assert reason(nothing, CHECK) == "NO_ELIGIBLE_ITEMS"


def test_catalog_needs_a_remaining_amount() -> None:
    gone = ExistingDiscount(amount=500, discounted_line_ids=("B",))
    check = basket(*CHECK.lines, discounts=(gone,))
    terms = offer(catalog=(CatalogRestriction(Mode.INCLUDE, item_ids=("muffin",)),))
    assert reason(terms, check) == "NO_ELIGIBLE_ITEMS"
    assert reason(offer(), basket()) == "NO_ELIGIBLE_ITEMS"


# Max uses


def test_max_uses_pass_and_fail() -> None:
    terms = offer(use=(MaxUses(2, PeriodUnit.DAYS, 1),))
    assert discount(terms, CHECK, context(uses_in_period=1)).amount == 100
    assert reason(terms, CHECK, context(uses_in_period=2)) == "USE_LIMIT_REACHED"


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        (PeriodUnit.MINUTES, 90, dt.datetime(2024, 3, 31, 10, 30, tzinfo=UTC)),
        (PeriodUnit.HOURS, 12, dt.datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
        (PeriodUnit.DAYS, 1, dt.datetime(2024, 3, 30, 12, 0, tzinfo=UTC)),
        (PeriodUnit.WEEKS, 2, dt.datetime(2024, 3, 17, 12, 0, tzinfo=UTC)),
        (PeriodUnit.MONTHS, 1, dt.datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        (PeriodUnit.MONTHS, 13, dt.datetime(2023, 2, 28, 12, 0, tzinfo=UTC)),
        (PeriodUnit.YEARS, 1, dt.datetime(2023, 3, 31, 12, 0, tzinfo=UTC)),
        (PeriodUnit.YEARS, 5000, dt.datetime.min.replace(tzinfo=UTC)),
    ],
)
def test_max_uses_period_start_is_a_rolling_window(unit: PeriodUnit, value: int, expected: dt.datetime) -> None:
    now = dt.datetime(2024, 3, 31, 12, 0, tzinfo=UTC)
    assert max_uses_period_start(MaxUses(1, unit, value), now) == expected


# Exclusive


def test_exclusive_offer_not_stackable_on_a_check_with_discounts() -> None:
    other = ExistingDiscount(amount=0, discounted_line_ids=(), stack_order=0)
    assert reason(offer(exclusive=True), basket(*CHECK.lines, discounts=(other,))) == "NOT_STACKABLE"
    assert discount(offer(exclusive=True), CHECK).amount == 100


def test_no_offer_stacks_on_an_exclusive_discount() -> None:
    exclusive = ExistingDiscount(amount=100, discounted_line_ids=("A",), exclusive=True)
    assert reason(offer(), basket(*CHECK.lines, discounts=(exclusive,))) == "NOT_STACKABLE"
    plain = ExistingDiscount(amount=100, discounted_line_ids=("A",))
    assert discount(offer(), basket(*CHECK.lines, discounts=(plain,))).stack_order == 1


# Order


def test_first_failure_in_table_order_is_the_reason() -> None:
    everything_fails = dict(
        location=(LocationRestriction(Mode.INCLUDE, store_ids=("elsewhere",)),),
        use=(
            MaxUses(1, PeriodUnit.DAYS, 1),
            Channels(("ONLINE",)),
            TimeOfDay(dt.time(1, 0), dt.time(2, 0)),
        ),
        purchase=(RequiredItems(item_ids=("bagel",)), MinQuantity(10), MinSubtotal(10**6)),
        catalog=(CatalogRestriction(Mode.INCLUDE, item_ids=("bagel",)),),
        exclusive=True,
    )
    check = basket(*CHECK.lines, discounts=(ExistingDiscount(amount=0),))
    ctx = context(uses_in_period=1, now=WEDNESDAY)
    expected = [
        ("location", "STORE_NOT_ELIGIBLE"),
        ("channels", "CHANNEL_NOT_ELIGIBLE"),
        ("time", "OUTSIDE_VALID_TIME"),
        ("min_subtotal", "MIN_SUBTOTAL_NOT_MET"),
        ("min_quantity", "MIN_QUANTITY_NOT_MET"),
        ("required", "REQUIRED_ITEMS_MISSING"),
        ("catalog", "NO_ELIGIBLE_ITEMS"),
        ("max_uses", "USE_LIMIT_REACHED"),
        ("exclusive", "NOT_STACKABLE"),
    ]
    # Lift one restriction at a time, from the front; the next one in the table must be reported.
    fixed: set[str] = set()
    for name, code in expected:
        kwargs = _without(everything_fails, fixed)
        assert reason(offer(**kwargs), check, ctx) == code, name  # type: ignore[arg-type]
        fixed.add(name)
    assert discount(offer(**_without(everything_fails, fixed)), check, ctx).amount == 100  # type: ignore[arg-type]


def _without(spec: dict[str, object], fixed: set[str]) -> dict[str, object]:
    kinds = {
        "channels": Channels,
        "time": TimeOfDay,
        "max_uses": MaxUses,
        "min_subtotal": MinSubtotal,
        "min_quantity": MinQuantity,
        "required": RequiredItems,
    }
    dropped = tuple(kinds[name] for name in fixed if name in kinds)
    out = dict(spec)
    for key in ("use", "purchase"):
        out[key] = tuple(r for r in spec[key] if not isinstance(r, dropped))  # type: ignore[attr-defined]
    if "location" in fixed:
        out["location"] = ()
    if "catalog" in fixed:
        out["catalog"] = ()
    if "exclusive" in fixed:
        out["exclusive"] = False
    return out
