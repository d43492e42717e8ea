"""Reading wallets: the redeemable user offers of a user, one user offer with its events, and the
guide's user_offer_history. Reads never write: a user offer whose window has ended shows as Expired
(with the expiry event it will be recorded with) whether or not a write has recorded it yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit import culture
from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import NotFound, UserNotFound
from openoffers.offers.repository import OfferRow
from openoffers.tenancy import repository as tenancy_repo
from openoffers.wallet import lifecycle
from openoffers.wallet import repository as repo
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.lifecycle import EXPIRED, STATUS_NAMES
from openoffers.wallet.repository import EventRow, WalletRow
from openoffers.wallet.schemas import (
    EventOut,
    HistoryEntry,
    HistoryOut,
    HistoryRequest,
    OfferGroupOut,
    UserOfferDetail,
    UserOfferOut,
    UserOfferRequest,
    WalletRequest,
)

# SessionM sorts a wallet into offer groups and categories; OpenOffers has neither, so a wallet has the one
# group and the one category every SessionM wallet has, "All Offers", under the nil id Braze's sample shows.
ALL_OFFERS_ID = UUID(int=0)
ALL_OFFERS = [OfferGroupOut(id=ALL_OFFERS_ID, name="All Offers", sort_order=0)]


@dataclass(frozen=True, slots=True)
class Localized:
    """An offer revision's text and media in the chosen culture."""

    title: str
    description: str
    terms: str
    culture: str
    media_uri: str
    media_culture: str


def localize(offer: OfferRow, wanted: str | None, default_culture: str) -> Localized:
    """Text by exact culture, then language, then the retailer's default, then the first (API.md 1);
    media of the chosen text's language, else media without a culture."""
    texts = offer.texts
    index = culture.pick([t["culture"] for t in texts], wanted, default_culture)
    text: dict[str, Any] = texts[index] if index is not None else {}
    chosen = str(text.get("culture", ""))
    lang = culture.language(chosen or wanted or default_culture)
    media = next((m for m in offer.media if m["culture"] and culture.language(m["culture"]) == lang), None)
    media = media or next((m for m in offer.media if not m["culture"]), None)
    return Localized(
        title=str(text.get("title", "")),
        description=str(text.get("description", "")),
        terms=str(text.get("terms", "")),
        culture=chosen,
        media_uri=str(media["uri"]) if media else "",
        media_culture=str(media["culture"]) if media else "",
    )


# A revision never changes (an edit is a new updated_at), so its text per culture is computed once per
# process: a POS Lookup localises every offer of the wallet on every call. Bounded like the revision
# cache it sits beside; cleared when full rather than tracked, as refilling it is cheap.
_LOCALIZED_SIZE = 10_000
_localized: dict[tuple[UUID, UUID, datetime, str | None, str], Localized] = {}


def localize_revision(offer: OfferRow, wanted: str | None, default_culture: str) -> Localized:
    """`localize`, remembered per revision (retailer, offer, updated_at) and cultures."""
    key = (offer.retailer_id, offer.id, offer.updated_at, wanted, default_culture)
    text = _localized.get(key)
    if text is None:
        if len(_localized) >= _LOCALIZED_SIZE:
            _localized.clear()
        text = _localized[key] = localize(offer, wanted, default_culture)
    return text


async def default_culture_of(conn: AsyncConnection, retailer_id: UUID) -> str:
    return (await tenancy_repo.require_retailer(conn, retailer_id)).culture


def user_offer_out(row: WalletRow, now: datetime, wanted: str | None, default_culture: str) -> UserOfferOut:
    uo, text = row.user_offer, localize(row.offer, wanted, default_culture)
    status = row.status_at(now)
    return UserOfferOut(
        user_offer_id=uo.id,
        offer_id=uo.offer_id,
        root_offer_id=uo.root_offer_id,
        user_id=uo.user_id,
        offer_type=row.offer.offer_type,
        title=text.title,
        description=text.description,
        terms=text.terms,
        culture=text.culture,
        media_uri=text.media_uri,
        media_culture=text.media_culture,
        acquire_date=iso_z(uo.acquired_at) or "",
        redemption_start_date=iso_z(uo.redemption_start) or "",
        redemption_end_date=iso_z(uo.redemption_end),
        status=status,
        status_description=STATUS_NAMES[status],
        source=uo.source,
        offer_group_id=ALL_OFFERS_ID,
    )


