"""Eligible units for a set price; one unit unless the offer sets `max_items`."""

from .base import PRICE, SET_PRICE_UNIT, ItemBenefit, Kind, Picks

KIND = Kind(
    label="Set price on items",
    summary="Eligible items for {price}",
    benefit=ItemBenefit(number=PRICE, saving=SET_PRICE_UNIT, picks=Picks.LARGEST_SAVING, default_max_items=1),
)
