"""The audit rows of changes made to customers and their user offers from the management side (the admin
UI and the Offers API): a customer created, edited or imported; an offer issued, revoked, redeemed by
hand or given data. Each is written by `tenancy.audit.record` in the transaction of the change.

The POS's changes to the same user offers (lock, redeem, reinstate...) and what loyalty rules issue are
not recorded here: they are in the user offer's own history, with their actor (docs/DECISIONS.md, "The
audit log's boundary").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import iso_z
from openoffers.tenancy import audit
from openoffers.wallet.lifecycle import STATUS_NAMES
from openoffers.wallet.repository import UserOfferRow
from openoffers.wallet.users_repository import UserRow

CUSTOMER_FIELDS = ("external_customer_id", "first_name", "last_name", "email", "phone", "profile_fields")


def customer_view(user: UserRow) -> dict[str, Any]:
    """A customer as the audit log shows them: the profile a person can change, nothing computed."""
    return {name: getattr(user, name) for name in CUSTOMER_FIELDS}


def status_name(status: int) -> str:
    return STATUS_NAMES[status].lower()


def user_offer_view(row: UserOfferRow) -> dict[str, Any]:
    """A user offer as it was issued: whose, which revision, its status and its redemption window."""
    return {
        "user_id": str(row.user_id),
        "offer_id": str(row.offer_id),
        "root_offer_id": str(row.root_offer_id),
        "status": status_name(row.status),
        "redemption_start": iso_z(row.redemption_start),
        "redemption_end": iso_z(row.redemption_end),
    }


async def customer_created(conn: AsyncConnection, user: UserRow, now: datetime) -> None:
    await audit.record(
        conn,
        retailer_id=user.retailer_id,
        object_type="customer",
        object_id=user.id,
        action="created",
        before=None,
        after=customer_view(user),
        now=now,
    )


async def customer_updated(conn: AsyncConnection, before: UserRow, after: UserRow, now: datetime) -> None:
    """The fields that changed, old and new; a save that changed none is not a change: no row."""
    old, new = audit.changed_fields(customer_view(before), customer_view(after))
    if not new:
        return
    await audit.record(
        conn,
        retailer_id=after.retailer_id,
        object_type="customer",
        object_id=after.id,
        action="updated",
        before=old,
        after=new,
        now=now,
    )


async def customers_imported(
    conn: AsyncConnection, retailer_id: UUID, *, file: str, created: int, now: datetime
) -> None:
    """One row for a whole import, against the retailer (whose customers they are): how many customers
    the file made, and its name. Never a row per customer."""
    await audit.record(
        conn,
        retailer_id=retailer_id,
        object_type="customer",
        object_id=retailer_id,
        action="imported",
        before=None,
        after={"created": created, "file": file},
        now=now,
    )


async def user_offer_changed(
    conn: AsyncConnection,
    row: UserOfferRow,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    now: datetime,
) -> None:
    await audit.record(
        conn,
        retailer_id=row.retailer_id,
        object_type="user_offer",
        object_id=row.id,
        action=action,
        before=before,
        after=after,
        now=now,
    )
