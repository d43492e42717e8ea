"""Every wallet query on user offers: user offers and their events, per-offer counts (the users are in
`users_repository.py`, the issuance counter rows in `counters.py`).

Each function takes the retailer id (ARCHITECTURE.md rule 8). State changes are conditional updates
whose row count says whether this caller made the change; nothing here reads a value to write it back.
`transition`, `add_event` and `insert_user_offer` are the raw writes under `wallet.lifecycle`, which is
the only production code that calls them (tests call them to build states directly).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, insert, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.driver import Command, Query
from openoffers.offers import repository as offers_repo
from openoffers.offers.repository import OfferRow
from openoffers.tables.offers import offers
from openoffers.tables.pos import pos_locks
from openoffers.tables.wallet import EventKind, user_offer_events, user_offers
from openoffers.tables.wallet import UserOfferStatus as Status

ROLLBACK_KINDS = (EventKind.REINSTATED, EventKind.VOIDED)


# -------------------------------------------------------------------------------------- user offers


def effective_status(status: int, redemption_end: datetime | None, now: datetime) -> int:
    """The status a reader must see: Issued becomes Expired the moment the window ends, whether or not
    the stored row has been moved yet (the window is [start, end))."""
    if status == Status.ISSUED and redemption_end is not None and redemption_end <= now:
        return Status.EXPIRED
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
        return self.status_at(now) == Status.ISSUED and self.redemption_start <= now


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
        if uo.status == Status.LOCKED and self.lock_expires_at is not None and self.lock_expires_at <= now:
            return effective_status(Status.ISSUED, uo.redemption_end, now)
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


# Positions in a row that starts with WALLET_COLUMNS.
_UO_COUNT = len(_UO_FIELDS)
_UO_OFFER_ID = _UO_FIELDS.index("offer_id")
_O_UPDATED_AT, _LOCK_EXPIRES_AT = _UO_COUNT, _UO_COUNT + 1


async def attach_revisions(conn: AsyncConnection, retailer_id: UUID, rows: Sequence[Any]) -> list[WalletRow]:
    """Attach each user offer's revision (from the revision cache) to rows whose first columns are
    WALLET_COLUMNS, in order. Read by position: a look-up by name per field of every wallet row cost
    more than the rest of a Lookup's decoding."""
    wanted = {row[_UO_OFFER_ID]: row[_O_UPDATED_AT] for row in rows}
    revisions = await offers_repo.revisions_cached(conn, retailer_id, wanted)
    return [
        WalletRow(UserOfferRow(*row[:_UO_COUNT]), revisions[row[_UO_OFFER_ID]], row[_LOCK_EXPIRES_AT]) for row in rows
    ]


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


def redeemable(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Locked, or Issued with a window that has not ended: what a wallet shows (`now` a value, or a bind
    parameter for a statement built once)."""
    return or_(
        user_offers.c.status == Status.LOCKED,
        and_(
            user_offers.c.status == Status.ISSUED,
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


# Built once (every change of a user offer runs it), run on the driver (kit.driver.Command).
_ADD_EVENT = Command(insert(user_offer_events))


async def add_event(conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, event: Event) -> None:
    """Append to a user offer's history. Call it in the transaction that made the change."""
    kind = EventKind(event.kind)  # an unknown kind raises here, before anything is written
    await _ADD_EVENT.run(
        conn,
        {
            "user_offer_id": user_offer_id,
            "retailer_id": retailer_id,
            "kind": kind,
            "at": event.at,
            "actor": event.actor[:200],
            "reason": event.reason[:500],
            "detail": event.detail,
        },
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


# `transition`'s conditional update, built once per set of statuses it may start from (TRANSITIONS has
# a few): those are written into the SQL, the rest are bind parameters; run on the driver.
_TRANSITIONS: dict[tuple[int, ...], Query] = {}


def _transition_query(allowed: tuple[int, ...]) -> Query:
    query = _TRANSITIONS.get(allowed)
    if query is None:
        c = user_offers.c
        query = _TRANSITIONS[allowed] = Query(
            update(user_offers)
            .where(
                c.retailer_id == bindparam("retailer_id", type_=c.retailer_id.type),
                c.id == bindparam("user_offer_id", type_=c.id.type),
                c.status.in_([literal_column(str(int(status))) for status in allowed]),
            )
            .values(
                status=bindparam("to_status", type_=c.status.type), updated_at=bindparam("at", type_=c.updated_at.type)
            )
            .returning(*(c[name] for name in _UO_FIELDS))
        )
    return query


async def transition(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_offer_id: UUID,
    from_status: int | Iterable[int],
    to_status: int,
    event: Event,
) -> UserOfferRow | None:
    """Move a user offer from `from_status` (one or several) to `to_status` and record `event`, only if
    it is still in `from_status`. Answers the row as changed (what the outbox publishes), or None when
    someone else changed it first: nothing was written."""
    allowed = (from_status,) if isinstance(from_status, int) else tuple(from_status)
    changed = await _transition_query(tuple(sorted(int(s) for s in allowed))).first(
        conn, {"retailer_id": retailer_id, "user_offer_id": user_offer_id, "to_status": to_status, "at": event.at}
    )
    if changed is None:
        return None
    await add_event(conn, retailer_id, user_offer_id, event)
    return UserOfferRow(*changed)
