"""What an offer would give on a check, as the POS would compute it, changing nothing.

The same steps as a Lookup with a check (`lookup._eligible_offers`): the basket built by
`check_pricing.price_check` (catalog categories when the terms name categories), the context of the
store, channel and time, the customer's max_uses count from their redemptions, then
`pricing.evaluate_prepared` on the offer's terms. Only reads, in one read transaction: the admin's
offer preview uses it, and a test compares it with the POS's answer for the same check. The terms are
a stored offer's (`preview_offer`) or an offer form's unsaved values (`preview_terms`), priced by
the same steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.checks.schemas import Transaction
from openoffers.kit.db import Database
from openoffers.kit.errors import NotFound
from openoffers.offers import repository as offers_repo
from openoffers.offers.terms import terms_of
from openoffers.pos import read_model
from openoffers.pos.check_pricing import context, max_uses_of, price_check, uses_categories, uses_in_period
from openoffers.pos.scope import Scope, transaction_key
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy.repository import Retailer

NO_CLIENT = UUID(int=0)  # a preview is no POS client's call; the scope needs one only to name an actor


@dataclass(frozen=True, slots=True)
class Preview:
    result: pricing.Discount | pricing.Ineligible
    uses_in_period: int  # the customer's redemptions counted against max_uses (0 without a customer)
    basket: pricing.Basket


async def preview_offer(
    db: Database,
    retailer: Retailer,
    *,
    offer_id: UUID,
    store_id: UUID,
    transaction: Transaction,
    at: datetime,
    user_id: UUID | None = None,
) -> Preview:
    """The discount the latest revision of `offer_id` (any revision's id, or the root's) gives on
    `transaction` at `store_id` at `at`, or why it would not apply, for a customer holding it
    (`user_id`: their max_uses count applies)."""
    async with db.read() as conn:
        named = await offers_repo.get_offer(conn, retailer.id, offer_id)
        offer = await offers_repo.get_latest(conn, retailer.id, named.root_offer_id if named else offer_id)
        if offer is None:
            raise NotFound("offer not found", fields={"offer_id": ["not found"]})
        terms = terms_of(offer, retailer.exponent)
        return await _priced(conn, retailer, terms, offer.root_offer_id, store_id, transaction, at, user_id)


async def preview_terms(
    db: Database,
    retailer: Retailer,
    *,
    terms: pricing.OfferTerms,
    root_offer_id: UUID | None,
    store_id: UUID,
    transaction: Transaction,
    at: datetime,
    user_id: UUID | None = None,
) -> Preview:
    """`preview_offer` for terms that are not stored (an offer form's unsaved values): the same steps.
    `root_offer_id` is the offer they would be a revision of, whose redemptions by `user_id` count
    against max_uses as a Lock counts them; None for an offer never saved (nobody has redeemed it)."""
    async with db.read() as conn:
        return await _priced(conn, retailer, terms, root_offer_id, store_id, transaction, at, user_id)


async def _priced(
    conn: AsyncConnection,
    retailer: Retailer,
    terms: pricing.OfferTerms,
    root_offer_id: UUID | None,
    store_id: UUID,
    transaction: Transaction,
    at: datetime,
    user_id: UUID | None,
) -> Preview:
    store = await tenancy_repo.get_store(conn, retailer.id, store_id)
    if store is None:
        raise NotFound("store not found", fields={"store_id": ["not found"]})
    scope = Scope(retailer, store, NO_CLIENT, at, None, 0)
    check = await price_check(
        conn, scope, transaction, transaction_key(transaction), {}, {}, with_catalog=uses_categories(terms)
    )
    uses = 0
    if user_id is not None and root_offer_id is not None and max_uses_of(terms):
        since = min(pricing.max_uses_period_start(r, at) for r in max_uses_of(terms))
        log = await read_model.redemption_times(conn, retailer.id, user_id, [root_offer_id], since)
        uses = uses_in_period(terms, log.get(root_offer_id, ()), at)
    result = pricing.evaluate_prepared(terms, check.prepared, context(scope, transaction.channel, at, uses))
    return Preview(result, uses, check.basket)
