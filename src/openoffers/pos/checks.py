"""send_transaction (API.md sections 5 and 6): store open checks, close them, void them.

Closing a check is one database transaction: every `sessionm` discount on it is redeemed (locked to
this check, or lockable now and then locked and redeemed), each only up to what its offer allows on
the final basket; the check's other locks go back to the wallet; the customer earns (the loyalty
engine); the check is marked closed with the hash of its content. Any refusal rolls all of it back.

Concurrency: the check's row is claimed first (its unique key, then FOR UPDATE on PostgreSQL; the
write lock on SQLite), so two sends of one check run one after the other and the second sees the
first's outcome. User offers are then changed in id order, so two checks never wait on each other in
opposite orders.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.checks.basket import check_total, closed_event, is_ours
from openoffers.checks.schemas import Transaction
from openoffers.events import EventType
from openoffers.kit import wire
from openoffers.kit.clock import iso_z
from openoffers.kit.errors import (
    AlreadyLocked,
    Conflict,
    DiscountMismatch,
    DomainError,
    UserNotFound,
    ValidationFailed,
)
from openoffers.kit.ids import new_id, parse_uuid
from openoffers.kit.money import to_decimal, to_minor
from openoffers.loyalty.rules import engine as loyalty_engine
from openoffers.offers.terms import terms_of
from openoffers.pos import check_events, read_model, returns
from openoffers.pos import repository as repo
from openoffers.pos.check_pricing import PricedCheck, context, price_check, redemption_log, uses_in_period
from openoffers.pos.holds import Hold, hold_of, ineligible, raise_changed, refusal_at, user_offer_not_found
from openoffers.pos.locks import lock_detail, redeem_held, take
from openoffers.pos.repository import CheckRow, LockRow
from openoffers.pos.scope import Scope, begin_write, row_write, transaction_key
from openoffers.wallet import lifecycle
from openoffers.wallet.lifecycle import LOCKED, UserWrite
from openoffers.wallet.repository import WalletRow

SESSIONM_ID = "sessionm_id"


def content_hash(transaction: Transaction) -> str:
    """Of the canonical re-encoding, so `"1"` and `1`, or key order, do not make a different check."""
    return hashlib.sha256(wire.encode(transaction)).hexdigest()


def _utc_text(value: datetime | None, zone: Any) -> str | None:
    """POS times without an offset are the store's local time (API.md section 1)."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return iso_z(aware.astimezone(UTC))


def stored_check(transaction: Transaction, zone: Any) -> dict[str, Any]:
    """The check as JSON builtins, its times in UTC."""
    data: dict[str, Any] = wire.to_builtins(transaction)
    data["open_time"] = _utc_text(transaction.open_time, zone)
    data["modified_time"] = _utc_text(transaction.modified_time, zone)
    for out, payment in zip(data["payments"], transaction.payments, strict=True):
        out["payment_time"] = _utc_text(payment.payment_time, zone)
    for out, discount in zip(data["discounts"], transaction.discounts, strict=True):
        out["applied_time"] = _utc_text(discount.applied_time, zone)
    return data


def _discount_total(transaction: Transaction, exponent: int) -> int:
    return sum(max(0, to_minor(d.amount, exponent)) for d in transaction.discounts)


def _content(scope: Scope, transaction: Transaction, digest: str) -> dict[str, Any]:
    return {
        "content_hash": digest,
        "subtotal": check_total(transaction, scope.exponent),
        "discount_total": _discount_total(transaction, scope.exponent),
        "check": stored_check(transaction, scope.zone),
        "updated_at": scope.now,
    }


