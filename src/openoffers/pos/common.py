"""What every POS use case shares: who is asking and where (`Scope`), whether a user offer can be put
on this check (`hold_of`), the pricing context, max_uses counts, and the discount object.

Decisions (docs/DECISIONS.md, "POS"):
- A lock whose time is up still belongs to its check until someone else takes it: the same check may
  re-lock or redeem it; another check takes it over; readers already show the offer as Issued.
- max_uses counts the customer's user offers of the same root offer that are Redeemed now and whose
  last `redeemed` event is inside the period (a reinstated or voided redemption no longer counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.catalog import service as catalog_repo
from openoffers.checks.basket import SESSIONM, build_basket, reference_of
from openoffers.checks.schemas import Transaction, loose_id
from openoffers.kit.clock import iso_z
from openoffers.kit.errors import AlreadyLocked, Conflict, DomainError, OfferNotRedeemable
from openoffers.kit.ids import parse_uuid
from openoffers.kit.money import currency_exponent, to_decimal
from openoffers.offers.terms import terms_of
from openoffers.pos import repository as repo
from openoffers.pos.repository import LockRow
from openoffers.pos.schemas import DiscountOut
from openoffers.tenancy.guards import require_pos_client_with
from openoffers.tenancy.repository import Retailer, Store
from openoffers.tenancy.service import Principal
from openoffers.wallet import lifecycle
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet.history import localize
from openoffers.wallet.lifecycle import EXPIRED, ISSUED, LOCKED, REDEEMED, REVOKED, STATUS_NAMES, UserWrite
from openoffers.wallet.repository import WalletRow

USER_OFFER_ID_TYPE = "userofferid"  # a discount object's reference_id_type, and a Lock's lookup type

# Discount object statuses (API.md section 5).
INFO, LOCKED_WORD, REDEEMED_WORD = "INFO", "LOCKED", "REDEEMED"

# OFFER_NOT_REDEEMABLE reasons that are not pricing's.
NOT_FOUND, NOT_YET_VALID = "NOT_FOUND", "NOT_YET_VALID"
_STATUS_REASONS: dict[int, str] = {REDEEMED: "REDEEMED", EXPIRED: "EXPIRED", REVOKED: "REVOKED"}


@dataclass(frozen=True, slots=True)
class Scope:
    """One POS request: the retailer and store it acts for, when, and how answers are localised."""

    retailer: Retailer
    store: Store
    client_id: UUID
    now: datetime
    culture: str | None
    lock_ttl_seconds: int

    @property
    def retailer_id(self) -> UUID:
        return self.retailer.id

    @property
    def exponent(self) -> int:
        return currency_exponent(self.retailer.currency)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.store.timezone)

    @property
    def actor(self) -> str:
        return f"pos_client:{self.client_id}"


async def begin_write(conn: AsyncConnection, scope: Scope, user_id: UUID, *, has_due: bool | None) -> UserWrite:
    """Begin the write to a customer's offers for this POS request (see `lifecycle.begin_user_write`)."""
    return await lifecycle.begin_user_write(conn, scope.retailer_id, user_id, scope.now, scope.actor, has_due=has_due)


def row_write(conn: AsyncConnection, scope: Scope) -> lifecycle.RowWrite:
    """This POS request's write on explicit rows (a lock released, a voided check's redemptions)."""
    return lifecycle.RowWrite(conn, scope.retailer_id, scope.now, scope.actor)


def scope_of(
    principal: Principal,
    found: tuple[Store, Retailer] | None,
    *,
    client_id: UUID,
    store_id: UUID,
    culture: str | None,
    now: datetime,
    lock_ttl_seconds: int,
) -> Scope:
    """Authorize the envelope (its client is the caller, its store one of the client's), given the store
    and retailer read with the credentials. Runs first in every POS transaction, before anything is
    claimed or changed."""
    store, retailer = require_pos_client_with(principal, client_id, store_id, found)
    return Scope(retailer, store, client_id, now, culture, lock_ttl_seconds)


def transaction_key(transaction: Transaction) -> str:
    return str(transaction.transaction_id).strip()


# ------------------------------------------------------------------------------------ refusals


def not_redeemable(message: str, reason: str, path: str | None = None) -> OfferNotRedeemable:
    fields = {path: [reason]} if path else None
    return OfferNotRedeemable(message, reason=reason, fields=fields)


def user_offer_not_found(path: str | None = None) -> OfferNotRedeemable:
    return not_redeemable("no such user offer", NOT_FOUND, path)


class Hold(Enum):
    """How a check can take a user offer."""

    FREE = "free"  # Issued and inside its window
    OURS = "ours"  # already locked to this check (even if its time is up)
    EXPIRED_OTHER = "expired_other"  # locked to another check whose lock ran out


