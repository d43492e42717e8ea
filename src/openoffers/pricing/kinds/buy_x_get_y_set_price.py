"""Buy X, get Y: the reward units at a set price."""

from .base import PRICE, SET_PRICE_UNIT, ItemBenefit, Kind, Picks

KIND = Kind(
    label="Buy X, get Y at a set price",
    summary="Buy {buy}, get {get} for {price} each",
    benefit=ItemBenefit(number=PRICE, saving=SET_PRICE_UNIT, picks=Picks.BUY_X_GET_Y),
)
