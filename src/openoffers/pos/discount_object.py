"""The guide's discount object (API.md section 5), as every POS answer carries it."""

from __future__ import annotations

from datetime import datetime

from openoffers import pricing
from openoffers.checks.basket import SESSIONM
from openoffers.kit.clock import iso_z
from openoffers.kit.money import to_decimal
from openoffers.pos.schemas import DiscountOut
from openoffers.pos.scope import Scope
from openoffers.wallet.history import localize_revision
from openoffers.wallet.repository import WalletRow

USER_OFFER_ID_TYPE = "userofferid"  # a discount object's reference_id_type, and a Lock's lookup type

# Discount object statuses (API.md section 5).
INFO, LOCKED_WORD, REDEEMED_WORD = "INFO", "LOCKED", "REDEEMED"


def discount_out(
    row: WalletRow,
    scope: Scope,
    *,
    status: str,
    discount: pricing.Discount | None = None,
    applied_at: datetime | None = None,
    ineligible: pricing.Ineligible | None = None,
) -> DiscountOut:
    """The guide's discount object for one user offer, its text in the envelope's culture; with
    `ineligible` (a Lookup listing an offer this check does not qualify for) amount 0 and the reason."""
    uo = row.user_offer
    text = localize_revision(row.offer, scope.culture, scope.retailer.culture)
    shares = discount.line_shares if discount else ()
    out = DiscountOut(
        reference_id=str(uo.id),
        user_id=str(uo.user_id),
        reference_id_type=USER_OFFER_ID_TYPE,
        pos_discount_id=None,
        status=status,
        display_name=text.title,
        image_url=text.media_uri or None,
        discounted_line_ids=[share.line_id for share in shares],
        discounted_line_id_quantities=[share.quantity for share in shares],
        discount_source=SESSIONM,
        amount=to_decimal(discount.amount if discount else 0, scope.exponent),
        stack_order=discount.stack_order if discount else 0,
        applied_time=iso_z(applied_at),
    )
    if ineligible is not None:
        out.reason = ineligible.reason.value
        if ineligible.missing_amount is not None:
            out.missing_amount = to_decimal(ineligible.missing_amount, scope.exponent)
        if ineligible.missing_quantity is not None:
            out.missing_quantity = ineligible.missing_quantity
        if ineligible.missing_items:
            out.missing_items = list(ineligible.missing_items)
    return out