async def send_in(conn: AsyncConnection, scope: Scope, transaction: Transaction) -> None:
    transaction_id = transaction_key(transaction)
    digest = content_hash(transaction)
    content = _content(scope, transaction, digest)
    check, created = await repo.claim_check(
        conn,
        {
            "id": new_id(),
            "retailer_id": scope.retailer_id,
            "store_id": scope.store.id,
            "transaction_id": transaction_id,
            "user_id": None,
            "is_closed": False,
            "is_voided": False,
            "redeemed": [],
            "created_at": scope.now,
            "closed_at": None,
            "voided_at": None,
            **content,
        },
    )
    if check.is_closed:
        if check.content_hash == digest:
            return  # the same closed check again: it already happened
        if transaction.is_voided and not check.is_voided:
            await _void_closed(conn, scope, check, content)
            return
        await returns.return_in(conn, scope, check, transaction, content)  # or TRANSACTION_CLOSED
        return
    if transaction.is_voided:
        await _release_locks(conn, scope, transaction_id, keep=frozenset(), reason="the check was voided")
        await repo.update_check(
            conn,
            scope.retailer_id,
            check.id,
            {**content, "is_closed": True, "is_voided": True, "closed_at": scope.now, "voided_at": scope.now},
        )
        await check_events.publish(conn, scope, EventType.TRANSACTION_VOIDED, transaction_id, None, (), content)
        return
    if not transaction.is_closed:
        if not created:
            await repo.update_check(conn, scope.retailer_id, check.id, content)
        return
    await _close(conn, scope, check, transaction, transaction_id, content, stored=created)


# ---------------------------------------------------------------------------------------- closing


@dataclass(frozen=True, slots=True)
class Redemption:
    index: int
    row: WalletRow
    hold: Hold
    lock: LockRow | None
    amount: int


def _path(index: int, field: str = "") -> str:
    return f"request_payload.discounts[{index}]" + (f".{field}" if field else "")


async def _close(
    conn: AsyncConnection,
    scope: Scope,
    check: CheckRow,
    transaction: Transaction,
    transaction_id: str,
    content: dict[str, Any],
    *,
    stored: bool,
) -> None:
    """`stored`: the check's row was inserted with `content` by this request (then only what closing
    changes is written again)."""
    ours = [(i, d) for i, d in enumerate(transaction.discounts) if is_ours(d)]
    ids: list[UUID] = []
    for index, discount in ours:
        user_offer_id = parse_uuid(discount.reference_id or "")
        if user_offer_id is None:
            raise user_offer_not_found(_path(index, "reference_id"))
        if user_offer_id in ids:
            raise ValidationFailed.field(_path(index, "reference_id"), "the same user offer appears twice")
        if discount.amount < 0:
            raise ValidationFailed.field(_path(index, "amount"), "must not be negative")
        ids.append(user_offer_id)
    # The offers with their lock rows, whether their owner has expiries to record, how many locks the
    # check holds and whether the retailer has a catalog, in one query.
    found = await read_model.offers_on_check(
        conn, scope.retailer_id, ids, store_id=scope.store.id, transaction_id=transaction_id, now=scope.now
    )
    rows = found.rows
    for (index, _), user_offer_id in zip(ours, ids, strict=True):
        if user_offer_id not in rows:
            raise user_offer_not_found(_path(index, "reference_id"))
    owners = sorted({row.user_offer.user_id for row in rows.values()})
    if len(owners) > 1:
        raise Conflict(
            "the check's offers belong to more than one customer", fields={"request_payload.discounts": ["mixed"]}
        )
    # The wallet read said whether the owner has expiries to record: nothing due saves the sweep.
    owner_write = None
    if owners:
        owner_write = await begin_write(conn, scope, owners[0], has_due=owners[0] in found.due_users)

    # With the catalog whenever the retailer has one: the customer earns by item category too.
    priced = await price_check(
        conn,
        scope,
        transaction,
        transaction_id,
        rows,
        found.locks,
        with_catalog=found.has_catalog is not False,
        every_held=True,
        check_locks=found.check_locks,
    )
    plans = await _plan(conn, scope, transaction, transaction_id, ours, ids, rows, found.locks, priced)
    redeemed = await _apply(conn, scope, owner_write, transaction_id, plans, priced.held)

    customer_write = owner_write or await _payment_customer(conn, scope, transaction)
    if customer_write is not None:
        customer = customer_write.user_id
        # The customer exists and their write has begun (above, or in `_payment_customer`), in this
        # transaction: the engine need not read them again. The exponent is the scope's.
        await loyalty_engine.on_transaction_closed(
            conn,
            retailer_id=scope.retailer_id,
            event=closed_event(
                priced.basket,
                user_id=customer,
                occurred_at=scope.now,
                store=scope.store,
                channel=transaction.channel,
                transaction_id=transaction_id,
            ),
            now=scope.now,
            actor=scope.actor,
            write=customer_write,
            exponent=scope.exponent,
        )
    await repo.update_check(
        conn,
        scope.retailer_id,
        check.id,
        {
            **({} if stored else content),
            "is_closed": True,
            "user_id": customer_write.user_id if customer_write else None,
            "redeemed": [str(u) for u in redeemed],
            "closed_at": scope.now,
        },
    )
    customer_id = customer_write.user_id if customer_write else None
    await check_events.publish(
        conn, scope, EventType.TRANSACTION_CLOSED, transaction_id, customer_id, redeemed, content
    )


