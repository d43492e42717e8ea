"""Lock, immediate redeem, unlock, reinstate, claim codes and the lock sweep, inside a caller's transaction.

A lock is two rows changed together: the user offer goes Issued -> Locked by a conditional update, and a
`pos_locks` row says which check holds it, for how much, until when. Whoever's conditional statement
changes a row owns the change; everyone else is refused (ALREADY_LOCKED, REDEEMED, ...) and rolls back,
so a user offer is redeemed at most once however many terminals and server processes try at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.checks.schemas import loose_id
from openoffers.kit.errors import (
    AlreadyLocked,
    Conflict,
    DomainError,
    NotFound,
    TransactionClosed,
    ValidationFailed,
)
from openoffers.kit.ids import parse_uuid
from openoffers.offers.terms import terms_of
from openoffers.pos import read_model
from openoffers.pos import repository as repo
from openoffers.pos.check_pricing import context, price_check, redemption_log, uses_categories, uses_in_period
from openoffers.pos.discount_object import INFO, LOCKED_WORD, REDEEMED_WORD, USER_OFFER_ID_TYPE, discount_out
from openoffers.pos.holds import Hold, hold_of, ineligible, not_redeemable, raise_changed, user_offer_not_found
from openoffers.pos.repository import LockRow
from openoffers.pos.schemas import DiscountOut, LockPayload, UserOfferAction
from openoffers.pos.scope import Scope, begin_write, row_write, transaction_key
from openoffers.wallet import lifecycle
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet.lifecycle import ISSUED, LOCKED, REDEEMED, STATUS_NAMES, UserWrite
from openoffers.wallet.repository import WalletRow

TTL_CODE = "ttlcode"

# Claim codes: 8 characters without look-alikes (no 0/O, 1/I/L), 31^8 (about 8.5e11) codes per retailer.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def normalize_code(text: str) -> str:
    """What a cashier types: any case, spaces and dashes ignored."""
    return "".join(ch for ch in text.upper() if ch not in " -")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def lock_detail(store_id: UUID, transaction_id: str, **extra: Any) -> dict[str, Any]:
    return {"store_id": str(store_id), "transaction_id": transaction_id, **extra}


async def _refuse_closed(conn: AsyncConnection, scope: Scope, transaction_id: str) -> None:
    if await repo.check_is_closed(conn, scope.retailer_id, scope.store.id, transaction_id):
        raise TransactionClosed(f"transaction {transaction_id} is closed")


async def _target(
    conn: AsyncConnection, scope: Scope, payload: LockPayload, transaction_id: str
) -> read_model.LockTarget:
    """The user offer the Lock names, read with its lock and whether the check is closed (one query).
    Refusals keep their order: a closed check first, then a bad lookup code, then an unknown offer; the
    refusal paths ask `check_is_closed` on their own."""
    kind = payload.offer_lookup_type.strip().lower()
    code = payload.offer_lookup_code.strip()
    path = "request_payload.offer_lookup_code"
    read = partial(read_model.lock_target, conn, scope.retailer_id, scope.store.id, transaction_id, scope.now)
    if kind == USER_OFFER_ID_TYPE:
        user_offer_id = parse_uuid(code)
        if user_offer_id is None:
            await _refuse_closed(conn, scope, transaction_id)
            raise ValidationFailed.field(path, "is not a user offer id (a UUID)")
        target = await read(user_offer_id=user_offer_id)
        missing: DomainError = user_offer_not_found(path)
    elif kind == TTL_CODE:
        target = await read(claim_code=normalize_code(code))
        missing = not_redeemable("no such code, or it has expired", "NOT_FOUND", path)
    else:
        await _refuse_closed(conn, scope, transaction_id)
        raise ValidationFailed.field("request_payload.offer_lookup_type", "must be userofferid or ttlcode")
    if target is None:
        await _refuse_closed(conn, scope, transaction_id)
        raise missing
    if target.check_closed:
        raise TransactionClosed(f"transaction {transaction_id} is closed")
    return target


async def lock_in(conn: AsyncConnection, scope: Scope, payload: LockPayload, *, redeem: bool) -> DiscountOut:
    """Lock (or, with `redeem`, lock and redeem at once) one user offer against the check."""
    now = scope.now
    transaction = payload.transaction
    transaction_id = transaction_key(transaction)
    target = await _target(conn, scope, payload, transaction_id)
    row = target.row
    uo = row.user_offer
    w = await begin_write(conn, scope, uo.user_id, has_due=target.user_has_due)
    # Only a Locked offer's lock row is its lock (a Revoked one may keep a leftover row).
    lock = target.lock if uo.status == LOCKED else None
    hold = hold_of(row, lock, scope.store.id, transaction_id, now)

    terms = terms_of(row.offer, scope.exponent)
    known_locks = {uo.id: target.lock} if target.lock is not None else {}
    check = await price_check(
        conn, scope, transaction, transaction_id, {uo.id: row}, known_locks, with_catalog=uses_categories(terms)
    )
    log = await redemption_log(conn, scope, uo.user_id, [(row, terms)], now)
    uses = uses_in_period(terms, log.get(uo.root_offer_id, ()), now)
    result = pricing.evaluate(terms, check.without(str(uo.id)), context(scope, transaction.channel, now, uses))
    if isinstance(result, pricing.Ineligible):
        raise ineligible(result)

    new_lock = LockRow(
        user_offer_id=uo.id,
        retailer_id=scope.retailer_id,
        store_id=scope.store.id,
        transaction_id=transaction_id,
        user_id=uo.user_id,
        amount=result.amount,
        line_shares=result.line_shares,
        stack_order=result.stack_order,
        locked_at=now,
        expires_at=now + timedelta(seconds=scope.lock_ttl_seconds),
    )
    detail = lock_detail(scope.store.id, transaction_id, amount=result.amount)
    await take(w, scope, row, hold, lock, new_lock, transaction_id)
    if redeem:
        await redeem_held(w, scope, uo.id, transaction_id, detail)
        return discount_out(row, scope, status=REDEEMED_WORD, discount=result, applied_at=now)
    return discount_out(row, scope, status=LOCKED_WORD, discount=result, applied_at=now)


async def take(
    w: UserWrite,
    scope: Scope,
    row: WalletRow,
    hold: Hold,
    lock: LockRow | None,
    new_lock: LockRow | None,
    transaction_id: str,
) -> None:
    """Make this check the holder of the user offer, by the conditional write `hold` calls for: the one
    lock dispatch of Lock, Redeem and a closing check. `new_lock` is the lock row to keep; None when a
    closing check redeems the offer at once, so no lock row is kept (and a leftover one is removed)."""
    conn, uo_id = w.conn, row.user_offer.id
    extra = {"amount": new_lock.amount} if new_lock is not None else {}
    detail = lock_detail(scope.store.id, transaction_id, **extra)
    if hold is Hold.FREE:
        if not await lifecycle.lock(w, uo_id, detail):
            await raise_changed(conn, scope.retailer_id, uo_id, scope.now)
        if new_lock is not None:
            await repo.insert_lock(conn, new_lock)
        else:
            # A Locked offer revoked through the Offers API leaves its lock row behind; it is not anyone's.
            await repo.release_any(conn, scope.retailer_id, uo_id, None)
    elif hold is Hold.OURS:
        # The same check again (its basket changed): the lock is recomputed and its time starts over.
        if new_lock is not None and not await repo.relock(conn, new_lock):
            raise AlreadyLocked("the offer was locked to another transaction meanwhile")
    else:
        assert lock is not None
        if new_lock is not None:
            moved = await repo.take_over_expired(conn, new_lock, scope.now)
        else:
            moved = await repo.release_expired(conn, scope.retailer_id, uo_id, scope.now)
        if not moved:
            raise AlreadyLocked("the offer was locked to another transaction meanwhile")
        await record_take_over(w, lock, detail)


async def record_take_over(w: UserWrite, old: LockRow, detail: dict[str, Any]) -> None:
    """History of a run-out lock taken over by another check: the old lock ended when its time ran out
    (whoever noticed it later), then this check locked the offer."""
    expired = lock_detail(old.store_id, old.transaction_id)
    await lifecycle.take_over(w, old.user_offer_id, old.expires_at, expired, detail)


async def redeem_held(
    w: UserWrite, scope: Scope, user_offer_id: UUID, transaction_id: str, detail: dict[str, Any]
) -> None:
    """Locked to this check -> Redeemed: delete this check's lock row, then Locked -> Redeemed. Both are
    conditional: if either finds the offer changed, the whole request rolls back."""
    if not await repo.release_held(w.conn, scope.retailer_id, user_offer_id, scope.store.id, transaction_id):
        raise AlreadyLocked("the offer is no longer locked to this transaction")
    if not await lifecycle.redeem(w, user_offer_id, detail):
        await raise_changed(w.conn, scope.retailer_id, user_offer_id, scope.now)


async def _wallet_row(conn: AsyncConnection, scope: Scope, user_offer_id: UUID) -> WalletRow:
    row = await wallet_repo.get_wallet_row(conn, scope.retailer_id, user_offer_id)
    if row is None:
        raise NotFound("user offer not found", fields={"request_payload.user_offer_id": ["not found"]})
    return row


def _conflict(status: int, action: str) -> Conflict:
    name = STATUS_NAMES[status]
    return Conflict(f"a {name.lower()} offer cannot be {action}", reason=name.upper())


async def unlock_in(conn: AsyncConnection, scope: Scope, action: UserOfferAction) -> DiscountOut:
    """Locked -> Issued (back to the wallet). Unlocking an offer that is already in the wallet changes
    nothing; with a `transaction_id`, only that check's lock is released."""
    row = await _wallet_row(conn, scope, action.user_offer_id)
    uo = row.user_offer
    transaction_id = loose_id(action.transaction_id)
    if uo.status == LOCKED:
        released = await repo.release_any(conn, scope.retailer_id, uo.id, transaction_id)
        if not released and transaction_id is not None:
            locks = await repo.locks_of(conn, scope.retailer_id, [uo.id])
            if uo.id in locks:
                raise AlreadyLocked("the offer is locked to another transaction")
        detail: dict[str, Any] = {"employee_id": loose_id(action.employee_id)}
        if not await lifecycle.release(row_write(conn, scope), uo.id, "unlocked at the POS", detail):
            await raise_changed(conn, scope.retailer_id, uo.id, scope.now)
        return discount_out(row, scope, status=INFO)
    status = row.status_at(scope.now)
    if status != ISSUED:
        raise _conflict(status, "unlocked")
    return discount_out(row, scope, status=INFO)


