"""Publishing, deactivating, reactivating and deleting an offer: the offers service changes the offer,
and a deletion also revokes the offer's unredeemed user offers (API.md 3.2), in the same transaction.
The second half is the wallet's, which is why this use case sits here, above `offers`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from openoffers.kit.db import Database
from openoffers.offers import service as offers
from openoffers.offers.repository import DELETED
from openoffers.offers.schemas import MutationResult
from openoffers.wallet import lifecycle

DELETED_REASON = "offer deleted"


async def change_status(db: Database, retailer_id: UUID, offer_id: UUID, action: str, now: datetime) -> MutationResult:
    """publish / deactivate / reactivate / delete. Repeating a call that already took effect is a no-op."""
    async with db.write() as conn:
        change = await offers.change_status_in(conn, retailer_id, offer_id, action, now)
        if change.changed and change.result.new_status == DELETED:
            sweep = lifecycle.RowWrite(conn, retailer_id, now)
            await lifecycle.revoke_unredeemed(sweep, change.result.root_offer_id, DELETED_REASON)
    return change.result
