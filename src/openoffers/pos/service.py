"""POS use cases: each owns its one database transaction (lookup.py, locks.py and checks.py hold the work).

Mutating calls are idempotent by `request_id` (pos/idempotency.py): after the envelope is authorized, the
key (client, route, request_id) is claimed in the same transaction as the work and the exact reply bytes
are saved before commit. A replay returns those bytes; a refusal rolls the claim back with everything
else, so a retry runs again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit import wire
from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.envelopes import pos_body
from openoffers.kit.ids import parse_uuid
from openoffers.kit.money import currency_exponent, to_minor
from openoffers.pos import idempotency
from openoffers.pos import repository as repo
from openoffers.pos.basket import SESSIONM
from openoffers.pos.checks import send_in
from openoffers.pos.common import Scope, load_scope
from openoffers.pos.locks import create_claim_code, expire_locks_batch, lock_in, reinstate_in, unlock_in
from openoffers.pos.lookup import lookup_in
from openoffers.pos.schemas import (
    ClaimCode,
    ClaimCodeRequest,
    LockPayload,
    LookupPayload,
    PosEnvelope,
    Transaction,
    UserOfferAction,
)
from openoffers.settings import Settings
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy.service import Principal
from openoffers.wallet import repository as wallet_repo

P = TypeVar("P")

# Canonical route names for request_id keys: the guide's aliases share one key space.
LOCK, REDEEM, UNLOCK, REINSTATE, SEND_TRANSACTION = "lock", "redeem", "unlock", "reinstate", "send_transaction"


def _scope_loader(
    principal: Principal, envelope: PosEnvelope[Any], now: datetime, settings: Settings
) -> Callable[[AsyncConnection], Awaitable[Scope]]:
    async def load(conn: AsyncConnection) -> Scope:
        return await load_scope(
            conn,
            principal,
            client_id=envelope.client_id,
            store_id=envelope.store_id,
            culture=envelope.culture,
            now=now,
            lock_ttl_seconds=settings.lock_ttl_seconds,
        )

    return load


async def lookup(
    db: Database, settings: Settings, principal: Principal, envelope: PosEnvelope[LookupPayload], now: datetime
) -> bytes:
    """Read-only: no request_id replay (API.md section 5)."""
    async with db.read() as conn:
        scope = await _scope_loader(principal, envelope, now, settings)(conn)
        user = await lookup_in(conn, scope, envelope.request_payload)
    return pos_body([user], word="success")


def request_key(principal: Principal, envelope: PosEnvelope[Any], route: str) -> idempotency.RequestKey:
    request_id = str(envelope.request_id)
    # The hash is of the decoded envelope encoded again, so `"1"` and `1` or key order are one body.
    canonical = wire.encode(msgspec.structs.replace(envelope, request_id=request_id))
    return idempotency.RequestKey(
        retailer_id=principal.retailer_id,
        client_id=envelope.client_id,
        route=route,
        request_id=request_id,
        body_hash=idempotency.body_hash(canonical),
    )


async def _idempotent(
    db: Database,
    settings: Settings,
    principal: Principal,
    envelope: PosEnvelope[P],
    route: str,
    now: datetime,
    work: Callable[[AsyncConnection, Scope], Awaitable[Any]],
) -> bytes:
    key = request_key(principal, envelope, route)
    async with db.write() as conn:
        scope = await _scope_loader(principal, envelope, now, settings)(conn)
        stored = await idempotency.claim(conn, key, now)
        if stored is not None:
            return stored
        body = pos_body(await work(conn, scope))
        await idempotency.save(conn, key, 200, body)
    return body


async def lock(
    db: Database, settings: Settings, principal: Principal, envelope: PosEnvelope[LockPayload], now: datetime
) -> bytes:
    payload = envelope.request_payload
    return await _idempotent(
        db, settings, principal, envelope, LOCK, now, lambda conn, scope: lock_in(conn, scope, payload, redeem=False)
    )


async def redeem(
    db: Database, settings: Settings, principal: Principal, envelope: PosEnvelope[LockPayload], now: datetime
) -> bytes:
    payload = envelope.request_payload
    return await _idempotent(
        db, settings, principal, envelope, REDEEM, now, lambda conn, scope: lock_in(conn, scope, payload, redeem=True)
    )


async def unlock(
    db: Database, settings: Settings, principal: Principal, envelope: PosEnvelope[UserOfferAction], now: datetime
) -> bytes:
    payload = envelope.request_payload
    return await _idempotent(
        db, settings, principal, envelope, UNLOCK, now, lambda conn, scope: unlock_in(conn, scope, payload)
    )


async def reinstate(
    db: Database, settings: Settings, principal: Principal, envelope: PosEnvelope[UserOfferAction], now: datetime
) -> bytes:
    payload = envelope.request_payload
    return await _idempotent(
        db, settings, principal, envelope, REINSTATE, now, lambda conn, scope: reinstate_in(conn, scope, payload)
    )


async def send_transaction(
    db: Database, settings: Settings, principal: Principal, envelope: PosEnvelope[Transaction], now: datetime
) -> bytes:
    """Answers the guide's `{"status": "OK", "payload": null, "errors": null}`."""
    payload = envelope.request_payload

    async def work(conn: AsyncConnection, scope: Scope) -> None:
        await send_in(conn, scope, payload)

    return await _idempotent(db, settings, principal, envelope, SEND_TRANSACTION, now, work)


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
        retailer = await tenancy_repo.get_retailer(conn, retailer_id)
        exponent = currency_exponent(retailer.currency if retailer else "USD")
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
