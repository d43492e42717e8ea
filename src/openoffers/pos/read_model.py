"""The POS read model: the reads a POS call needs, joined across domains on purpose so that each call
costs as few round trips as possible (ARCHITECTURE.md rule 9). It reads the customer (wallet), their
balances (points), their user offers with each offer revision and lock row, and redemption history;
it writes nothing. Writes stay with their owners (`wallet.lifecycle`, `points.ledger`, `repository`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.clock import as_utc
from openoffers.kit.columns import UtcDateTime
from openoffers.kit.driver import Query, all_of
from openoffers.loyalty.points import repository as loyalty_repo
from openoffers.loyalty.points.repository import BalanceRow, PointAccountRow
from openoffers.pos.repository import LockRow, lock_of_row
from openoffers.tables.catalog import catalog_items
from openoffers.tables.points import point_accounts, point_balances
from openoffers.tables.pos import claim_codes, pos_locks, pos_transactions
from openoffers.tables.wallet import EventKind, user_offer_events, user_offers, users
from openoffers.wallet import lifecycle
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.lifecycle import REDEEMED
from openoffers.wallet.repository import WALLET_COLUMNS, WALLET_JOIN, WalletRow
from openoffers.wallet.users_repository import UserRow, user_of

# ---------------------------------------------------------------------------- combined wallet reads
# The POS hot paths read user offers together with what they need next, in one statement each: the
# wallet join already outer-joins each user offer's lock row (for its expiry), so it brings the whole
# lock row too (ARCHITECTURE.md rule 9). Lock rows read this way are the same rows `locks_of` reads.

_LOCK_COLUMNS = [column.label(f"lk_{column.name}") for column in pos_locks.c]


def _joined_locks(rows: Sequence[Any]) -> dict[UUID, LockRow]:
    return {row.lk_user_offer_id: lock_of_row(row, "lk_") for row in rows if row.lk_user_offer_id is not None}


@dataclass(frozen=True, slots=True)
class Customer:
    """Lookup's first read: the users its key matched (at most two: more than one is the caller's
    CONFLICT) and, for the first, every point account of the retailer with their balance in it."""

    users: list[UserRow]
    balances: list[loyalty_repo.AccountBalance]


def _customer_statement(kind: str) -> Select[Any]:
    found = users_repo.matching_users_by(kind).subquery("u")
    return (
        select(
            *[found.c[name].label(f"u_{name}") for name in UserRow.__slots__],
            *[point_accounts.c[name].label(f"a_{name}") for name in PointAccountRow.__slots__],
            point_balances.c.id.label("b_id"),
            point_balances.c.available,
            point_balances.c.lifetime,
            point_balances.c.updated_at.label("b_updated_at"),
        )
        .select_from(
            found.outerjoin(point_accounts, point_accounts.c.retailer_id == found.c.retailer_id).outerjoin(
                point_balances,
                and_(
                    point_balances.c.account_id == point_accounts.c.id,
                    point_balances.c.retailer_id == point_accounts.c.retailer_id,
                    point_balances.c.user_id == found.c.id,
                ),
            )
        )
        .where(found.c.retailer_id == bindparam("retailer_id"))
        .order_by(
            found.c.created_at,
            found.c.id,
            point_accounts.c.is_default.desc(),
            point_accounts.c.created_at,
            point_accounts.c.id,
        )
    )


# Built once per key kind, with bind parameters: building this statement and its cache key on every
# Lookup cost more than running it (ARCHITECTURE.md rule 9).
# Run on the driver (`kit.driver.Query`): one hand-off to SQLite's thread per read.
_CUSTOMER_BY = {kind: Query(_customer_statement(kind)) for kind in users_repo.KEY_KINDS}


def _customer_of(rows: Sequence[Any]) -> Customer:
    account_names = PointAccountRow.__slots__
    people: dict[UUID, UserRow] = {}
    for row in rows:
        if row.u_id not in people:
            people[row.u_id] = user_of(row, "u_")
    first = next(iter(people), None)
    balances: list[loyalty_repo.AccountBalance] = []
    for row in rows:
        if row.u_id != first or row.a_id is None:
            continue
        account = PointAccountRow(**{name: getattr(row, f"a_{name}") for name in account_names})
        balance = None
        if row.b_id is not None:
            balance = BalanceRow(
                row.b_id, account.id, row.u_id, int(row.available), int(row.lifetime), row.b_updated_at
            )
        balances.append(loyalty_repo.AccountBalance(account, balance))
    return Customer(list(people.values()), balances)


def _wallet_by_key_statement(kind: str) -> Select[Any]:
    """The redeemable wallet (`wallet_repo.wallet_rows`: Issued inside the window, and Locked, newest
    first) of the first user a look-up key finds, each user offer with its lock row."""
    first = users_repo.matching_users_by(kind, limit=1).with_only_columns(users.c.id).scalar_subquery()
    return (
        select(*WALLET_COLUMNS, *_LOCK_COLUMNS)
        .select_from(WALLET_JOIN)
        .where(
            user_offers.c.retailer_id == bindparam("retailer_id"),
            user_offers.c.user_id == first,
            wallet_repo.redeemable(bindparam("now", type_=UtcDateTime())),
        )
        .order_by(user_offers.c.acquired_at.desc(), user_offers.c.id)
    )


_WALLET_BY_KEY = {kind: Query(_wallet_by_key_statement(kind)) for kind in users_repo.KEY_KINDS}


async def customer_and_wallet(
    conn: AsyncConnection, retailer_id: UUID, kind: str, value: Any, now: datetime
) -> tuple[Customer, list[WalletRow], dict[UUID, LockRow]]:
    """Lookup's reads, in one round trip (`kit.driver.all_of`: one hand-off to SQLite's thread):

    - the users the look-up key finds (`users_repository.matching_users_by`: its kind and value), each
      joined with the retailer's point accounts and their balance in each, in one query (a retailer has
      few accounts, so the user's columns repeat a few times at most);
    - the redeemable wallet of the first of them with each user offer's lock row, in another (the
      wallet, with many rows, is read on its own so the customer's columns are not repeated on each).

    The caller refuses a key that finds no user or two (`wallet_service.the_one_user`)."""
    parameters = {"retailer_id": retailer_id, "key": users_repo.key_value(kind, value), "now": now}
    customer_rows, wallet = await all_of(conn, [(_CUSTOMER_BY[kind], parameters), (_WALLET_BY_KEY[kind], parameters)])
    customer = _customer_of(customer_rows)
    return customer, await wallet_repo.attach_revisions(conn, retailer_id, wallet), _joined_locks(wallet)


@dataclass(frozen=True, slots=True)
class OffersRead:
    """User offers by id, their lock rows, and which of their owners have expiries to record. Read for
    a closing check (`offers_on_check`), also how many locks that check holds and whether the retailer
    has a catalog at all (None: not read)."""

    rows: dict[UUID, WalletRow]
    locks: dict[UUID, LockRow]
    due_users: frozenset[UUID] = frozenset()
    check_locks: int | None = None
    has_catalog: bool | None = None


def _with_locks_statement(with_due: bool, *, one: bool = False, on_check: bool = False) -> Select[Any]:
    retailer_id = bindparam("retailer_id", type_=user_offers.c.retailer_id.type)
    columns = [*WALLET_COLUMNS, *_LOCK_COLUMNS]
    if with_due:
        now = bindparam("now", type_=UtcDateTime())
        columns.append(lifecycle.has_due(retailer_id, user_offers.c.user_id, now).label("user_has_due"))
    if on_check:
        # Two index probes that spare a closing check two statements in the usual case: its locks are
        # all among the offers it names (then they need not be read again), and a retailer without a
        # catalog has no categories to look up.
        held = (
            select(func.count())
            .select_from(pos_locks)
            .where(
                pos_locks.c.retailer_id == retailer_id,
                pos_locks.c.store_id == bindparam("store_id", type_=pos_locks.c.store_id.type),
                pos_locks.c.transaction_id == bindparam("transaction_id", type_=pos_locks.c.transaction_id.type),
            )
            .scalar_subquery()
        )
        columns.append(held.label("check_locks"))
        columns.append(exists().where(catalog_items.c.retailer_id == retailer_id).label("has_catalog"))
    named = (
        user_offers.c.id == bindparam("user_offer_id", type_=user_offers.c.id.type)
        if one
        else user_offers.c.id.in_(bindparam("user_offer_ids", expanding=True))
    )
    return select(*columns).select_from(WALLET_JOIN).where(user_offers.c.retailer_id == retailer_id, named)


# Built once each: by one user offer id on the driver; by several (an expanding IN) through SQLAlchemy.
_WITH_LOCKS_ONE = Query(_with_locks_statement(False, one=True))
_WITH_LOCKS_MANY = _with_locks_statement(False)
_ON_CHECK_ONE = Query(_with_locks_statement(True, one=True, on_check=True))
_ON_CHECK_MANY = _with_locks_statement(True, on_check=True)


async def wallet_rows_with_locks(
    conn: AsyncConnection, retailer_id: UUID, user_offer_ids: Sequence[UUID]
) -> OffersRead:
    """`wallet_rows_by_ids` with each one's lock row, in one query."""
    if not user_offer_ids:
        return OffersRead({}, {})
    if len(user_offer_ids) == 1:
        rows = await _WITH_LOCKS_ONE.all(conn, {"retailer_id": retailer_id, "user_offer_id": user_offer_ids[0]})
    else:
        parameters = {"retailer_id": retailer_id, "user_offer_ids": list(user_offer_ids)}
        rows = list((await conn.execute(_WITH_LOCKS_MANY, parameters)).all())
    wallet = await wallet_repo.attach_revisions(conn, retailer_id, rows)
    return OffersRead({r.user_offer.id: r for r in wallet}, _joined_locks(rows))


