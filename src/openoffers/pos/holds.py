"""Whether a user offer can be put on this check (`hold_of`), and the refusals a POS call answers.

Decision (docs/DECISIONS.md, "POS"): a lock whose time is up still belongs to its check until someone
else takes it: the same check may re-lock or redeem it; another check takes it over; readers already
show the offer as Issued.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.kit.clock import iso_z
from openoffers.kit.errors import AlreadyLocked, Conflict, DomainError, OfferNotRedeemable
from openoffers.pos.repository import LockRow
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet.lifecycle import EXPIRED, ISSUED, LOCKED, REDEEMED, REVOKED, STATUS_NAMES
from openoffers.wallet.repository import WalletRow

NOT_FOUND, NOT_YET_VALID = "NOT_FOUND", "NOT_YET_VALID"
_STATUS_REASONS: dict[int, str] = {REDEEMED: "REDEEMED", EXPIRED: "EXPIRED", REVOKED: "REVOKED"}


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


def ineligible(result: pricing.Ineligible, path: str | None = None) -> OfferNotRedeemable:
    return not_redeemable(result.detail, result.reason.value, path)


def is_open(row: WalletRow, now: datetime) -> bool:
    """In the wallet and usable now: Issued (a lock whose time is up counts) and inside its window."""
    return row.status_at(now) == ISSUED and row.user_offer.redemption_start <= now
