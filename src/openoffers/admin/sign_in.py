"""Signing in to the admin UI, throttled so that a guesser slows only themself (`kit.throttle`).

One write transaction per attempt: it counts the failures within the window of this (client address,
key name or e-mail address) pair; when the pair must still wait (its failures past the free ones, each doubling the
delay from its latest failure) the attempt is `Throttled` and the secret is never checked (a throttled
attempt is not itself a failure, so waiting out `retry_after` always works). Otherwise the secret is
checked in the same transaction and a failure recorded before it commits, or, on success, the
server-side session is created (`admin.session_store`). Attempts of one pair take their turn
(PostgreSQL: a transaction-scoped advisory lock on the pair; SQLite: the write lock every write
transaction takes at BEGIN), so the count is exact with any number of server processes.

Failed rows older than the window are deleted by the next attempt. A successful sign-in deletes the
failures of its own pair only: another address's failures stay, and do not slow this one. So someone
guessing an owner's password from one address never locks the owner out at another.

A person signs in with their e-mail address and password (`tenancy.accounts`, argon2); a machine's
admin API key still signs in with its key and secret. What is typed into the first box decides: an
API key's name cannot hold an `@`.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.admin import session_store
from openoffers.kit.db import Database
from openoffers.kit.errors import InvalidApiKey
from openoffers.kit.throttle import delay_seconds
from openoffers.settings import Settings
from openoffers.tables.admin import sign_in_failures as failures
from openoffers.tenancy import accounts as people
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.service import Principal, Role


@dataclass(frozen=True, slots=True)
class Limits:
    max_failures: int
    window: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(max(settings.login_max_failures, 1), timedelta(seconds=max(settings.login_window_seconds, 1)))


@dataclass(frozen=True, slots=True)
class SignedIn:
    retailer_id: UUID
    name: str  # the key, or `account:<id>` (session_store.SignedInAs.name)
    session_token: str  # for the cookie; the server keeps only its hash


@dataclass(frozen=True, slots=True)
class Refused:
    """The credentials do not sign in; `reason` is `invalid`, `account` (no such active account with that
    password), `pos_client` or `role` (the key's role)."""

    reason: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Throttled:
    retry_after: int  # whole seconds until an attempt is checked again


Outcome = SignedIn | Refused | Throttled


def key_hash(key: str) -> str:
    """What is stored for a key name: its SHA-256, so a secret typed into the key box is not kept."""
    return hashlib.sha256(b"openoffers admin sign-in\x00" + key.encode()).hexdigest()


def _lock_id(subject: str) -> int:
    return int.from_bytes(hashlib.sha256(b"openoffers sign-in lock\x00" + subject.encode()).digest()[:8], signed=True)


async def _one_at_a_time(conn: AsyncConnection, address: str, hashed: str) -> None:
    """Attempts of one (address, key name) pair run one after another (see the module docstring)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: `Database.write` began IMMEDIATE and holds the database's write lock.
    await conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _lock_id(f"{address}\x00{hashed}")})


async def _wait(conn: AsyncConnection, address: str, hashed: str, now: datetime, limits: Limits) -> float:
    """Seconds until this pair may try again (0: it may now)."""
    recent = await conn.execute(
        select(func.count(), func.max(failures.c.failed_at)).where(
            failures.c.address == address, failures.c.key_hash == hashed, failures.c.failed_at > now - limits.window
        )
    )
    count, latest = recent.one()
    if not count:
        return 0.0
    until: datetime = latest + timedelta(seconds=delay_seconds(int(count), limits.max_failures))
    return (until - now).total_seconds()


def _refusal(principal: Principal | None) -> Refused | None:
    if principal is None:
        return Refused("invalid")
    if principal.kind != "api_key":
        return Refused("pos_client")
    if principal.role != Role.ADMIN:
        return Refused("role", role=str(principal.role))
    return None


async def _check_key(conn: AsyncConnection, key: str, secret: str, now: datetime) -> SignedIn | Refused:
    principal: Principal | None = None
    if ":" not in key:  # a colon would split differently inside a Basic header
        header = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        try:
            principal = await tenancy.authenticate_in(conn, header)
        except InvalidApiKey:
            principal = None
    refusal = _refusal(principal)
    if refusal is not None:
        return refusal
    assert principal is not None
    token = await session_store.open_session(conn, principal.retailer_id, now, key=principal.key)
    return SignedIn(principal.retailer_id, principal.key, token)


async def _check_account(conn: AsyncConnection, email: str, password: str, now: datetime) -> SignedIn | Refused:
    account = await people.verify_in(conn, email, password)
    if account is None:
        return Refused("account")
    token = await session_store.open_session(conn, account.retailer_id, now, account_id=account.id)
    return SignedIn(account.retailer_id, f"{session_store.ACCOUNT_PREFIX}{account.id}", token)


async def sign_in(db: Database, key: str, secret: str, *, address: str, now: datetime, limits: Limits) -> Outcome:
    """Check `key` (a key name or an e-mail address) and `secret` for the admin UI unless this pair is
    throttled."""
    is_email = "@" in key
    hashed = key_hash(key.strip().lower() if is_email else key)
    async with db.write() as conn:
        await _one_at_a_time(conn, address, hashed)
        await conn.execute(delete(failures).where(failures.c.failed_at <= now - limits.window))
        wait = await _wait(conn, address, hashed, now, limits)
        if wait > 0:
            return Throttled(retry_after=max(math.ceil(wait), 1))
        outcome = await (_check_account if is_email else _check_key)(conn, key, secret, now)
        if isinstance(outcome, Refused):
            await conn.execute(insert(failures).values(address=address, key_hash=hashed, failed_at=now))
            return outcome
        await conn.execute(delete(failures).where(failures.c.address == address, failures.c.key_hash == hashed))
        return outcome
