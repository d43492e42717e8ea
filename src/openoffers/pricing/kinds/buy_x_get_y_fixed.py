"""Buy X, get Y: an amount off each reward unit."""

from .base import AMOUNT, FIXED_OFF_UNIT, ItemBenefit, Kind, Picks

KIND = Kind(
    label="Buy X, get Y with an amount off",
    summary="Buy {buy}, get {get} with {amount} off each",
    benefit=ItemBenefit(number=AMOUNT, saving=FIXED_OFF_UNIT, picks=Picks.BUY_X_GET_Y),
)
