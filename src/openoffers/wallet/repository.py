"""Every wallet query on user offers: user offers and their events, per-offer counts (the users are in
`users_repository.py`, the issuance counter rows in `counters.py`).

Each function takes the retailer id (ARCHITECTURE.md rule 8). State changes are conditional updates
whose row count says whether this caller made the change; nothing here reads a value to write it back.
The POS and loyalty-rule code reuse `wallet_rows`, `transition`, `add_event` and `expire_user_due`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, case, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.offers import repository as offers_repo
from openoffers.offers.repository import PUBLISHED, OfferRow
from openoffers.tables.offers import offers
from openoffers.tables.pos import pos_locks
from openoffers.tables.wallet import offer_inventory, user_offer_events, user_offers

ISSUED, LOCKED, REDEEMED, EXPIRED, REVOKED = 1, 2, 3, 4, 5
STATUS_NAMES = {ISSUED: "Issued", LOCKED: "Locked", REDEEMED: "Redeemed", EXPIRED: "Expired", REVOKED: "Revoked"}
EVENT_KINDS = frozenset(
    {"issued", "locked", "unlocked", "lock_expired", "redeemed", "reinstated", "expired", "revoked", "voided"}
)
# A user offer that went through one of these was "rolled back" (user_offer_history's rollback_option).
ROLLBACK_KINDS = ("reinstated", "voided")
SYSTEM_ACTOR = "system"
EXPIRY_REASON = "redemption window ended"


# -------------------------------------------------------------------------------------- user offers


def effective_status(status: int, redemption_end: datetime | None, now: datetime) -> int:
    """The status a reader must see: Issued becomes Expired the moment the window ends, whether or not
    the stored row has been moved yet (the window is [start, end))."""
    if status == ISSUED and redemption_end is not None and redemption_end <= now:
        return EXPIRED
    return status


@dataclass(frozen=True, slots=True)
class UserOfferRow:
    id: UUID
    retailer_id: UUID
    user_id: UUID
    offer_id: UUID
    root_offer_id: UUID
    status: int
    acquired_at: datetime
    redemption_start: datetime
    redemption_end: datetime | None
    source: str
    updated_at: datetime

    def status_at(self, now: datetime) -> int:
        return effective_status(self.status, self.redemption_end, now)

    def is_redeemable_at(self, now: datetime) -> bool:
        """Issued and inside its window (a Locked offer is already on a check)."""
        return self.status_at(now) == ISSUED and self.redemption_start <= now


@dataclass(frozen=True, slots=True)
class WalletRow:
    """A user offer with the exact revision it was issued under (and, while it is Locked, when its POS
    lock runs out)."""

    user_offer: UserOfferRow
    offer: OfferRow
    lock_expires_at: datetime | None = None

    def status_at(self, now: datetime) -> int:
        """What readers see: a POS lock whose time is up counts as Issued again (the offer is back in
        the wallet) even before a write records the `lock_expired` event."""
        uo = self.user_offer
        if uo.status == LOCKED and self.lock_expires_at is not None and self.lock_expires_at <= now:
            return effective_status(ISSUED, uo.redemption_end, now)
        return uo.status_at(now)


@dataclass(frozen=True, slots=True)
class Event:
    """A change to a user offer, as the history records it."""

    kind: str
    at: datetime
    actor: str
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    user_offer_id: UUID
    kind: str
    at: datetime
    actor: str
    reason: str
    detail: dict[str, Any]


_UO_FIELDS = UserOfferRow.__slots__
_OFFER_FIELDS = OfferRow.__slots__
# Both tables have `id`, `retailer_id`, `status`...: label every column of the join by its table.
# The offer's own columns come from `offers_repo.revisions_cached` (keyed by its updated_at), so a
# wallet read decodes each revision's JSON once per process, not once per user offer. The POS
# repository reads these same columns (plus its lock's) in its combined statements, hence public.
WALLET_COLUMNS = [
    *(user_offers.c[name].label(f"uo_{name}") for name in _UO_FIELDS),
    offers.c.updated_at.label("o_updated_at"),
    pos_locks.c.expires_at.label("lock_expires_at"),
]
WALLET_JOIN = user_offers.join(
    offers, and_(offers.c.id == user_offers.c.offer_id, offers.c.retailer_id == user_offers.c.retailer_id)
).outerjoin(
    pos_locks, and_(pos_locks.c.user_offer_id == user_offers.c.id, pos_locks.c.retailer_id == user_offers.c.retailer_id)
)


def _user_offer(row: Any, prefix: str = "") -> UserOfferRow:
    return UserOfferRow(**{name: getattr(row, prefix + name) for name in _UO_FIELDS})


async def attach_revisions(conn: AsyncConnection, retailer_id: UUID, rows: Sequence[Any]) -> list[WalletRow]:
    """Attach each user offer's revision (from the revision cache) to rows read with WALLET_COLUMNS,
    in order."""
    wanted = {row.uo_offer_id: row.o_updated_at for row in rows}
    revisions = await offers_repo.revisions_cached(conn, retailer_id, wanted)
    return [WalletRow(_user_offer(row, "uo_"), revisions[row.uo_offer_id], row.lock_expires_at) for row in rows]


async def insert_user_offer(conn: AsyncConnection, user_offer: UserOfferRow) -> None:
    await conn.execute(insert(user_offers).values(**{name: getattr(user_offer, name) for name in _UO_FIELDS}))


async def get_user_offer(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID) -> UserOfferRow | None:
    row = (
        await conn.execute(
            select(user_offers).where(user_offers.c.retailer_id == retailer_id, user_offers.c.id == user_offer_id)
        )
    ).first()
    return _user_offer(row) if row else None


async def get_wallet_row(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID) -> WalletRow | None:
    """One user offer joined with its revision."""
    row = (
        await conn.execute(
            select(*WALLET_COLUMNS)
            .select_from(WALLET_JOIN)
            .where(user_offers.c.retailer_id == retailer_id, user_offers.c.id == user_offer_id)
        )
    ).first()
    return (await attach_revisions(conn, retailer_id, [row]))[0] if row else None


async def wallet_rows_by_ids(
    conn: AsyncConnection, retailer_id: UUID, user_offer_ids: Sequence[UUID]
) -> dict[UUID, WalletRow]:
    """Several user offers, any status, each joined with its revision, in one query."""
    if not user_offer_ids:
        return {}
    rows = await conn.execute(
        select(*WALLET_COLUMNS)
        .select_from(WALLET_JOIN)
        .where(user_offers.c.retailer_id == retailer_id, user_offers.c.id.in_(list(user_offer_ids)))
    )
    return {row.user_offer.id: row for row in await attach_revisions(conn, retailer_id, rows.all())}


def redeemable(now: datetime) -> ColumnElement[bool]:
    """Locked, or Issued with a window that has not ended: what a wallet shows."""
    return or_(
        user_offers.c.status == LOCKED,
        and_(
            user_offers.c.status == ISSUED,
            or_(user_offers.c.redemption_end.is_(None), user_offers.c.redemption_end > now),
        ),
    )


async def wallet_rows(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_id: UUID,
    now: datetime,
    *,
    skip: int = 0,
    take: int | None = None,
) -> list[WalletRow]:
    """The user's wallet (Issued inside the window, and Locked) with each offer revision, newest first,
    in one query. The POS Lookup reads it with `take=None` (everything)."""
    query = (
        select(*WALLET_COLUMNS)
        .select_from(WALLET_JOIN)
        .where(user_offers.c.retailer_id == retailer_id, user_offers.c.user_id == user_id, redeemable(now))
        .order_by(user_offers.c.acquired_at.desc(), user_offers.c.id)
        .offset(skip)
    )
    if take is not None:
        query = query.limit(take)
    return await attach_revisions(conn, retailer_id, (await conn.execute(query)).all())


async def count_wallet(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime) -> int:
    total = await conn.execute(
        select(func.count())
        .select_from(user_offers)
        .where(user_offers.c.retailer_id == retailer_id, user_offers.c.user_id == user_id, redeemable(now))
    )
    return int(total.scalar_one())


def _rolled_back() -> ColumnElement[bool]:
    return exists().where(
        user_offer_events.c.user_offer_id == user_offers.c.id,
        user_offer_events.c.retailer_id == user_offers.c.retailer_id,
        user_offer_events.c.kind.in_(ROLLBACK_KINDS),
    )


async def history_rows(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_ids: Sequence[UUID],
    rollback_option: int,
    *,
    skip: int,
    take: int,
) -> tuple[int, list[WalletRow]]:
    """Every user offer of the users, whatever its status, newest first. rollback_option: 0 all,
    1 without those ever reinstated or voided, 2 only those."""
    conditions: list[ColumnElement[bool]] = [
        user_offers.c.retailer_id == retailer_id,
        user_offers.c.user_id.in_(list(user_ids)),
    ]
    if rollback_option == 1:
        conditions.append(~_rolled_back())
    elif rollback_option == 2:
        conditions.append(_rolled_back())
    where = and_(*conditions)
    total = (await conn.execute(select(func.count()).select_from(user_offers).where(where))).scalar_one()
    rows = await conn.execute(
        select(*WALLET_COLUMNS)
        .select_from(WALLET_JOIN)
        .where(where)
        .order_by(user_offers.c.acquired_at.desc(), user_offers.c.id)
        .offset(skip)
        .limit(take)
    )
    return int(total), await attach_revisions(conn, retailer_id, rows.all())


async def add_event(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, event: Event) -> None:
    """Append to a user offer's history. Call it in the transaction that made the change."""
    if event.kind not in EVENT_KINDS:
        raise ValueError(f"unknown user offer event kind {event.kind!r}")
    await conn.execute(
        insert(user_offer_events).values(
            user_offer_id=user_offer_id,
            retailer_id=retailer_id,
            kind=event.kind,
            at=event.at,
            actor=event.actor[:200],
            reason=event.reason[:500],
            detail=event.detail,
        )
    )