async def offers_on_check(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_offer_ids: Sequence[UUID],
    *,
    store_id: UUID,
    transaction_id: str,
    now: datetime,
) -> OffersRead:
    """What closing a check reads first, in one query: the user offers its discounts name with their lock
    rows, whether each owner has expiries to record at `now` (`lifecycle.has_due`), how many locks the
    check holds, and whether the retailer has a catalog. No offers named: nothing is read."""
    if not user_offer_ids:
        return OffersRead({}, {})
    parameters: dict[str, Any] = {
        "retailer_id": retailer_id,
        "now": now,
        "store_id": store_id,
        "transaction_id": transaction_id,
    }
    if len(user_offer_ids) == 1:
        # A check redeeming one offer, the usual close: run on the driver.
        rows = await _ON_CHECK_ONE.all(conn, {**parameters, "user_offer_id": user_offer_ids[0]})
    else:
        parameters["user_offer_ids"] = list(user_offer_ids)
        rows = list((await conn.execute(_ON_CHECK_MANY, parameters)).all())
    due = frozenset(row.uo_user_id for row in rows if row.user_has_due)
    wallet = await wallet_repo.attach_revisions(conn, retailer_id, rows)
    first = rows[0] if rows else None  # the check's columns are the same on every row
    return OffersRead(
        {r.user_offer.id: r for r in wallet},
        _joined_locks(rows),
        due,
        check_locks=None if first is None else int(first.check_locks),
        has_catalog=None if first is None else bool(first.has_catalog),
    )


