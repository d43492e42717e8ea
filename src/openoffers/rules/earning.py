"""Points a closed check earns under earn rules.

Rounding, the only one in earning: for each earn rule,

    points = max(0, floor( sum over lines of spend_minor x rate x multiplier / 10**exponent ))

where `spend_minor` is the line's amount after discounts in minor units, `rate` the rule's points per
one currency unit, and `multiplier` the highest factor among the rule's multipliers that match the line
(1 when none does; they never compound). The floor is taken once, of the check's exact sum, never per
line: three $0.50 lines at 1 point per $1 earn 1 point, and $4.99 earns 4. Everything is exact
integer / Fraction arithmetic; the final floor is integer floor division. A check whose lines sum to a
negative amount (returns) earns 0, never negative points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from openoffers.kit.money import to_decimal
from openoffers.rules.definitions import EarnRule, Multiplier
from openoffers.rules.effects import EarnPoints, NotFired, Reason
from openoffers.rules.events import CheckLine, TransactionClosed
from openoffers.rules.timing import is_active

_ONE = Fraction(1)


@dataclass(frozen=True, slots=True)
class _CheckContext:
    """What every multiplier condition reads, computed once per check."""

    store_id: str
    store_tags: frozenset[str]
    channel: str
    weekday: int
    local: datetime
    roots: dict[str, CheckLine]


def _context(check: TransactionClosed) -> _CheckContext:
    local = check.occurred_at.astimezone(check.store_zone)
    return _CheckContext(
        store_id=check.store_id,
        store_tags=check.store_tags,
        channel=check.channel.casefold(),
        weekday=local.weekday(),
        local=local,
        roots=check.roots(),
    )


def _matches_check(multiplier: Multiplier, ctx: _CheckContext) -> bool:
    if (multiplier.store_ids or multiplier.store_tags) and not (
        ctx.store_id in multiplier.store_ids or ctx.store_tags & multiplier.store_tags
    ):
        return False
    if multiplier.channels and ctx.channel not in {c.casefold() for c in multiplier.channels}:
        return False
    if multiplier.days_of_week and ctx.weekday not in multiplier.days_of_week:
        return False
    moment = ctx.local.time()
    return not multiplier.time_windows or any(w.contains(moment) for w in multiplier.time_windows)


def _matches_line(multiplier: Multiplier, root: CheckLine) -> bool:
    if not (multiplier.item_ids or multiplier.category_ids):
        return True
    return root.item_id in multiplier.item_ids or bool(root.category_ids & multiplier.category_ids)


def line_factor(multipliers: Iterable[Multiplier], root: CheckLine) -> Fraction:
    """The highest factor of the (check-level matching) multipliers that match the line's root."""
    factors = [m.factor for m in multipliers if _matches_line(m, root)]
    return Fraction(max(factors)) if factors else _ONE


def rule_points(rule: EarnRule, check: TransactionClosed, exponent: int) -> tuple[int, Fraction]:
    """The rule's points for the check, and the exact (unfloored) points, for explanations."""
    return _rule_points(rule, check, _context(check), exponent)


def _rule_points(rule: EarnRule, check: TransactionClosed, ctx: _CheckContext, exponent: int) -> tuple[int, Fraction]:
    applicable = [m for m in rule.multipliers if _matches_check(m, ctx)]
    # Spend is summed per factor first, so the Fraction work is per distinct factor, not per line.
    spend_by_factor: dict[Fraction, int] = {}
    if applicable:
        for line in check.lines:
            factor = line_factor(applicable, ctx.roots[line.line_id])
            spend_by_factor[factor] = spend_by_factor.get(factor, 0) + line.spend
    else:  # every line at the base rate (most checks): no factor to find per line
        spend_by_factor[_ONE] = sum(line.spend for line in check.lines)
    exact = (
        sum((factor * spend for factor, spend in spend_by_factor.items()), start=Fraction(0))
        * Fraction(rule.rate)
        / 10**exponent
    )
    return max(0, exact.numerator // exact.denominator), exact


def line_points(rule: EarnRule, check: TransactionClosed, exponent: int) -> dict[str, Fraction]:
    """Each line's exact (unfloored) points under the rule, multipliers included. They sum to the
    exact value `rule_points` floors, so what a check keeps after a return is computed from the lines
    it still has (`kept_points`) with the one rounding rule above."""
    ctx = _context(check)
    applicable = [m for m in rule.multipliers if _matches_check(m, ctx)]
    scale = Fraction(rule.rate) / 10**exponent
    if not applicable:  # every line at the base rate: one Fraction product per line, nothing to look up
        return {line.line_id: scale * line.spend for line in check.lines}
    # Points per minor unit spent, per distinct factor: one Fraction product per line, not two.
    per_unit: dict[Fraction, Fraction] = {}
    points: dict[str, Fraction] = {}
    for line in check.lines:
        factor = line_factor(applicable, ctx.roots[line.line_id])
        unit = per_unit.get(factor)
        if unit is None:
            unit = per_unit[factor] = factor * scale
        points[line.line_id] = unit * line.spend
    return points


def kept_points(lines: Mapping[str, Fraction], kept: Mapping[str, Fraction]) -> int:
    """The points a check keeps under one rule after returns: the floor, once, of the exact points of
    what is left of each line (`kept[line]` is the share of its units still on the check, 0 to 1;
    a line not named is kept whole). Never negative, like `rule_points`. With every line kept whole it
    is exactly what the rule earned, so the points a return takes back are what the returned units
    earned, and returning in several steps takes back the same total as returning at once."""
    exact = sum((points * kept.get(line_id, _ONE) for line_id, points in lines.items()), start=Fraction(0))
    return max(0, exact.numerator // exact.denominator)


def fraction_text(value: Fraction) -> str:
    """Exact points as stored text, "n/d" (read back with `Fraction(text)`)."""
    return f"{value.numerator}/{value.denominator}"


def _fmt(value: Fraction) -> str:
    # Decimal text when the fraction ends (1.5), n/d otherwise (1/3).
    numerator, denominator = value.numerator, value.denominator
    for places in range(7):
        if (10**places) % denominator == 0:
            return str(to_decimal(numerator * (10**places // denominator), places))
    return f"{numerator}/{denominator}"


def earn(rules: Iterable[EarnRule], check: TransactionClosed, exponent: int) -> tuple[list[EarnPoints], list[NotFired]]:
    """Every earn rule's points for the check, in the order given (the index's priority order)."""
    earned: list[EarnPoints] = []
    not_fired: list[NotFired] = []
    ctx = _context(check)
    for rule in rules:
        if not is_active(rule.starts_at, rule.ends_at, check.occurred_at):
            not_fired.append(NotFired(rule.rule_id, Reason.INACTIVE, "outside the rule's active dates"))
            continue
        points, exact = _rule_points(rule, check, ctx, exponent)
        if points > 0:
            earned.append(EarnPoints(rule.account_id, points, rule.rule_id))
            continue
        spend = to_decimal(sum(line.spend for line in check.lines), exponent)
        not_fired.append(
            NotFired(
                rule.rule_id,
                Reason.NO_POINTS,
                f"spend {spend} earns {_fmt(exact)} points at rate {_fmt(Fraction(rule.rate))}, which floors to 0",
            )
        )
    return earned, not_fired
