"""The check as the pricing engine sees it for a POS call: the pricing context, max_uses counts and
the basket with the discounts already on it (`price_check`).

Decision (docs/DECISIONS.md, "POS"): max_uses counts the customer's user offers of the same root offer
that are Redeemed now and whose last `redeemed` event is inside the period (a reinstated or voided
redemption no longer counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.catalog import service as catalog_repo
from openoffers.checks.basket import build_basket, reference_of
from openoffers.checks.schemas import Transaction, loose_id
from openoffers.kit.ids import parse_uuid
from openoffers.offers.terms import terms_of
from openoffers.pos import read_model
from openoffers.pos import repository as repo
from openoffers.pos.repository import LockRow
from openoffers.pos.scope import Scope
from openoffers.wallet.repository import WalletRow


def context(scope: Scope, channel: str | None, at: datetime, uses: int = 0) -> pricing.Context:
    return pricing.Context(
        store_id=str(scope.store.id),
        now=at,
        time_zone=scope.zone,
        channel=channel,
        store_tags=frozenset(scope.store.tags),
        uses_in_period=uses,
    )


def max_uses_of(terms: pricing.OfferTerms) -> tuple[pricing.MaxUses, ...]:
    return tuple(r for r in terms.use if isinstance(r, pricing.MaxUses))


async def redemption_log(
    conn: AsyncConnection,
    scope: Scope,
    user_id: UUID,
    offers: Iterable[tuple[WalletRow, pricing.OfferTerms]],
    at: datetime,
) -> dict[UUID, list[datetime]]:
    """When the user's current redemptions of each max_uses-limited root offer happened, back to the
    earliest period start any of them needs: one query for all of them."""
    limited: dict[UUID, pricing.OfferTerms] = {}
    for row, terms in offers:
        if max_uses_of(terms):
            limited[row.user_offer.root_offer_id] = terms
    if not limited:
        return {}
    since = min(pricing.max_uses_period_start(r, at) for t in limited.values() for r in max_uses_of(t))
    return await read_model.redemption_times(conn, scope.retailer_id, user_id, list(limited), since)


def uses_in_period(terms: pricing.OfferTerms, times: Iterable[datetime], at: datetime) -> int:
    """The one count pricing's Context takes. With several max_uses restrictions (each its own period),
    a limit already reached gives its own count; otherwise the smallest count, which is below every
    limit, so pricing refuses exactly when one of the limits is reached."""
    limits = max_uses_of(terms)
    if not limits:
        return 0
    moments = list(times)
    counts = [(r, sum(1 for t in moments if t >= pricing.max_uses_period_start(r, at))) for r in limits]
    reached = [count for r, count in counts if count >= r.uses]
    return reached[0] if reached else min(count for _, count in counts)


@dataclass(frozen=True, slots=True)
class PricedCheck:
    """The check as pricing sees it, with every discount on it; `references[i]` is discount i's user
    offer id ("" for a POS's own), and `held` the locks this check holds (see `price_check`)."""

    basket: pricing.Basket
    references: tuple[str, ...]
    held: tuple[LockRow, ...]
    # The basket prepared once (its groups and remaining amounts) for every offer priced on it.
    prepared: pricing.PreparedCheck

    def without(self, reference: str) -> pricing.PreparedCheck:
        """The check with the discount of `reference` left out (the one being computed again)."""
        if reference not in self.references:
            return self.prepared  # most offers priced on a check are not on it yet: nothing to change
        kept = tuple(d for d, r in zip(self.basket.discounts, self.references, strict=True) if r != reference)
        return self.prepared.with_discounts(kept)


def uses_categories(terms: pricing.OfferTerms) -> bool:
    """Whether the offer's restrictions name categories (then the check needs the retailer catalog)."""
    return any(r.category_ids for r in terms.catalog) or any(
        r.category_ids for r in terms.purchase if isinstance(r, pricing.MinQuantity | pricing.RequiredItems)
    )


async def price_check(
    conn: AsyncConnection,
    scope: Scope,
    transaction: Transaction,
    transaction_id: str,
    known: Mapping[UUID, WalletRow],
    known_locks: Mapping[UUID, LockRow],
    *,
    with_catalog: bool,
    every_held: bool = False,
    check_locks: int | None = None,
) -> PricedCheck:
    """Build the check's basket: our own discounts on it carry their lock's exact line shares and their
    offer's exclusivity; with `with_catalog`, items carry their catalog categories (one query). `known`
    are user offers already loaded and `known_locks` every lock row among them; any other user offer the
    check names is loaded, with its lock row, in one query.

    `held` is the check's locks on the user offers its discounts name, which is all the basket needs
    (a lock's shares are used only for the discount naming it), so it comes from the rows already read.
    With `every_held` (closing the check releases the locks it does not redeem) it is every lock the
    check holds: when `check_locks` (how many it holds, read with `known`) says those are all among the
    rows read, from them; else read in one more query."""
    references = tuple(reference_of(d) for d in transaction.discounts)
    ids = {u for u in (parse_uuid(r) for r in references if r) if u is not None}
    rows = dict(known)
    locks = dict(known_locks)
    missing = [u for u in ids if u not in rows]
    if missing:
        found = await read_model.wallet_rows_with_locks(conn, scope.retailer_id, missing)
        rows.update(found.rows)
        locks.update(found.locks)
    exclusive = frozenset(str(u) for u in ids if u in rows and terms_of(rows[u].offer, scope.exponent).exclusive)
    held = tuple(locks[u] for u in sorted(ids) if u in locks and locks[u].held_by(scope.store.id, transaction_id))
    if every_held and check_locks != len(held):
        # The check holds locks on offers it does not name (or how many is unknown): read them all.
        held = tuple(await repo.locks_of_check(conn, scope.retailer_id, scope.store.id, transaction_id))
    catalog = None
    if with_catalog:
        items = (loose_id(item.item_id) for item in transaction.items)
        catalog = await catalog_repo.categories_for(conn, scope.retailer_id, [i for i in items if i])
    basket = build_basket(
        transaction,
        scope.exponent,
        exclusive_references=exclusive,
        locked_shares={str(lock.user_offer_id): (lock.amount, lock.shares) for lock in held},
        catalog=catalog,
    )
    return PricedCheck(basket, references, held, pricing.prepare(basket))


def locked_discount(lock: LockRow) -> pricing.Discount:
    return pricing.Discount(amount=lock.amount, line_shares=lock.line_shares, stack_order=lock.stack_order)
