"""An amount off the whole check, spread over the eligible lines."""

from .base import AMOUNT, FIXED_OFF_CHECK, CheckBenefit, Kind

KIND = Kind(
    label="Amount off the check",
    summary="{amount} off the check",
    benefit=CheckBenefit(number=AMOUNT, saving=FIXED_OFF_CHECK),
)
