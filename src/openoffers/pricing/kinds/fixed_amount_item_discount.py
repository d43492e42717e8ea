"""An amount off each picked unit (never more than the unit's price), up to `max_items` units."""

from .base import AMOUNT, FIXED_OFF_UNIT, ItemBenefit, Kind, Picks

KIND = Kind(
    label="Amount off items",
    summary="{amount} off each eligible item",
    benefit=ItemBenefit(number=AMOUNT, saving=FIXED_OFF_UNIT, picks=Picks.LARGEST_SAVING),
)
