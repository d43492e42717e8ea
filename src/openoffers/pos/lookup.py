"""Lookup (API.md section 5): the customer, their points, and the offers a POS may apply.

Without a transaction: the redeemable wallet (Issued and inside its window as `INFO` with amount 0;
offers locked to a check as `LOCKED` with their locked amount). With one (public, SessionM's User Lookup:
"only catalog and store restrictions are checked"): the offers whose store and catalog restrictions pass
on that basket, each priced on it; one that fails another restriction (a "$4 off $50" on an $11 check)
is listed with amount 0, its `reason` and what the check lacks (`missing_amount`, ...). An offer locked
to this very check is priced again (as a re-lock would) and shown `LOCKED`; one locked to another check
is left out.

Hot path (ARCHITECTURE.md rule 9): the customer with their point balances in one query and the wallet with
its locks in one, both sent in one round trip (`read_model.customer_and_wallet`), max_uses counts in one
(only when an offer has max_uses); offer terms come from the per-process cache. The customer goes with
the balances, not the wallet: a retailer has a few accounts but a wallet many offers, and the customer's
columns would be repeated, and decoded, on every row. A check's own locks come from the wallet's rows:
only a lock on a user offer the check names matters to the basket, and those are read with the wallet or
with the check's other user offers.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.checks.schemas import loose_id
from openoffers.loyalty.points import repository as loyalty_repo
from openoffers.offers.terms import terms_of
from openoffers.pos import read_model
from openoffers.pos import repository as repo
from openoffers.pos.check_pricing import (
    context,
    locked_discount,
    price_check,
    redemption_log,
    uses_categories,
    uses_in_period,
)
from openoffers.pos.discount_object import INFO, LOCKED_WORD, discount_out
from openoffers.pos.holds import is_open
from openoffers.pos.schemas import AccountOut, DiscountOut, LookupPayload, LookupUser
from openoffers.pos.scope import Scope, transaction_key
from openoffers.wallet import service as wallet_service
from openoffers.wallet.lifecycle import LOCKED
from openoffers.wallet.repository import WalletRow


async def lookup_in(conn: AsyncConnection, scope: Scope, payload: LookupPayload) -> LookupUser:
    now = scope.now
    key = wallet_service.lookup_key(
        user_id=payload.user_id,
        external_customer_id=loose_id(payload.external_customer_id),
        email=payload.email,
        phone=payload.phone,
    )
    [(kind, value)] = key.items()
    # The customer and their wallet in one round trip (the wallet's user is the key's first).
    customer, rows, every_lock = await read_model.customer_and_wallet(conn, scope.retailer_id, kind, value, now)
    user = wallet_service.the_one_user(customer.users)
    balances = customer.balances
    if not any(b.account.is_default for b in balances):
        # Reads show the default account before its first use (it is created lazily with this id).
        balances = [loyalty_repo.AccountBalance(loyalty_repo.default_account(scope.retailer_id, now), None), *balances]
    # The locks of offers Locked now (one whose lock ran out is back in the wallet as Issued).
    locked = {r.user_offer.id for r in rows if r.status_at(now) == LOCKED}
    locks = {u: lock for u, lock in every_lock.items() if u in locked}
    if payload.transaction is None:
        offers = _wallet_offers(scope, rows, locks)
    else:
        offers = await _eligible_offers(conn, scope, payload, rows, locks, every_lock)
    return LookupUser(
        user_reference_id=str(user.id),
        user_account_id=str(user.id),
        partial_response=False,
        first_name=user.first_name,
        last_name=user.last_name,
        phone=user.phone,
        email=user.email,
        points=sum(b.available for b in balances),
        profile_fields=user.profile_fields,
        offers=offers,
        accounts=[
            AccountOut(
                account_name=b.account.name,
                user_point_account_id=str(b.balance.id) if b.balance else None,
                point_account_id=str(b.account.id),
                grouping_label=b.account.grouping_label,
                available_balance=b.available,
                life_time_value=b.lifetime,
            )
            for b in balances
        ],
        external_customer_id=user.external_customer_id,
    )


def _wallet_offers(scope: Scope, rows: list[WalletRow], locks: dict[UUID, repo.LockRow]) -> list[DiscountOut]:
    offers: list[DiscountOut] = []
    for row in rows:
        lock = locks.get(row.user_offer.id)
        if row.status_at(scope.now) == LOCKED and lock is not None:
            offers.append(
                discount_out(row, scope, status=LOCKED_WORD, discount=locked_discount(lock), applied_at=lock.locked_at)
            )
        elif is_open(row, scope.now):
            offers.append(discount_out(row, scope, status=INFO))
    return offers


async def _eligible_offers(
    conn: AsyncConnection,
    scope: Scope,
    payload: LookupPayload,
    rows: list[WalletRow],
    locks: dict[UUID, repo.LockRow],
    every_lock: dict[UUID, repo.LockRow],
) -> list[DiscountOut]:
    transaction = payload.transaction
    assert transaction is not None
    now = scope.now
    transaction_id = transaction_key(transaction)
    ours = {uo_id: lock for uo_id, lock in locks.items() if lock.held_by(scope.store.id, transaction_id)}
    candidates = [r for r in rows if r.user_offer.id in ours or is_open(r, now)]
    if not candidates:
        return []
    terms = {r.user_offer.id: terms_of(r.offer, scope.exponent) for r in candidates}
    check = await price_check(
        conn,
        scope,
        transaction,
        transaction_id,
        {r.user_offer.id: r for r in rows},
        every_lock,
        with_catalog=any(uses_categories(t) for t in terms.values()),
    )
    user_id = candidates[0].user_offer.user_id
    log = await redemption_log(conn, scope, user_id, ((r, terms[r.user_offer.id]) for r in candidates), now)
    offers: list[DiscountOut] = []
    # One context for every offer without max_uses (the count is 0 for them); the others get their own.
    unlimited = context(scope, transaction.channel, now)
    for row in candidates:
        uo = row.user_offer
        offer_terms = terms[uo.id]
        uses = uses_in_period(offer_terms, log.get(uo.root_offer_id, ()), now)
        at = unlimited if uses == 0 else context(scope, transaction.channel, now, uses)
        others = check.without(str(uo.id))
        priced = pricing.evaluate_prepared(offer_terms, others, at)
        result, failed = (None, priced) if isinstance(priced, pricing.Ineligible) else (priced, None)
        if failed is not None and pricing.listing_failure(offer_terms, others, at) is not None:
            continue  # its store or catalog restriction fails: not an offer for this check at all
        lock = ours.get(uo.id)
        if lock is not None:
            offers.append(
                discount_out(
                    row, scope, status=LOCKED_WORD, discount=result, applied_at=lock.locked_at, ineligible=failed
                )
            )
        else:
            offers.append(discount_out(row, scope, status=INFO, discount=result, ineligible=failed))
    return offers
