"""The one owner of a user offer's life: its statuses, its event kinds, which changes are allowed, and
the verbs that make them. Every status change and every history event is written here, in the
caller's transaction, so this is also the one place where changes are published: each change writes
its `user_offer.*` event to the outbox (`openoffers.events`) in the same transaction.

    issue ──> Issued ──lock──> Locked ──redeem──> Redeemed
                │  ^             │ ^                 │
                │  └─release─────┘ └─take over       ├─reinstate / void──> Issued
                ├─expire──> Expired                  │
                └─revoke──> Revoked <──revoke── Locked

Each verb is one conditional update (`UPDATE ... WHERE status IN (allowed)`) plus its event; it
answers whether this caller made the change, so whoever's statement changes the row owns the change
and everyone else is refused and rolls back.

Due expiries are recorded by construction: a verb on a customer's offers takes a `UserWrite`, and the
only way to get one is `begin_user_write`, which first records the expiry of that customer's Issued
offers whose window has ended (so the stored history never skips an `expired` the readers already
show). Changes that act on explicit rows and need nothing recorded first (a lock released, a sweep)
accept a `RowWrite` as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import events
from openoffers.events import EventType
from openoffers.kit.clock import iso_z
from openoffers.tables.wallet import EventKind, UserOfferStatus, user_offers
from openoffers.wallet import repository as repo
from openoffers.wallet.repository import Event, UserOfferRow, effective_status

Status = UserOfferStatus
ISSUED, LOCKED, REDEEMED, EXPIRED, REVOKED = (
    Status.ISSUED,
    Status.LOCKED,
    Status.REDEEMED,
    Status.EXPIRED,
    Status.REVOKED,
)
STATUS_NAMES: dict[int, str] = {status: status.label for status in Status}

SYSTEM_ACTOR = "system"
EXPIRY_REASON = "redemption window ended"
LOCK_EXPIRED_REASON = "lock time ran out"

# Which statuses each kind of change may start from, and where it leads. A check taking over another's
# run-out lock is the one change that keeps the status (Locked): `take_over` records its two events.
TRANSITIONS: dict[EventKind, tuple[tuple[Status, ...], Status]] = {
    EventKind.ISSUED: ((), ISSUED),
    EventKind.LOCKED: ((ISSUED,), LOCKED),
    EventKind.UNLOCKED: ((LOCKED,), ISSUED),
    EventKind.LOCK_EXPIRED: ((LOCKED,), ISSUED),
    EventKind.REDEEMED: ((LOCKED,), REDEEMED),
    EventKind.REINSTATED: ((REDEEMED,), ISSUED),
    EventKind.VOIDED: ((REDEEMED,), ISSUED),
    EventKind.REVOKED: ((ISSUED, LOCKED), REVOKED),
    EventKind.EXPIRED: ((ISSUED,), EXPIRED),
}
# A manual redemption (the Offers API's redemption/manual_redeem: no check, so no lock) is recorded as a
# `redeemed` event like any other (max_uses counts it), but it starts from Issued.
MANUAL_REDEMPTION: tuple[tuple[Status, ...], Status] = ((ISSUED,), REDEEMED)


# What the outside hears of each kind of change. A lock whose time ran out is, to the outside, unlocked
# (its event's `kind` says why).
PUBLISHED: dict[EventKind, EventType] = {
    EventKind.ISSUED: EventType.USER_OFFER_ISSUED,
    EventKind.LOCKED: EventType.USER_OFFER_LOCKED,
    EventKind.UNLOCKED: EventType.USER_OFFER_UNLOCKED,
    EventKind.LOCK_EXPIRED: EventType.USER_OFFER_UNLOCKED,
    EventKind.REDEEMED: EventType.USER_OFFER_REDEEMED,
    EventKind.REINSTATED: EventType.USER_OFFER_REINSTATED,
    EventKind.VOIDED: EventType.USER_OFFER_VOIDED,
    EventKind.REVOKED: EventType.USER_OFFER_REVOKED,
    EventKind.EXPIRED: EventType.USER_OFFER_EXPIRED,
}


@dataclass(frozen=True, slots=True)
class RowWrite:
    """A write on explicit rows that need no customer's expiries recorded first: housekeeping sweeps, an
    offer's deletion, a lock going back to the wallet, a voided check's redemptions."""

    conn: AsyncConnection
    retailer_id: UUID
    now: datetime
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True)
class UserWrite:
    """A write to one customer's offers whose due expiries are already recorded in this transaction.
    Made only by `begin_user_write`."""

    conn: AsyncConnection
    retailer_id: UUID
    user_id: UUID
    now: datetime
    actor: str


Write = UserWrite | RowWrite


async def begin_user_write(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_id: UUID,
    now: datetime,
    actor: str,
    *,
    has_due: bool | None = None,
) -> UserWrite:
    """The first step of every write to a customer's offers (and of the lock order): record the expiry
    of their Issued offers whose window has ended. `has_due=False` says the caller read, in this
    transaction, that there are none (`has_due` below), which saves the sweep's statement."""
    w = UserWrite(conn, retailer_id, user_id, now, actor)
    if has_due is not False:
        await _expire_rows(w, await _due_of_user(conn, retailer_id, user_id, now))
    return w


