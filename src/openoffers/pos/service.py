"""POS use cases: each owns its one database transaction (lookup.py, locks.py and checks.py hold the work).

Credentials are checked inside that transaction (no separate one for them), then the body is decoded, then
the envelope is authorized: the order clients see is the same as with a separate authentication, so a wrong
secret is 401 whatever the body.

Mutating calls are idempotent by `request_id` (pos/idempotency.py): after the envelope is authorized, the
key (client, route, request_id, what the call acts on) is claimed in the same transaction as the work
and the exact reply bytes are saved before commit. A replay returns those bytes; a refusal rolls the
claim back with everything else, so a retry runs again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.checks.basket import SESSIONM
from openoffers.checks.schemas import Transaction
from openoffers.kit import wire
from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.envelopes import pos_body
from openoffers.kit.ids import parse_uuid
from openoffers.kit.money import to_minor
from openoffers.pos import idempotency
from openoffers.pos import repository as repo
from openoffers.pos.checks import send_in
from openoffers.pos.locks import create_claim_code, expire_locks_batch, lock_in, reinstate_in, unlock_in
from openoffers.pos.lookup import lookup_in
from openoffers.pos.schemas import ClaimCode, ClaimCodeRequest, LockPayload, LookupPayload, PosEnvelope, UserOfferAction
from openoffers.pos.scope import Scope, scope_of, transaction_key
from openoffers.settings import Settings
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy.pos_credentials import pos_credentials
from openoffers.tenancy.service import Principal, authenticate_in, authenticate_pos_in
from openoffers.wallet import repository as wallet_repo

P = TypeVar("P")

# Canonical route names for request_id keys: the guide's aliases share one key space.
LOCK, REDEEM, UNLOCK, REINSTATE, SEND_TRANSACTION = "lock", "redeem", "unlock", "reinstate", "send_transaction"


@dataclass(frozen=True, slots=True)
class PosCall(Generic[P]):
    """A POS request as it arrived: its Authorization header and how to decode its body. Both are
    resolved inside the use case's transaction, credentials first."""

    authorization: str | None
    decode: Callable[[], PosEnvelope[P]]


@dataclass(frozen=True, slots=True)
class Authorized(Generic[P]):
    principal: Principal
    envelope: PosEnvelope[P]
    scope: Scope


async def _authorize(
    db: Database, conn: AsyncConnection, call: PosCall[P], now: datetime, settings: Settings
) -> Authorized[P]:
    """Credentials, then the body, then the envelope's client and store: first in every POS transaction,
    before anything is claimed or changed. The credentials and the envelope's store are read in one query,
    so the body is decoded first; a body that does not decode is refused only after the credentials."""
    try:
        envelope = call.decode()
    except Exception:
        await authenticate_in(conn, call.authorization)
        raise
    principal, found = await authenticate_pos_in(
        conn,
        call.authorization,
        envelope.store_id,
        memory=pos_credentials(db),
        max_age=settings.pos_credentials_cache_seconds,
    )
    scope = scope_of(
        principal,
        found,
        client_id=envelope.client_id,
        store_id=envelope.store_id,
        culture=envelope.culture,
        now=now,
        lock_ttl_seconds=settings.lock_ttl_seconds,
    )
    return Authorized(principal, envelope, scope)


async def lookup(db: Database, settings: Settings, call: PosCall[LookupPayload], now: datetime) -> bytes:
    """Read-only: no request_id replay (API.md section 5)."""
    async with db.read(inline=True) as conn:
        authorized = await _authorize(db, conn, call, now, settings)
        user = await lookup_in(conn, authorized.scope, authorized.envelope.request_payload)
    return pos_body([user], word="success")


def request_key(principal: Principal, envelope: PosEnvelope[Any], route: str, subject: str) -> idempotency.RequestKey:
    """The key belongs to the client, the route and what the call acts on (`subject`): public clients
    send request_id "1" for every call, so a new check or user offer is a new request (DECISIONS.md)."""
    request_id = str(envelope.request_id)
    # The hash is of the decoded envelope encoded again, so `"1"` and `1` or key order are one body.
    canonical = wire.encode(msgspec.structs.replace(envelope, request_id=request_id))
    return idempotency.RequestKey(
        retailer_id=principal.retailer_id,
        client_id=envelope.client_id,
        route=route,
        request_id=request_id,
        subject=subject,
        body_hash=idempotency.body_hash(canonical),
    )


async def _idempotent(
    db: Database,
    settings: Settings,
    call: PosCall[P],
    route: str,
    now: datetime,
    work: Callable[[AsyncConnection, Scope, P], Awaitable[Any]],
    subject: Callable[[Scope, P], str],
    *,
    answer: bytes | None = None,
) -> bytes:
    """`work` once per request key, its reply saved for replays. `answer`: the reply of every success,
    known before the work (the work then returns None); it is stored with the claim (one statement
    fewer than saving it after)."""
    async with db.write(inline=True) as conn:
        authorized = await _authorize(db, conn, call, now, settings)
        payload = authorized.envelope.request_payload
        key = request_key(authorized.principal, authorized.envelope, route, subject(authorized.scope, payload))
        stored = await idempotency.claim(conn, key, now, answer)
        if stored is not None:
            return stored
        result = await work(conn, authorized.scope, authorized.envelope.request_payload)
        if answer is not None:
            assert result is None, "a call with a known answer returns nothing else"
            return answer
        body = pos_body(result)
        await idempotency.save(conn, key, 200, body)
    return body


def _offer_subject(scope: Scope, payload: LockPayload) -> str:
    """Lock and redeem act on the user offer the code names (for this store's check)."""
    return f"offer:{payload.offer_lookup_type.strip().lower()}:{payload.offer_lookup_code.strip().lower()}"