def history_entry(
    row: WalletRow, now: datetime, default_culture: str, *, wanted: str | None, skip: int, take: int
) -> HistoryEntry:
    uo, text = row.user_offer, localize(row.offer, wanted, default_culture)
    status = row.status_at(now)
    return HistoryEntry(
        title=text.title,
        description=text.description,
        terms=text.terms,
        user_offer_id=uo.id,
        offer_id=uo.offer_id,
        offer_type=row.offer.offer_type,
        user_id=uo.user_id,
        acquire_date=iso_z(uo.acquired_at) or "",
        redemption_start_date=iso_z(uo.redemption_start) or "",
        redemption_end_date=iso_z(uo.redemption_end),
        status=status,
        status_description=STATUS_NAMES[status],
        culture=text.culture,
        media_uri=text.media_uri,
        media_culture=text.media_culture,
        skip=skip,
        take=take,
    )


async def _require_users(conn: AsyncConnection, retailer_id: UUID, user_ids: Sequence[UUID], field: str) -> None:
    """USER_NOT_FOUND naming each unknown id (`user_ids[1]`); another retailer's user is unknown here."""
    found = await users_repo.existing_user_ids(conn, retailer_id, user_ids)
    missing = [i for i, user_id in enumerate(user_ids) if user_id not in found]
    if missing:
        paths = [field] if field == "user_id" else [f"{field}[{i}]" for i in missing]
        raise UserNotFound("user not found", fields={path: ["not found"] for path in paths})


async def wallet_page(conn: AsyncConnection, request: WalletRequest, now: datetime) -> tuple[int, list[UserOfferOut]]:
    """One page of the wallet (Issued offers inside their window and Locked ones, newest first) and how
    many it holds in all, in the caller's transaction."""
    await _require_users(conn, request.retailer_id, [request.user_id], "user_id")
    default_culture = await default_culture_of(conn, request.retailer_id)
    total = await repo.count_wallet(conn, request.retailer_id, request.user_id, now)
    rows = await repo.wallet_rows(conn, request.retailer_id, request.user_id, now, skip=request.skip, take=request.take)
    return total, [user_offer_out(r, now, request.culture, default_culture) for r in rows]


def _detail(
    row: WalletRow, events: list[EventRow], now: datetime, culture: str | None, default_culture: str
) -> UserOfferDetail:
    out = user_offer_out(row, now, culture, default_culture)
    shown = [
        EventOut(kind=e.kind, at=iso_z(e.at) or "", actor=e.actor, reason=e.reason, detail=e.detail) for e in events
    ]
    uo = row.user_offer
    if uo.status != EXPIRED and out.status == EXPIRED and uo.redemption_end is not None:
        # Not recorded yet (no write has touched this user since): show the event it will be stored as.
        pending = lifecycle.expiry_event(uo.redemption_end)
        shown.append(
            EventOut(
                kind=pending.kind, at=iso_z(pending.at) or "", actor=pending.actor, reason=pending.reason, detail={}
            )
        )
    return UserOfferDetail(**{f: getattr(out, f) for f in UserOfferOut.__struct_fields__}, events=shown)


async def get_user_offer(db: Database, request: UserOfferRequest, now: datetime) -> UserOfferDetail:
    """One user offer, any status, with every event of its history, oldest first."""
    async with db.read() as conn:
        row = await repo.get_wallet_row(conn, request.retailer_id, request.user_offer_id)
        if row is None:
            raise NotFound("user offer not found", fields={"user_offer_id": ["not found"]})
        events = await repo.list_events(conn, request.retailer_id, request.user_offer_id)
        default_culture = await default_culture_of(conn, request.retailer_id)
    return _detail(row, events, now, request.culture, default_culture)


async def user_offer_details(
    db: Database, retailer_id: UUID, user_offer_ids: Sequence[UUID], now: datetime, culture: str | None = None
) -> list[UserOfferDetail]:
    """Several user offers with their events, in the order asked, in three queries (unknown ids are
    left out): what a page listing a customer's history shows."""
    async with db.read() as conn:
        rows = await repo.wallet_rows_by_ids(conn, retailer_id, user_offer_ids)
        events = await repo.list_events_of(conn, retailer_id, list(rows))
        default_culture = await default_culture_of(conn, retailer_id)
    return [_detail(rows[i], events[i], now, culture, default_culture) for i in user_offer_ids if i in rows]


async def user_offer_history(db: Database, request: HistoryRequest, now: datetime) -> HistoryOut:
    """Every user offer of the users (issued, locked, redeemed, expired, revoked), newest first."""
    async with db.read() as conn:
        await _require_users(conn, request.retailer_id, request.user_ids, "user_ids")
        default_culture = await default_culture_of(conn, request.retailer_id)
        total, rows = await repo.history_rows(
            conn,
            request.retailer_id,
            request.user_ids,
            request.rollback_option,
            skip=request.skip,
            take=request.take,
        )
    return HistoryOut(
        total_records=total,
        results=[
            history_entry(r, now, default_culture, wanted=request.culture, skip=request.skip, take=request.take)
            for r in rows
        ],
    )
