"""Integer money.

Amounts are integer minor units of the retailer's currency; percentages are basis points
(1/100 of a percent, so 12.5% is 1250). `round_half_up` is the only rounding function in the
project: every division of money goes through it, so the POS, the Lookup, the simulator and the
tests agree to the cent. `Decimal` appears only at the wire edge (`to_minor`, `to_decimal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

# ISO 4217 minor-unit exponents that differ from the usual 2.
_EXPONENTS: dict[str, int] = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}

BASIS_POINTS_PER_WHOLE = 10_000


def currency_exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def is_currency_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha()


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero.

    The single rounding function of the project. Integer arithmetic only, so there is no
    binary-float error anywhere in a money computation.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def percent_of(amount: int, basis_points: int) -> int:
    """`amount` x `basis_points` / 10,000, rounded half up (15% of 1555 is 233)."""
    return round_half_up(amount * basis_points, BASIS_POINTS_PER_WHOLE)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` by largest remainder.

    Each share is floor(total x weight / sum); the units left over go one each to the largest
    fractional parts, ties to the earlier position. Shares always sum to `total` exactly and a
    share never exceeds its weight when `total <= sum(weights)`.
    """
    if total < 0:
        raise ValueError("total must not be negative")
    if weights and min(weights) < 0:
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total == 0:
            return [0 for _ in weights]
        raise ValueError("cannot allocate a positive total over zero weights")
    # Pricing calls this for every discount of every offer on a check: comprehensions and built-ins,
    # and no sort when the floors already add up.
    shares = [total * weight // weight_sum for weight in weights]
    left = total - sum(shares)
    if left:
        remainders = [total * weight % weight_sum for weight in weights]
        if left == 1:
            # The usual case (always, over two weights): no sort, just the first largest remainder.
            shares[remainders.index(max(remainders))] += 1
            return shares
        # Largest remainder first. A sort with reverse=True keeps equal keys in their original order,
        # so equal remainders keep the earlier position first.
        for index in sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)[:left]:
            shares[index] += 1
    return shares


def to_minor(amount: Decimal, exponent: int) -> int:
    """A wire decimal to integer minor units, rounded half up at the currency's precision."""
    scaled = amount.scaleb(exponent)
    if not scaled.is_finite():
        raise ValueError("amount must be finite")
    whole = int(scaled)  # toward zero
    if whole == scaled:
        return whole  # a whole number of minor units (every amount a POS sends in cents): exact
    # An exact integer fraction (the same digits over 10**-exp), so rounding stays in `round_half_up`.
    exp = scaled.as_tuple().exponent
    assert isinstance(exp, int) and exp < 0  # finite, and not a whole number
    return round_half_up(int(scaled.scaleb(-exp)), 10 ** (-exp))


def to_decimal(minor: int, exponent: int) -> Decimal:
    """Integer minor units to the wire: 1200 -> 12, 1150 -> 11.5, 1155 -> 11.55 (USD)."""
    value = Decimal(minor).scaleb(-exponent)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def basis_points(percent: Decimal) -> int:
    """A wire percentage (`12.5`) to basis points (1250). Precision beyond 0.01% is rounded."""
    return to_minor(percent, 2)
