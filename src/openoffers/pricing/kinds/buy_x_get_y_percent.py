"""Buy X, get Y: a percentage off the reward units."""

from .base import PERCENT, PERCENT_OFF_UNIT, ItemBenefit, Kind, Picks

KIND = Kind(
    label="Buy X, get Y with a percent off",
    summary="Buy {buy}, get {get} at {percent} off",
    benefit=ItemBenefit(number=PERCENT, saving=PERCENT_OFF_UNIT, picks=Picks.BUY_X_GET_Y),
)