async def _plan(
    conn: AsyncConnection,
    scope: Scope,
    transaction: Transaction,
    transaction_id: str,
    ours: list[tuple[int, Any]],
    ids: list[UUID],
    rows: dict[UUID, WalletRow],
    joined_locks: dict[UUID, LockRow],
    priced: PricedCheck,
) -> list[Redemption]:
    """Check every one of our discounts before anything is written: it may be taken by this check, and
    its amount is at most what its offer allows on the final basket, after the discounts stacked before
    it (lower `stack_order`; ties in check order). Exclusivity looks at the whole check. `joined_locks`
    are the offers' lock rows, read with them."""
    if not ours:
        return []
    now = scope.now
    # Only a Locked offer's lock row is its lock (a Revoked one may keep a leftover row).
    locks = {u: joined_locks[u] for u in ids if rows[u].user_offer.status == LOCKED and u in joined_locks}
    terms = {u: terms_of(rows[u].offer, scope.exponent) for u in ids}
    owner = rows[ids[0]].user_offer.user_id
    log = await redemption_log(conn, scope, owner, ((rows[u], terms[u]) for u in ids), now)
    discounts = priced.basket.discounts
    earlier_on_check: Counter[UUID] = Counter()
    plans: list[Redemption] = []
    for (index, discount), user_offer_id in zip(ours, ids, strict=True):
        row, lock = rows[user_offer_id], locks.get(user_offer_id)
        try:
            hold = hold_of(row, lock, scope.store.id, transaction_id, now)
        except DomainError as error:
            raise refusal_at(error, _path(index)) from None
        # A lock is judged at the time it was taken (PRICING.md: "the lock's time").
        at = lock.locked_at if hold is Hold.OURS and lock is not None else now
        root = row.user_offer.root_offer_id
        uses = uses_in_period(terms[user_offer_id], log.get(root, ()), at) + earlier_on_check[root]
        pricing_context = context(scope, transaction.channel, at, uses)
        mine = (discounts[index].stack_order, index)
        earlier = tuple(d for j, d in enumerate(discounts) if j != index and (d.stack_order, j) < mine)
        result = pricing.evaluate_prepared(
            terms[user_offer_id], priced.prepared.with_discounts(earlier), pricing_context
        )
        if isinstance(result, pricing.Ineligible):
            raise ineligible(result, _path(index))
        others = tuple(d for j, d in enumerate(discounts) if j != index)
        # With nothing stacked after it (one discount, say), the whole check is what it was priced on.
        stacked: pricing.Discount | pricing.Ineligible = result
        if len(others) != len(earlier):
            on_whole_check = priced.prepared.with_discounts(others)
            stacked = pricing.evaluate_prepared(terms[user_offer_id], on_whole_check, pricing_context)
        if isinstance(stacked, pricing.Ineligible) and stacked.reason is pricing.Reason.NOT_STACKABLE:
            raise ineligible(stacked, _path(index))
        sent = to_minor(discount.amount, scope.exponent)
        if sent > result.amount:
            allowed = to_decimal(result.amount, scope.exponent)
            raise DiscountMismatch(
                f"discount {index} is {discount.amount}; its offer allows at most {allowed} on this check",
                fields={_path(index, "amount"): [f"at most {allowed}"]},
            )
        plans.append(Redemption(index, row, hold, lock, sent))
        earlier_on_check[root] += 1
    return plans


async def _apply(
    conn: AsyncConnection,
    scope: Scope,
    owner: UserWrite | None,
    transaction_id: str,
    plans: list[Redemption],
    held: tuple[LockRow, ...],
) -> list[UUID]:
    """Redeem the planned offers (all the owner's) and release the check's other locks, in user offer
    id order."""
    redeem = {plan.row.user_offer.id: plan for plan in plans}
    release = {lock.user_offer_id for lock in held if lock.user_offer_id not in redeem}
    for user_offer_id in sorted(redeem.keys() | release):
        plan = redeem.get(user_offer_id)
        if plan is None:
            await _release(conn, scope, user_offer_id, transaction_id, "the check closed without it")
        else:
            assert owner is not None  # plans exist only for offers of the check's one owner
            await _redeem(owner, scope, transaction_id, plan)
    return sorted(redeem)


