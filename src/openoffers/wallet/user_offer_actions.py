"""Offers API calls on one user offer that public SessionM clients make besides issue and revoke:
acquisition/update (data attached to it) and redemption/manual_redeem (redeemed without a check).
Each owns one transaction and changes the user offer only through `wallet.lifecycle`, and records the
change in the audit log (`wallet.audited`) in the same transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.db import Database
from openoffers.kit.errors import AlreadyLocked, Conflict, NotFound, OfferNotRedeemable, ValidationFailed
from openoffers.tables.wallet import EventKind
from openoffers.wallet import audited, lifecycle
from openoffers.wallet import repository as repo
from openoffers.wallet.history import default_culture_of, user_offer_out
from openoffers.wallet.lifecycle import ISSUED, LOCKED, REDEEMED, STATUS_NAMES
from openoffers.wallet.repository import UserOfferRow, WalletRow
from openoffers.wallet.schemas import ManualRedeemRequest, UpdatedUserOffer, UpdateUserOfferRequest, UserOfferOut

MANUAL_REASON = "redeemed manually"


async def _user_offer(
    conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, user_id: UUID | None
) -> UserOfferRow:
    current = await repo.get_user_offer(conn, retailer_id, user_offer_id)
    if current is None or (user_id is not None and current.user_id != user_id):
        raise NotFound("user offer not found", fields={"user_offer_id": ["not found"]})
    return current


async def _row(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID) -> WalletRow:
    row = await repo.get_wallet_row(conn, retailer_id, user_offer_id)
    assert row is not None  # read in this transaction a moment ago; user offers are never deleted
    return row


async def _attached_data(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID) -> str | None:
    """The `custom_data` the user offer carries now: that of its latest `updated` event, if any."""
    events = await repo.list_events(conn, retailer_id, user_offer_id)
    attached = [e.detail.get("custom_data") for e in events if e.kind == EventKind.UPDATED]
    return attached[-1] if attached else None


async def update(db: Database, request: UpdateUserOfferRequest, now: datetime, actor: str) -> UpdatedUserOffer:
    """Attach `custom_data` to the user offer (an `updated` event in its history); its status and window
    stay as they are."""
    if request.update_redemption_dates:
        raise ValidationFailed.field(
            "update_redemption_dates", "is not supported: a user offer keeps the window it was issued with"
        )
    retailer_id = request.retailer_id
    async with db.write() as conn:
        current = await _user_offer(conn, retailer_id, request.user_offer_id, request.user_id)
        w = await lifecycle.begin_user_write(conn, retailer_id, current.user_id, now, actor)
        before = {"custom_data": await _attached_data(conn, retailer_id, current.id)}
        await lifecycle.update_data(w, current.id, {"custom_data": request.custom_data})
        after = {"custom_data": request.custom_data}
        await audited.user_offer_changed(conn, current, "updated", before, after, now)
        row = await _row(conn, retailer_id, current.id)
        default_culture = await default_culture_of(conn, retailer_id)
    out = user_offer_out(row, now, None, default_culture)
    return UpdatedUserOffer(
        **{f: getattr(out, f) for f in UserOfferOut.__struct_fields__}, custom_data=request.custom_data
    )


async def manual_redeem(db: Database, request: ManualRedeemRequest, now: datetime, actor: str) -> UserOfferOut:
    """Issued -> Redeemed without a check. A Locked offer is the POS's to redeem (ALREADY_LOCKED); a
    Redeemed, Expired or Revoked one is OFFER_NOT_REDEEMABLE with that reason. Nothing changes on a
    refusal. A redemption window opens at acquisition, so an Issued offer is always redeemable and
    `force_redeem` has nothing to force: it is recorded in the event, and changes nothing."""
    retailer_id = request.retailer_id
    async with db.write() as conn:
        current = await _user_offer(conn, retailer_id, request.user_offer_id, None)
        w = await lifecycle.begin_user_write(conn, retailer_id, current.user_id, now, actor)
        uo = (await _row(conn, retailer_id, current.id)).user_offer  # after its expiry was recorded
        status = uo.status_at(now)
        if status == LOCKED:
            raise AlreadyLocked(
                "the user offer is locked to a check: the POS redeems it", fields={"user_offer_id": ["is locked"]}
            )
        if status != ISSUED:
            name = STATUS_NAMES[status]
            raise OfferNotRedeemable(
                f"a {name.lower()} user offer cannot be redeemed",
                reason=name.upper(),
                fields={"user_offer_id": [f"is {name.lower()}"]},
            )
        detail = {"manual": True, "force_redeem": request.force_redeem}
        reason = request.reason.strip() or MANUAL_REASON
        if not await lifecycle.manual_redeem(w, uo.id, reason, detail):
            # Locked or revoked by a concurrent call since our read: theirs stands, ours changes nothing.
            raise Conflict("the user offer changed meanwhile; read it again", fields={"user_offer_id": ["changed"]})
        was = {"status": audited.status_name(ISSUED)}
        now_is = {"status": audited.status_name(REDEEMED), "reason": reason}
        await audited.user_offer_changed(conn, uo, "redeemed", was, now_is, now)
        row = await _row(conn, retailer_id, uo.id)
        default_culture = await default_culture_of(conn, retailer_id)
    return user_offer_out(row, now, None, default_culture)