@dataclass(frozen=True, slots=True)
class LockTarget:
    """Lock's read: the user offer, its lock row, whether the check is closed already, and whether the
    owner has expiries to record."""

    row: WalletRow
    lock: LockRow | None
    check_closed: bool
    user_has_due: bool


def _lock_target_statement(by_claim_code: bool) -> Select[Any]:
    retailer_id = bindparam("retailer_id", type_=user_offers.c.retailer_id.type)
    now = bindparam("now", type_=UtcDateTime())
    closed = exists().where(
        pos_transactions.c.retailer_id == retailer_id,
        pos_transactions.c.store_id == bindparam("store_id"),
        pos_transactions.c.transaction_id == bindparam("transaction_id"),
        pos_transactions.c.is_closed.is_(True),
    )
    if by_claim_code:
        named = user_offers.c.id == (
            select(claim_codes.c.user_offer_id)
            .where(
                claim_codes.c.retailer_id == retailer_id,
                claim_codes.c.code == bindparam("claim_code"),
                claim_codes.c.expires_at > now,
            )
            .scalar_subquery()
        )
    else:
        named = user_offers.c.id == bindparam("user_offer_id")
    return (
        select(
            *WALLET_COLUMNS,
            *_LOCK_COLUMNS,
            closed.label("check_closed"),
            lifecycle.has_due(retailer_id, user_offers.c.user_id, now).label("user_has_due"),
        )
        .select_from(WALLET_JOIN)
        .where(user_offers.c.retailer_id == retailer_id, named)
    )