def hold_of(row: WalletRow, lock: LockRow | None, store_id: UUID, transaction_id: str, now: datetime) -> Hold:
    """Whether this check may lock (or redeem) the user offer, or the refusal, raised."""
    uo = row.user_offer
    if uo.status == LOCKED:
        if lock is None:
            raise AlreadyLocked("the offer is locked to another transaction")
        if lock.held_by(store_id, transaction_id):
            if lock.expired_at(now) and row.status_at(now) == EXPIRED:
                raise not_redeemable("the offer's redemption window has ended", "EXPIRED")
            return Hold.OURS
        if not lock.expired_at(now):
            raise AlreadyLocked("the offer is locked to another transaction")
        if row.status_at(now) == EXPIRED:
            raise not_redeemable("the offer's redemption window has ended", "EXPIRED")
        return Hold.EXPIRED_OTHER
    status = uo.status_at(now)
    if status in _STATUS_REASONS:
        reason = _STATUS_REASONS[status]
        raise not_redeemable(f"the offer is {STATUS_NAMES[status].lower()}", reason)
    if uo.redemption_start > now:
        raise not_redeemable(f"the offer is redeemable from {iso_z(uo.redemption_start)}", NOT_YET_VALID)
    return Hold.FREE


async def raise_changed(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, now: datetime) -> None:
    """A conditional write found the user offer changed by someone else: say what it is now."""
    row = await wallet_repo.get_wallet_row(conn, retailer_id, user_offer_id)
    if row is None:
        raise user_offer_not_found()
    status = row.user_offer.status_at(now)
    if status == LOCKED:
        raise AlreadyLocked("the offer was locked to another transaction meanwhile")
    if status in _STATUS_REASONS:
        raise not_redeemable(f"the offer is {STATUS_NAMES[status].lower()}", _STATUS_REASONS[status])
    raise Conflict("the offer changed while this request ran; retry")


def refusal_at(error: DomainError, path: str) -> DomainError:
    """The same refusal, naming the part of the request it is about."""
    error.fields = {path: [error.reason or error.code]}
    return error


# ------------------------------------------------------------------------------------- pricing


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
    return await repo.redemption_times(conn, scope.retailer_id, user_id, list(limited), since)


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


def ineligible(result: pricing.Ineligible, path: str | None = None) -> OfferNotRedeemable:
    return not_redeemable(result.detail, result.reason.value, path)


# ------------------------------------------------------------------------------ discount object


def discount_out(
    row: WalletRow,
    scope: Scope,
    *,
    status: str,
    discount: pricing.Discount | None = None,
    applied_at: datetime | None = None,
) -> DiscountOut:
    """The guide's discount object for one user offer, its text in the envelope's culture."""
    uo = row.user_offer
    text = localize(row.offer, scope.culture, scope.retailer.culture)
    shares = discount.line_shares if discount else ()
    return DiscountOut(
        reference_id=str(uo.id),
        user_id=str(uo.user_id),
        reference_id_type=USER_OFFER_ID_TYPE,
        pos_discount_id=None,
        status=status,
        display_name=text.title,
        image_url=text.media_uri or None,
        discounted_line_ids=[share.line_id for share in shares],
        discounted_line_id_quantities=[{"line_id": share.line_id, "quantity": share.quantity} for share in shares],
        discount_source=SESSIONM,
        amount=to_decimal(discount.amount if discount else 0, scope.exponent),
        stack_order=discount.stack_order if discount else 0,
        applied_time=iso_z(applied_at),
    )


@dataclass(frozen=True, slots=True)
class PricedCheck:
    """The check as pricing sees it, with every discount on it; `references[i]` is discount i's user
    offer id ("" for a POS's own), and `held` the locks this check holds (see `price_check`)."""

    basket: pricing.Basket
    references: tuple[str, ...]
    held: tuple[LockRow, ...]

    def without(self, reference: str) -> pricing.Basket:
        """The basket with the discount of `reference` left out (the one being computed again)."""
        kept = tuple(d for d, r in zip(self.basket.discounts, self.references, strict=True) if r != reference)
        return replace(self.basket, discounts=kept)


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
) -> PricedCheck:
    """Build the check's basket: our own discounts on it carry their lock's exact line shares and their
    offer's exclusivity; with `with_catalog`, items carry their catalog categories (one query). `known`
    are user offers already loaded and `known_locks` every lock row among them; any other user offer the
    check names is loaded, with its lock row, in one query.

    `held` is the check's locks on the user offers its discounts name, which is all the basket needs
    (a lock's shares are used only for the discount naming it), so it comes from the rows already read.
    With `every_held` (closing the check releases the locks it does not redeem) it is every lock the
    check holds, read in one more query."""
    references = tuple(reference_of(d) for d in transaction.discounts)
    ids = {u for u in (parse_uuid(r) for r in references if r) if u is not None}
    rows = dict(known)
    locks = dict(known_locks)
    missing = [u for u in ids if u not in rows]
    if missing:
        found = await repo.wallet_rows_with_locks(conn, scope.retailer_id, missing)
        rows.update(found.rows)
        locks.update(found.locks)
    exclusive = frozenset(str(u) for u in ids if u in rows and terms_of(rows[u].offer, scope.exponent).exclusive)
    if every_held:
        held = tuple(await repo.locks_of_check(conn, scope.retailer_id, scope.store.id, transaction_id))
    else:
        held = tuple(locks[u] for u in sorted(ids) if u in locks and locks[u].held_by(scope.store.id, transaction_id))
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
    return PricedCheck(basket, references, held)


def locked_discount(lock: LockRow) -> pricing.Discount:
    return pricing.Discount(amount=lock.amount, line_shares=lock.line_shares, stack_order=lock.stack_order)


def is_open(row: WalletRow, now: datetime) -> bool:
    """In the wallet and usable now: Issued (a lock whose time is up counts) and inside its window."""
    return row.status_at(now) == ISSUED and row.user_offer.redemption_start <= now