def has_due(
    retailer_id: UUID | ColumnElement[UUID], user_id: ColumnElement[Any], now: datetime | ColumnElement[datetime]
) -> ColumnElement[bool]:
    """Whether `user_id` (a column of the caller's query) has expiries `begin_user_write` would record:
    a hot path reads it with the rows it needs anyway and passes it on as `has_due`. `retailer_id` and
    `now` may be bind parameters of a statement built once."""
    due = user_offers.alias("due")
    return exists().where(
        due.c.retailer_id == retailer_id,
        due.c.user_id == user_id,
        due.c.status == ISSUED,
        due.c.redemption_end.is_not(None),
        due.c.redemption_end <= now,
    )


def published_data(row: UserOfferRow, event: Event) -> dict[str, Any]:
    """A `user_offer.*` event's data: the user offer in the wallet API's field names and forms (without
    the culture-dependent text of its offer, which `get_user_offer` answers), plus the change itself."""
    return {
        "user_offer_id": str(row.id),
        "offer_id": str(row.offer_id),
        "root_offer_id": str(row.root_offer_id),
        "user_id": str(row.user_id),
        "acquire_date": iso_z(row.acquired_at),
        "redemption_start_date": iso_z(row.redemption_start),
        "redemption_end_date": iso_z(row.redemption_end),
        "status": int(row.status),
        "status_description": STATUS_NAMES[row.status],
        "source": row.source,
        "event": {
            "kind": str(event.kind),
            "at": iso_z(event.at),
            "actor": event.actor,
            "reason": event.reason,
            "detail": event.detail,
        },
    }


async def _publish(w: Write, row: UserOfferRow, event: Event) -> None:
    data = published_data(row, event)
    await events.record(w.conn, w.retailer_id, PUBLISHED[EventKind(event.kind)], event.at, row.user_id, data)


async def _transition(w: Write, user_offer_id: UUID, kind: EventKind, event: Event) -> bool:
    allowed, target = TRANSITIONS[kind]
    return await _apply(w, user_offer_id, allowed, target, event)


async def _apply(w: Write, user_offer_id: UUID, allowed: tuple[Status, ...], target: Status, event: Event) -> bool:
    """The conditional update and its event, then what the outside hears of it, in the caller's
    transaction; False (nothing written) when someone else changed the offer first."""
    changed = await repo.transition(w.conn, w.retailer_id, user_offer_id, allowed, target, event)
    if changed is None:
        return False
    await _publish(w, changed, event)
    return True