async def reinstate_in(conn: AsyncConnection, scope: Scope, action: UserOfferAction) -> DiscountOut:
    """Redeemed -> Issued. Reinstating an offer that is already in the wallet changes nothing."""
    row = await _wallet_row(conn, scope, action.user_offer_id)
    uo = row.user_offer
    if uo.status == REDEEMED:
        detail: dict[str, Any] = {"employee_id": loose_id(action.employee_id)}
        if not await lifecycle.reinstate(row_write(conn, scope), uo.id, "reinstated at the POS", detail):
            row = await _wallet_row(conn, scope, uo.id)
            if row.status_at(scope.now) != ISSUED:
                raise _conflict(row.status_at(scope.now), "reinstated")
        return discount_out(row, scope, status=INFO)
    status = row.status_at(scope.now)
    if status != ISSUED:
        raise _conflict(status, "reinstated")
    return discount_out(row, scope, status=INFO)


async def create_claim_code(
    conn: AsyncConnection, retailer_id: UUID, user_offer_id: UUID, now: datetime, ttl_seconds: int
) -> tuple[str, datetime]:
    """A short code for a user offer that is Issued (or Locked), valid for `ttl_seconds`."""
    row = await wallet_repo.get_wallet_row(conn, retailer_id, user_offer_id)
    if row is None:
        raise NotFound("user offer not found", fields={"user_offer_id": ["not found"]})
    status = row.status_at(now)
    if status not in (ISSUED, LOCKED):
        raise not_redeemable(f"the offer is {STATUS_NAMES[status].lower()}", STATUS_NAMES[status].upper())
    if row.user_offer.redemption_start > now:
        raise not_redeemable("the offer is not redeemable yet", "NOT_YET_VALID")
    await repo.purge_claim_codes(conn, retailer_id, now)
    expires_at = now + timedelta(seconds=ttl_seconds)
    if row.user_offer.redemption_end is not None:
        expires_at = min(expires_at, row.user_offer.redemption_end)
    for _ in range(10):
        code = new_code()
        if await repo.insert_claim_code(conn, retailer_id, code, user_offer_id, now, expires_at):
            return code, expires_at
    raise Conflict("could not draw a free code; retry")  # ten collisions in 8.5e11 codes: practically never


async def expire_locks_batch(conn: AsyncConnection, now: datetime, limit: int) -> tuple[int, int]:
    """Return up to `limit` user offers whose lock ran out to the wallet: (how many were due, how many
    this call released). Each is a conditional delete plus Locked -> Issued, so a check taking or
    redeeming one at the same moment wins or loses cleanly."""
    due = await repo.expired_locks(conn, now, limit)
    released = 0
    for lock in due:
        if not await repo.release_expired(conn, lock.retailer_id, lock.user_offer_id, now):
            continue
        sweep = lifecycle.RowWrite(conn, lock.retailer_id, now)
        detail = lock_detail(lock.store_id, lock.transaction_id)
        released += await lifecycle.release_expired_lock(sweep, lock.user_offer_id, lock.expires_at, detail)
    return len(due), released