async def _redeem(w: UserWrite, scope: Scope, transaction_id: str, plan: Redemption) -> None:
    """Redeem one planned offer: taken by this check first (`locks.take`, no lock row kept) unless it
    holds it already, then Locked -> Redeemed."""
    user_offer_id = plan.row.user_offer.id
    detail = lock_detail(scope.store.id, transaction_id, amount=plan.amount)
    if plan.hold is Hold.OURS:
        await redeem_held(w, scope, user_offer_id, transaction_id, detail)
        return
    try:
        await take(w, scope, plan.row, plan.hold, plan.lock, None, transaction_id)
    except AlreadyLocked as error:
        if plan.hold is Hold.EXPIRED_OTHER:  # another check took the run-out lock first: name the discount
            raise refusal_at(error, _path(plan.index)) from None
        raise
    if not await lifecycle.redeem(w, user_offer_id, detail):
        await raise_changed(w.conn, scope.retailer_id, user_offer_id, scope.now)


async def _release(conn: AsyncConnection, scope: Scope, user_offer_id: UUID, transaction_id: str, reason: str) -> None:
    """A lock this check holds goes back to the wallet (if it is still this check's)."""
    if await repo.release_held(conn, scope.retailer_id, user_offer_id, scope.store.id, transaction_id):
        await lifecycle.release(
            row_write(conn, scope), user_offer_id, reason, lock_detail(scope.store.id, transaction_id)
        )


async def _release_locks(
    conn: AsyncConnection, scope: Scope, transaction_id: str, *, keep: frozenset[UUID], reason: str
) -> None:
    for lock in await repo.locks_of_check(conn, scope.retailer_id, scope.store.id, transaction_id):
        if lock.user_offer_id not in keep:
            await _release(conn, scope, lock.user_offer_id, transaction_id, reason)


async def _payment_customer(conn: AsyncConnection, scope: Scope, transaction: Transaction) -> UserWrite | None:
    """No offer of ours on the check: the customer is a payment's `user_id` of type SessionM_ID, else
    the check's own `user_id`. An unknown one is USER_NOT_FOUND (nothing changes). Their write begins
    here (the engine is handed it)."""
    candidates = [
        (f"request_payload.payments[{i}].user_id", p.user_id)
        for i, p in enumerate(transaction.payments)
        if p.user_id and (p.user_id_type or "").strip().lower() == SESSIONM_ID
    ]
    if transaction.user_id:
        candidates.append(("request_payload.user_id", transaction.user_id))
    if not candidates:
        return None
    path, text = candidates[0]
    user_id = parse_uuid(text)
    if user_id is None:
        raise ValidationFailed.field(path, "is not a user id (a UUID)")
    has_due = await read_model.customer_has_due(conn, scope.retailer_id, user_id, scope.now)
    if has_due is None:
        raise UserNotFound("the check's customer is not a user of this retailer", fields={path: ["not found"]})
    # The first step of the loyalty engine's lock order, done here with the same read.
    return await begin_write(conn, scope, user_id, has_due=has_due)


# ---------------------------------------------------------------------------------------- voiding


async def _void_closed(conn: AsyncConnection, scope: Scope, check: CheckRow, content: dict[str, Any]) -> None:
    """A closed check voided: what it redeemed goes back to the wallet, what it earned is taken back."""
    detail = lock_detail(scope.store.id, check.transaction_id)
    for user_offer_id in sorted(check.redeemed):
        # One reinstated by hand since is left as it is.
        await lifecycle.void(row_write(conn, scope), user_offer_id, "the check was voided", detail)
    if check.user_id is not None:
        await loyalty_engine.on_transaction_voided(
            conn,
            retailer_id=scope.retailer_id,
            user_id=check.user_id,
            transaction_id=f"{scope.store.id}:{check.transaction_id}",
            now=scope.now,
            actor=scope.actor,
        )
    await returns.record_void(conn, scope, check, content)
    await repo.update_check(conn, scope.retailer_id, check.id, {**content, "is_voided": True, "voided_at": scope.now})
    await check_events.publish(
        conn, scope, EventType.TRANSACTION_VOIDED, check.transaction_id, check.user_id, check.redeemed, content
    )