async def list_events(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID) -> list[EventRow]:
    rows = await conn.execute(
        select(user_offer_events)
        .where(user_offer_events.c.retailer_id == retailer_id, user_offer_events.c.user_offer_id == user_offer_id)
        .order_by(user_offer_events.c.id)
    )
    return [EventRow(r.id, r.user_offer_id, r.kind, r.at, r.actor, r.reason, r.detail) for r in rows]


async def list_events_of(
    conn: AsyncConnection, retailer_id: UUID, user_offer_ids: Sequence[UUID]
) -> dict[UUID, list[EventRow]]:
    """The events of several user offers in one query, each list oldest first."""
    found: dict[UUID, list[EventRow]] = {user_offer_id: [] for user_offer_id in user_offer_ids}
    if not user_offer_ids:
        return found
    rows = await conn.execute(
        select(user_offer_events)
        .where(
            user_offer_events.c.retailer_id == retailer_id,
            user_offer_events.c.user_offer_id.in_(list(user_offer_ids)),
        )
        .order_by(user_offer_events.c.id)
    )
    for r in rows:
        found[r.user_offer_id].append(EventRow(r.id, r.user_offer_id, r.kind, r.at, r.actor, r.reason, r.detail))
    return found


async def transition(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_offer_id: UUID,
    from_status: int | Iterable[int],
    to_status: int,
    event: Event,
) -> bool:
    """Move a user offer from `from_status` (one or several) to `to_status` and record `event`, only if
    it is still in `from_status`. False means someone else changed it first: nothing was written."""
    allowed = [from_status] if isinstance(from_status, int) else list(from_status)
    result = await conn.execute(
        update(user_offers)
        .where(
            user_offers.c.retailer_id == retailer_id,
            user_offers.c.id == user_offer_id,
            user_offers.c.status.in_(allowed),
        )
        .values(status=to_status, updated_at=event.at)
    )
    if not result.rowcount:
        return False
    await add_event(conn, retailer_id, user_offer_id, event)
    return True