def _user_offer_subject(scope: Scope, payload: UserOfferAction) -> str:
    return f"user_offer:{payload.user_offer_id}"


def _check_subject(scope: Scope, payload: Transaction) -> str:
    return f"check:{scope.store.id}:{transaction_key(payload)}"


async def lock(db: Database, settings: Settings, call: PosCall[LockPayload], now: datetime) -> bytes:
    return await _idempotent(
        db,
        settings,
        call,
        LOCK,
        now,
        lambda conn, scope, payload: lock_in(conn, scope, payload, redeem=False),
        _offer_subject,
    )


async def redeem(db: Database, settings: Settings, call: PosCall[LockPayload], now: datetime) -> bytes:
    return await _idempotent(
        db,
        settings,
        call,
        REDEEM,
        now,
        lambda conn, scope, payload: lock_in(conn, scope, payload, redeem=True),
        _offer_subject,
    )


async def unlock(db: Database, settings: Settings, call: PosCall[UserOfferAction], now: datetime) -> bytes:
    return await _idempotent(
        db,
        settings,
        call,
        UNLOCK,
        now,
        lambda conn, scope, payload: unlock_in(conn, scope, payload),
        _user_offer_subject,
    )


async def reinstate(db: Database, settings: Settings, call: PosCall[UserOfferAction], now: datetime) -> bytes:
    return await _idempotent(
        db,
        settings,
        call,
        REINSTATE,
        now,
        lambda conn, scope, payload: reinstate_in(conn, scope, payload),
        _user_offer_subject,
    )


# send_transaction's reply to every check it takes (the guide's `{"status": "OK", "payload": null, ...}`).
_SENT = pos_body(None)


async def send_transaction(db: Database, settings: Settings, call: PosCall[Transaction], now: datetime) -> bytes:
    """Answers the guide's `{"status": "OK", "payload": null, "errors": null}`."""

    async def work(conn: AsyncConnection, scope: Scope, payload: Transaction) -> None:
        await send_in(conn, scope, payload)

    return await _idempotent(db, settings, call, SEND_TRANSACTION, now, work, _check_subject, answer=_SENT)


async def claim_code(db: Database, settings: Settings, request: ClaimCodeRequest, now: datetime) -> ClaimCode:
    """A short-lived code (`ttlcode`) for the customer's app to show at the till."""
    async with db.write() as conn:
        code, expires_at = await create_claim_code(
            conn, request.retailer_id, request.user_offer_id, now, settings.claim_code_ttl_seconds
        )
    return ClaimCode(code=code, user_offer_id=request.user_offer_id, expires_at=iso_z(expires_at) or "")


@dataclass(frozen=True, slots=True)
class CheckDiscount:
    """A discount on a stored check. For ours, the user offer it names, its title and status now."""

    display_name: str
    amount: int  # minor units, as the check sent it
    ours: bool
    user_offer_id: UUID | None = None
    redeemed: bool = False  # this check redeemed the user offer when it closed
    title: str = ""
    status: int | None = None


@dataclass(frozen=True, slots=True)
class CheckSummary:
    row: repo.CheckListRow
    discounts: tuple[CheckDiscount, ...]


async def recent_checks(
    db: Database, retailer_id: UUID, *, store_id: UUID | None, skip: int, take: int, now: datetime
) -> tuple[int, list[CheckSummary]]:
    """Stored checks, most recently changed first, each with its discounts and the user offers it
    redeemed (for the admin UI's transactions page). Read only."""
    async with db.read() as conn:
        total, rows = await repo.list_checks(conn, retailer_id, store_id, skip=skip, take=take)
        exponent = (await tenancy_repo.require_retailer(conn, retailer_id)).exponent
        named = {
            user_offer_id
            for row in rows
            for d in row.check.get("discounts") or []
            if (user_offer_id := _our_reference(d)) is not None
        }
        offers = await wallet_repo.wallet_rows_by_ids(conn, retailer_id, sorted(named))
    summaries = []
    for row in rows:
        discounts = []
        for d in row.check.get("discounts") or []:
            user_offer_id = _our_reference(d)
            wallet_row = offers.get(user_offer_id) if user_offer_id is not None else None
            discounts.append(
                CheckDiscount(
                    display_name=str(d.get("display_name") or ""),
                    amount=max(0, to_minor(Decimal(str(d.get("amount") or 0)), exponent)),
                    ours=str(d.get("discount_source") or "").strip().lower() == SESSIONM,
                    user_offer_id=user_offer_id,
                    redeemed=user_offer_id in row.redeemed,
                    title=wallet_row.offer.title if wallet_row else "",
                    status=wallet_row.status_at(now) if wallet_row else None,
                )
            )
        summaries.append(CheckSummary(row, tuple(discounts)))
    return total, summaries


def _our_reference(discount: dict[str, Any]) -> UUID | None:
    if str(discount.get("discount_source") or "").strip().lower() != SESSIONM:
        return None
    return parse_uuid(str(discount.get("reference_id") or ""))


async def expire_locks(db: Database, now: datetime, *, batch: int = 500) -> int:
    """Return every user offer whose lock ran out to the wallet (for a scheduler; reads and locks are
    right without it). One short transaction per batch; how many were released."""
    released = 0
    while True:
        async with db.write() as conn:
            due, changed = await expire_locks_batch(conn, now, batch)
        released += changed
        if due < batch:
            return released


async def purge_replies(db: Database, now: datetime, hours: int) -> int:
    """Forget stored replies older than the retention window (OPENOFFERS_IDEMPOTENCY_TTL_HOURS)."""
    async with db.write() as conn:
        return await idempotency.purge_older_than(conn, now, hours)
