"""kit.money: the one rounding function, percentages, largest-remainder allocation, wire conversion."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.kit import wire
from openoffers.kit.money import (
    allocate,
    basis_points,
    currency_exponent,
    is_currency_code,
    percent_of,
    round_half_up,
    to_decimal,
    to_minor,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 7, 0),
        (10, 5, 2),
        (1, 3, 0),
        (2, 3, 1),
        (5, 2, 3),  # a half goes up
        (7, 2, 4),
        (-5, 2, -3),  # halves go away from zero
        (-4, 3, -1),
        (-2, 3, -1),
        (149, 100, 1),
        (150, 100, 2),
        (10**30 + 1, 2, 5 * 10**29 + 1),  # integers only: no float precision loss
    ],
)
def test_round_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_up(numerator, denominator) == expected


@pytest.mark.parametrize("denominator", [0, -1])
def test_round_half_up_refuses_non_positive_denominator(denominator: int) -> None:
    with pytest.raises(ValueError, match="denominator must be positive"):
        round_half_up(1, denominator)


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6))
def test_round_half_up_matches_exact_fraction(numerator: int, denominator: int) -> None:
    exact = Fraction(numerator, denominator)
    result = round_half_up(numerator, denominator)
    assert abs(Fraction(result) - exact) <= Fraction(1, 2)
    if abs(Fraction(result) - exact) == Fraction(1, 2):
        assert abs(result) > abs(exact)  # the tie went away from zero


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [
        (1555, 1500, 233),  # 15% of 15.55 = 2.3325
        (1000, 1250, 125),
        (1, 5000, 1),  # 0.5 cent goes up
        (3, 5000, 2),  # 1.5 cents go up
        (999, 10_000, 999),
        (999, 0, 0),
        (0, 2500, 0),
    ],
)
def test_percent_of(amount: int, bps: int, expected: int) -> None:
    assert percent_of(amount, bps) == expected


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the leftover unit goes to the earliest tie
        (5, [1, 1], [3, 2]),
        (2, [1, 1, 1], [1, 1, 0]),
        (10, [3, 3, 4], [3, 3, 4]),
        (7, [100, 0, 200], [2, 0, 5]),  # 2.33 / 0 / 4.67: the larger remainder wins
        (1, [1, 2], [0, 1]),
        (0, [5, 5], [0, 0]),
        (0, [0, 0], [0, 0]),
        (1200, [1000, 100, 100], [1000, 100, 100]),
        (0, [], []),
    ],
)
def test_allocate_examples(total: int, weights: list[int], expected: list[int]) -> None:
    assert allocate(total, weights) == expected


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (-1, [1], "total must not be negative"),
        (1, [1, -1], "weights must not be negative"),
        (1, [0, 0], "cannot allocate a positive total over zero weights"),
        (1, [], "cannot allocate a positive total over zero weights"),
    ],
)
def test_allocate_refuses(total: int, weights: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(total, weights)


weights_lists = st.lists(st.integers(0, 100_000), min_size=1, max_size=30).filter(lambda w: sum(w) > 0)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000_000), weights_lists)
def test_allocate_shares_sum_exactly_and_stay_within_one_unit(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert exact - 1 < share < exact + 1
        assert share >= 0
        if weight == 0:
            assert share == 0


@settings(max_examples=200, deadline=None)
@given(weights_lists, st.data())
def test_allocate_never_gives_a_share_above_its_weight(weights: list[int], data: st.DataObject) -> None:
    total = data.draw(st.integers(0, sum(weights)))
    assert all(share <= weight for share, weight in zip(allocate(total, weights), weights, strict=True))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 50), st.integers(1, 1000))
def test_allocate_ties_go_to_earlier_positions(total: int, count: int, weight: int) -> None:
    shares = allocate(total, [weight] * count)
    # Equal weights: the extra units sit on a prefix, so shares never increase left to right.
    assert shares == sorted(shares, reverse=True)
    assert max(shares) - min(shares) <= 1


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """PRICING.md's allocation written out with exact fractions: each share is the floor of its exact
    part, and the units left go one each to the largest fractional parts, ties to the earlier line."""
    exact = [Fraction(total * weight, sum(weights)) for weight in weights]
    shares = [int(part) for part in exact]  # floor: the parts are never negative
    by_remainder = sorted(range(len(weights)), key=lambda index: (-(exact[index] - shares[index]), index))
    for index in by_remainder[: total - sum(shares)]:
        shares[index] += 1
    return shares


# Small weights and totals make equal remainders (the tie rule) common.
@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 50) | st.integers(0, 10_000_000),
    weights_lists | st.lists(st.integers(1, 6), min_size=1, max_size=12),
)
def test_allocate_is_largest_remainder_written_out(total: int, weights: list[int]) -> None:
    assert allocate(total, weights) == largest_remainder(total, weights)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 100_000), weights_lists)
def test_allocate_is_deterministic(total: int, weights: list[int]) -> None:
    assert allocate(total, weights) == allocate(total, list(weights))


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("USD", 2), ("usd", 2), ("EUR", 2), ("JPY", 0), ("jpy", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("XYZ", 2)],
)
def test_currency_exponent(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("code", "valid"), [("USD", True), ("usd", True), ("US", False), ("USDX", False), ("U$D", False)]
)
def test_is_currency_code(code: str, valid: bool) -> None:
    assert is_currency_code(code) is valid


@pytest.mark.parametrize(
    ("amount", "exponent", "expected"),
    [
        ("12", 2, 1200),
        ("11.5", 2, 1150),
        (".77", 2, 77),
        ("2703.00", 2, 270300),
        ("12.345", 2, 1235),  # half up
        ("12.344", 2, 1234),
        ("-1.005", 2, -101),  # half away from zero
        ("0.004", 2, 0),
        ("1E+2", 2, 10000),
        ("1234.5", 0, 1235),  # JPY
        ("1234.4", 0, 1234),
        ("1234", 0, 1234),
        ("1.2345", 3, 1235),  # KWD
        ("1.2344", 3, 1234),
        ("0.001", 3, 1),
    ],
)
def test_to_minor(amount: str, exponent: int, expected: int) -> None:
    assert to_minor(Decimal(amount), exponent) == expected


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_to_minor_refuses_non_finite(amount: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        to_minor(Decimal(amount), 2)


@pytest.mark.parametrize(
    ("minor", "exponent", "text"),
    [
        (1200, 2, "12"),
        (1150, 2, "11.5"),
        (1155, 2, "11.55"),
        (5, 2, "0.05"),
        (0, 2, "0"),
        (-250, 2, "-2.5"),
        (1235, 0, "1235"),  # JPY
        (1235, 3, "1.235"),  # KWD
        (1000, 3, "1"),
        (1200, 3, "1.2"),
    ],
)
def test_to_decimal(minor: int, exponent: int, text: str) -> None:
    value = to_decimal(minor, exponent)
    assert str(value) == text
    # What the wire sends: a JSON number, never a string.
    assert wire.encode(value) == text.encode()


@given(st.integers(-(10**15), 10**15), st.sampled_from([0, 2, 3]))
def test_to_minor_inverts_to_decimal(minor: int, exponent: int) -> None:
    assert to_minor(to_decimal(minor, exponent), exponent) == minor


@pytest.mark.parametrize(("percent", "bps"), [("12.5", 1250), ("15", 1500), ("100", 10_000), ("0.01", 1), ("0.015", 2)])
def test_basis_points(percent: str, bps: int) -> None:
    assert basis_points(Decimal(percent)) == bps


@given(
    st.decimals(
        min_value=Decimal(-(10**12)), max_value=Decimal(10**12), allow_nan=False, allow_infinity=False, places=6
    ),
    st.sampled_from([0, 2, 3]),
)
def test_to_minor_rounds_as_decimal_rounds_half_up(amount: Decimal, exponent: int) -> None:
    """Against the standard library's own half-up rounding (halves away from zero), at ample precision."""
    exact = decimal.Context(prec=60).scaleb(amount, exponent)
    assert to_minor(amount, exponent) == int(exact.quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP))
