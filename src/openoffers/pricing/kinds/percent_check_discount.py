"""A percentage of the eligible lines' total, rounded once on that total."""

from .base import PERCENT, PERCENT_OFF_CHECK, CheckBenefit, Kind

KIND = Kind(
    label="Percent off the check",
    summary="{percent} off the check",
    benefit=CheckBenefit(number=PERCENT, saving=PERCENT_OFF_CHECK),
)