async def _change(
    w: Write,
    user_offer_id: UUID,
    kind: EventKind,
    *,
    at: datetime | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> bool:
    """Apply TRANSITIONS[kind] to one user offer and record its event; False (nothing written) when the
    offer is no longer in a status the change may start from."""
    return await _transition(w, user_offer_id, kind, Event(kind, at or w.now, w.actor, reason, detail or {}))


# ------------------------------------------------------------------------------------------ verbs


async def issue(w: UserWrite, user_offer: UserOfferRow, *, reason: str = "", detail: dict[str, Any]) -> None:
    """A new user offer, Issued, with its `issued` event."""
    assert user_offer.status == ISSUED and user_offer.user_id == w.user_id
    event = Event(EventKind.ISSUED, w.now, w.actor, reason, detail)
    await repo.insert_user_offer(w.conn, user_offer)
    await repo.add_event(w.conn, w.retailer_id, user_offer.id, event)
    await _publish(w, user_offer, event)


async def lock(w: UserWrite, user_offer_id: UUID, detail: dict[str, Any]) -> bool:
    """Issued -> Locked to a check."""
    return await _change(w, user_offer_id, EventKind.LOCKED, detail=detail)


async def take_over(
    w: UserWrite, user_offer_id: UUID, expired_at: datetime, expired_detail: dict[str, Any], detail: dict[str, Any]
) -> None:
    """Locked stays Locked, to another check: the old lock ended when its time ran out (whoever noticed
    it later), then the new check locked it. The caller has already moved the lock row conditionally."""
    expired = Event(EventKind.LOCK_EXPIRED, expired_at, SYSTEM_ACTOR, LOCK_EXPIRED_REASON, expired_detail)
    locked = Event(EventKind.LOCKED, w.now, w.actor, "", detail)
    await repo.add_event(w.conn, w.retailer_id, user_offer_id, expired)
    await repo.add_event(w.conn, w.retailer_id, user_offer_id, locked)
    row = await repo.get_user_offer(w.conn, w.retailer_id, user_offer_id)
    assert row is not None  # the caller moved its lock row in this transaction
    # The outside sees it unlocked (as Issued, for the moment between) and locked again.
    await _publish(w, replace(row, status=ISSUED), expired)
    await _publish(w, row, locked)


async def release(w: Write, user_offer_id: UUID, reason: str, detail: dict[str, Any]) -> bool:
    """Locked -> Issued, back in the wallet (unlocked at the POS, or a closed check that did not use it)."""
    return await _change(w, user_offer_id, EventKind.UNLOCKED, reason=reason, detail=detail)


async def release_expired_lock(w: Write, user_offer_id: UUID, expired_at: datetime, detail: dict[str, Any]) -> bool:
    """Locked -> Issued because the lock's time ran out, recorded at that moment."""
    return await _change(
        w, user_offer_id, EventKind.LOCK_EXPIRED, at=expired_at, reason=LOCK_EXPIRED_REASON, detail=detail
    )


async def redeem(w: UserWrite, user_offer_id: UUID, detail: dict[str, Any]) -> bool:
    """Locked -> Redeemed."""
    return await _change(w, user_offer_id, EventKind.REDEEMED, detail=detail)


async def manual_redeem(w: UserWrite, user_offer_id: UUID, reason: str, detail: dict[str, Any]) -> bool:
    """Issued -> Redeemed without a check (MANUAL_REDEMPTION)."""
    allowed, target = MANUAL_REDEMPTION
    return await _apply(w, user_offer_id, allowed, target, Event(EventKind.REDEEMED, w.now, w.actor, reason, detail))


async def update_data(w: UserWrite, user_offer_id: UUID, detail: dict[str, Any]) -> None:
    """Data attached to a user offer (acquisition/update's `custom_data`): an `updated` event, whatever
    the status, which stays as it is. The caller has read the offer in this transaction."""
    await repo.add_event(w.conn, w.retailer_id, user_offer_id, Event(EventKind.UPDATED, w.now, w.actor, "", detail))


async def reinstate(w: Write, user_offer_id: UUID, reason: str, detail: dict[str, Any]) -> bool:
    """Redeemed -> Issued: the POS gives the offer back."""
    return await _change(w, user_offer_id, EventKind.REINSTATED, reason=reason, detail=detail)


async def void(w: Write, user_offer_id: UUID, reason: str, detail: dict[str, Any]) -> bool:
    """Redeemed -> Issued because the check that redeemed it was voided."""
    return await _change(w, user_offer_id, EventKind.VOIDED, reason=reason, detail=detail)


async def revoke(w: Write, user_offer_id: UUID, reason: str, detail: dict[str, Any] | None = None) -> bool:
    """Issued or Locked -> Revoked."""
    return await _change(w, user_offer_id, EventKind.REVOKED, reason=reason, detail=detail)


def expiry_event(redemption_end: datetime) -> Event:
    """The event an expiry is recorded with: at the moment the window ended, not when it was noticed."""
    return Event(EventKind.EXPIRED, redemption_end, SYSTEM_ACTOR, EXPIRY_REASON)


async def expire(w: Write, user_offer_id: UUID, redemption_end: datetime) -> bool:
    """Issued -> Expired, recorded at the end of its window."""
    return await _transition(w, user_offer_id, EventKind.EXPIRED, expiry_event(redemption_end))


# ------------------------------------------------------------------------------------------ sweeps


def _due(retailer_id: UUID, now: datetime) -> list[ColumnElement[bool]]:
    return [
        user_offers.c.retailer_id == retailer_id,
        user_offers.c.status == ISSUED,
        user_offers.c.redemption_end.is_not(None),
        user_offers.c.redemption_end <= now,
    ]


async def _due_of_user(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime) -> list[Any]:
    due = await conn.execute(
        select(user_offers.c.id, user_offers.c.redemption_end)
        .where(*_due(retailer_id, now), user_offers.c.user_id == user_id)
        .order_by(user_offers.c.id)
    )
    return list(due.all())


async def _expire_rows(w: Write, due: Iterable[Any]) -> int:
    expired = 0
    for row in due:
        expired += await expire(w, row.id, row.redemption_end)
    return expired


async def expire_due_batch(w: RowWrite, limit: int) -> tuple[int, int]:
    """Up to `limit` due user offers of a retailer: (how many were due, how many this call expired)."""
    due = (
        await w.conn.execute(
            select(user_offers.c.id, user_offers.c.redemption_end)
            .where(*_due(w.retailer_id, w.now))
            .order_by(user_offers.c.id)
            .limit(limit)
        )
    ).all()
    return len(due), await _expire_rows(w, due)


async def revoke_unredeemed(w: RowWrite, root_offer_id: UUID, reason: str) -> int:
    """Revoke every Issued or Locked user offer of an offer (all revisions), e.g. when it is deleted.
    One whose window already ended is recorded as expired instead: that is what happened first."""
    rows = (
        await w.conn.execute(
            select(user_offers.c.id, user_offers.c.status, user_offers.c.redemption_end)
            .where(
                user_offers.c.retailer_id == w.retailer_id,
                user_offers.c.root_offer_id == root_offer_id,
                user_offers.c.status.in_([ISSUED, LOCKED]),
            )
            .order_by(user_offers.c.id)
        )
    ).all()
    revoked = 0
    for row in rows:
        if effective_status(row.status, row.redemption_end, w.now) == EXPIRED:
            await expire(w, row.id, row.redemption_end)
            continue
        revoked += await revoke(w, row.id, reason)
    return revoked