def expiry_event(redemption_end: datetime) -> Event:
    """The event an expiry is recorded with: at the moment the window ended, not when it was noticed."""
    return Event("expired", redemption_end, SYSTEM_ACTOR, EXPIRY_REASON)


async def _expire(conn: AsyncConnection, retailer_id: UUID, due: Iterable[Any]) -> int:
    expired = 0
    for row in due:
        expired += await transition(conn, retailer_id, row.id, ISSUED, EXPIRED, expiry_event(row.redemption_end))
    return expired


def _due(retailer_id: UUID, now: datetime) -> list[ColumnElement[bool]]:
    return [
        user_offers.c.retailer_id == retailer_id,
        user_offers.c.status == ISSUED,
        user_offers.c.redemption_end.is_not(None),
        user_offers.c.redemption_end <= now,
    ]


def has_due(retailer_id: UUID, user_id: ColumnElement[Any], now: datetime) -> ColumnElement[bool]:
    """Whether `user_id` (a column of the caller's query) has offers `expire_user_due` would record.
    A hot path reads it with the rows it needs anyway and calls the sweep only when it is true, so a
    write that has nothing to catch up costs no extra statement (the sweep changes nothing then)."""
    due = user_offers.alias("due")
    return exists().where(
        due.c.retailer_id == retailer_id,
        due.c.user_id == user_id,
        due.c.status == ISSUED,
        due.c.redemption_end.is_not(None),
        due.c.redemption_end <= now,
    )


