"""What the offer lists and pickers say about an offer: whether its acquisition window has ended, and
a label that tells apart offers with the same title (type, window start and a short id)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from openoffers.admin import describe
from openoffers.kit.clock import as_utc
from openoffers.kit.db import Database
from openoffers.kit.wire import parse_time
from openoffers.offers.repository import SORTS, offer_counts
from openoffers.offers.schemas import OfferSummary

PUBLISHED = 1
SORT_KEYS = frozenset(SORTS)


def has_ended(offer: OfferSummary, now: datetime) -> bool:
    """Published, but its acquisition window closed: it can no longer be issued."""
    end = offer.acquisition_end_date
    return offer.status == PUBLISHED and end is not None and as_utc(parse_time(end)) <= now


def status_label(offer: OfferSummary, now: datetime) -> str:
    return "Ended" if has_ended(offer, now) else describe.STATUS_LABELS[offer.status]


def picker_labels(offers: Sequence[OfferSummary], timezone: str) -> dict[str, str]:
    """Offer id -> what a picker shows: the title, and for titles shared by several offers, the type,
    when the window opens and the id's first characters, so no two choices read the same."""
    counts = Counter((o.title or "Untitled offer") for o in offers)
    labels: dict[str, str] = {}
    for o in offers:
        title = o.title or "Untitled offer"
        if counts[title] > 1:
            start = describe.local_time(o.acquisition_start_date, timezone) or "any time"
            title = f"{title} · {describe.type_label(o.offer_type)} · from {start} · {str(o.root_offer_id)[:8]}"
        labels[str(o.id)] = title
    return labels


def issuable(offers: Sequence[OfferSummary], now: datetime) -> list[OfferSummary]:
    """Published offers whose window has not ended: what an issue picker may offer."""
    return [o for o in offers if o.status == PUBLISHED and not has_ended(o, now)]


async def issued_and_redeemed(
    db: Database, retailer_id: UUID, offers: Sequence[OfferSummary]
) -> dict[str, tuple[int, int]]:
    """Offer id -> (user offers issued, redeemed now), every revision counted, for a page of a list."""
    async with db.read() as conn:
        counts = await offer_counts(conn, retailer_id, [o.root_offer_id for o in offers])
    return {
        str(o.id): (counts[o.root_offer_id].acquired, counts[o.root_offer_id].redeemed)
        for o in offers
        if o.root_offer_id in counts
    }