# Built once each, with bind parameters, run on the driver (see _CUSTOMER_BY): by user offer id, and by
# claim code.
_LOCK_TARGET_BY_ID = Query(_lock_target_statement(by_claim_code=False))
_LOCK_TARGET_BY_CODE = Query(_lock_target_statement(by_claim_code=True))


async def lock_target(
    conn: AsyncConnection,
    retailer_id: UUID,
    store_id: UUID,
    transaction_id: str,
    now: datetime,
    *,
    user_offer_id: UUID | None = None,
    claim_code: str | None = None,
) -> LockTarget | None:
    """The user offer a Lock names (by id, or by an unexpired claim code), with everything the Lock
    decides on, in one query. None when there is no such user offer (or code): then the caller asks
    `check_is_closed` itself, so a closed check is still refused first."""
    parameters: dict[str, Any] = {
        "retailer_id": retailer_id,
        "store_id": store_id,
        "transaction_id": transaction_id,
        "now": now,
    }
    if claim_code is not None:
        statement, parameters["claim_code"] = _LOCK_TARGET_BY_CODE, claim_code
    else:
        statement, parameters["user_offer_id"] = _LOCK_TARGET_BY_ID, user_offer_id
    row = await statement.first(conn, parameters)
    if row is None:
        return None
    [wallet_row] = await wallet_repo.attach_revisions(conn, retailer_id, [row])
    lock = lock_of_row(row, "lk_") if row.lk_user_offer_id is not None else None
    return LockTarget(wallet_row, lock, bool(row.check_closed), bool(row.user_has_due))


def _customer_has_due_statement() -> Select[Any]:
    retailer_id = bindparam("retailer_id", type_=users.c.retailer_id.type)
    now = bindparam("now", type_=UtcDateTime())
    return select(lifecycle.has_due(retailer_id, users.c.id, now).label("user_has_due")).where(
        users.c.retailer_id == retailer_id, users.c.id == bindparam("user_id", type_=users.c.id.type)
    )


# Built once (a closing check paid by a customer without offers on it asks it), run on the driver.
_CUSTOMER_HAS_DUE = Query(_customer_has_due_statement())


async def customer_has_due(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime) -> bool | None:
    """None when the user is not the retailer's; else whether they have expiries to record (one query
    for the existence check and the sweep's question)."""
    row = await _CUSTOMER_HAS_DUE.first(conn, {"retailer_id": retailer_id, "user_id": user_id, "now": now})
    return None if row is None else bool(row.user_has_due)


# ------------------------------------------------------------------------------------ redemptions


async def redemption_times(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, root_offer_ids: Sequence[UUID], since: datetime
) -> dict[UUID, list[datetime]]:
    """Per root offer, when each of the user's user offers that are Redeemed now was (last) redeemed, for
    those redeemed at or after `since`. A reinstated or voided redemption is back to Issued, so it no
    longer counts. One query for every root."""
    if not root_offer_ids:
        return {}
    last = func.max(user_offer_events.c.at).label("redeemed_at")
    rows = await conn.execute(
        select(user_offers.c.root_offer_id, last)
        .select_from(
            user_offers.join(
                user_offer_events,
                and_(
                    user_offer_events.c.user_offer_id == user_offers.c.id,
                    user_offer_events.c.retailer_id == user_offers.c.retailer_id,
                ),
            )
        )
        .where(
            user_offers.c.retailer_id == retailer_id,
            user_offers.c.user_id == user_id,
            user_offers.c.root_offer_id.in_(list(root_offer_ids)),
            user_offers.c.status == REDEEMED,
            user_offer_events.c.kind == EventKind.REDEEMED,
        )
        .group_by(user_offers.c.id, user_offers.c.root_offer_id)
        .having(last >= since)
    )
    result: dict[UUID, list[datetime]] = {}
    for row in rows:
        result.setdefault(row.root_offer_id, []).append(as_utc(row.redeemed_at))
    return result