async def expire_user_due(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime) -> int:
    """Record the expiry of the user's Issued offers whose window has ended; how many changed.
    Every write that touches a user's offers calls this first, so the stored history catches up."""
    due = await conn.execute(
        select(user_offers.c.id, user_offers.c.redemption_end)
        .where(*_due(retailer_id, now), user_offers.c.user_id == user_id)
        .order_by(user_offers.c.id)
    )
    return await _expire(conn, retailer_id, due.all())


async def expire_due_batch(conn: AsyncConnection, retailer_id: UUID, now: datetime, limit: int) -> tuple[int, int]:
    """Up to `limit` due user offers of a retailer: (how many were due, how many this call expired)."""
    due = (
        await conn.execute(
            select(user_offers.c.id, user_offers.c.redemption_end)
            .where(*_due(retailer_id, now))
            .order_by(user_offers.c.id)
            .limit(limit)
        )
    ).all()
    return len(due), await _expire(conn, retailer_id, due)


async def revoke_unredeemed(
    conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID, now: datetime, actor: str, reason: str
) -> int:
    """Revoke every Issued or Locked user offer of an offer (all revisions), e.g. when it is deleted.
    One whose window already ended is recorded as expired instead: that is what happened first."""
    rows = (
        await conn.execute(
            select(user_offers.c.id, user_offers.c.status, user_offers.c.redemption_end)
            .where(
                user_offers.c.retailer_id == retailer_id,
                user_offers.c.root_offer_id == root_offer_id,
                user_offers.c.status.in_([ISSUED, LOCKED]),
            )
            .order_by(user_offers.c.id)
        )
    ).all()
    revoked = 0
    for row in rows:
        if effective_status(row.status, row.redemption_end, now) == EXPIRED:
            await transition(conn, retailer_id, row.id, ISSUED, EXPIRED, expiry_event(row.redemption_end))
            continue
        event = Event("revoked", now, actor, reason)
        revoked += await transition(conn, retailer_id, row.id, (ISSUED, LOCKED), REVOKED, event)
    return revoked


@dataclass(frozen=True, slots=True)
class OfferCounts:
    acquired: int = 0
    redeemed: int = 0
    # Copies counted against the inventory counter (None: no counter yet).
    inventory_used: int | None = None

    def remaining(self, total: int | None) -> int | None:
        if total is None:
            return None
        used = self.acquired if self.inventory_used is None else self.inventory_used
        return max(0, total - used)


async def offer_counts(
    conn: AsyncConnection, retailer_id: UUID, root_offer_ids: Sequence[UUID]
) -> dict[UUID, OfferCounts]:
    """Per root offer: user offers acquired, redeemed, and inventory used (for fetch_offers_details)."""
    roots = list(set(root_offer_ids))
    if not roots:
        return {}
    counted = await conn.execute(
        select(
            user_offers.c.root_offer_id,
            func.count().label("acquired"),
            func.sum(case((user_offers.c.status == REDEEMED, 1), else_=0)).label("redeemed"),
        )
        .where(user_offers.c.retailer_id == retailer_id, user_offers.c.root_offer_id.in_(roots))
        .group_by(user_offers.c.root_offer_id)
    )
    acquired = {r.root_offer_id: (int(r.acquired), int(r.redeemed or 0)) for r in counted}
    inventory = await conn.execute(
        select(offer_inventory).where(
            offer_inventory.c.retailer_id == retailer_id, offer_inventory.c.root_offer_id.in_(roots)
        )
    )
    used = {r.root_offer_id: int(r.total - r.remaining) for r in inventory}
    result: dict[UUID, OfferCounts] = {}
    for root in roots:
        got, redeemed = acquired.get(root, (0, 0))
        result[root] = OfferCounts(acquired=got, redeemed=redeemed, inventory_used=used.get(root))
    return result


async def reward_store_offers(
    conn: AsyncConnection, retailer_id: UUID, now: datetime, *, skip: int, take: int
) -> tuple[int, list[OfferRow]]:
    """Latest revisions of published reward store offers that can be acquired now, newest first."""
    where = and_(
        offers.c.retailer_id == retailer_id,
        offers.c.is_latest.is_(True),
        offers.c.status == PUBLISHED,
        offers.c.reward_store.is_(True),
        or_(offers.c.acquisition_start.is_(None), offers.c.acquisition_start <= now),
        or_(offers.c.acquisition_end.is_(None), offers.c.acquisition_end >= now),
    )
    total = (await conn.execute(select(func.count()).select_from(offers).where(where))).scalar_one()
    rows = await conn.execute(
        select(offers).where(where).order_by(offers.c.created_at.desc(), offers.c.id).offset(skip).limit(take)
    )
    return int(total), [OfferRow(**{name: getattr(r, name) for name in _OFFER_FIELDS}) for r in rows]
