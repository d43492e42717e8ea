"""A percentage off the priciest eligible units, up to `max_items` units."""

from .base import PERCENT, PERCENT_OFF_UNIT, ItemBenefit, Kind, Picks

KIND = Kind(
    label="Percent off items",
    summary="{percent} off eligible items",
    benefit=ItemBenefit(number=PERCENT, saving=PERCENT_OFF_UNIT, picks=Picks.LARGEST_SAVING),
)
