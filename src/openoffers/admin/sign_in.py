"""Signing in to the admin UI, throttled so that a leaked key name cannot be brute-forced.

One write transaction per attempt: it counts the failures within the window for the client address
and for the key name; when either has reached the limit the attempt is `Throttled` and the secret is
never checked (and a throttled attempt is not itself a failure, so waiting out `retry_after` always
works). Otherwise the secret is checked in the same transaction and a failure is recorded before it
commits. Attempts for the same address or key name take their turn (PostgreSQL: transaction-scoped
advisory locks on both, taken in one order so two attempts cannot deadlock; SQLite: the write lock
every write transaction takes at BEGIN), so the count is exact with any number of server processes.

Failed rows older than the window are deleted by the next attempt. A successful sign-in deletes only
the failures of that key name from that address: another address's failures stay.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.db import Database
from openoffers.kit.errors import InvalidApiKey
from openoffers.settings import Settings
from openoffers.tables.admin import sign_in_failures as failures
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.service import Principal, Role

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True, slots=True)
class Limits:
    max_failures: int
    window: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(max(settings.login_max_failures, 1), timedelta(seconds=max(settings.login_window_seconds, 1)))


@dataclass(frozen=True, slots=True)
class SignedIn:
    principal: Principal


@dataclass(frozen=True, slots=True)
class Refused:
    """The credentials do not sign in; `reason` is `invalid`, `pos_client` or `role` (the key's role)."""

    reason: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Throttled:
    retry_after: int  # whole seconds until an attempt is checked again


Outcome = SignedIn | Refused | Throttled


def key_hash(key: str) -> str:
    """What is stored for a key name: its SHA-256, so a secret typed into the key box is not kept."""
    return hashlib.sha256(b"openoffers admin sign-in\x00" + key.encode()).hexdigest()


def client_address(host: str | None) -> str:
    """The address failures are counted by. An IPv6 address counts as its /64 network, which one
    machine usually holds whole; anything that is not an IP address (a test client, a Unix socket)
    is kept as given, shortened to fit."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _lock_id(subject: str) -> int:
    return int.from_bytes(hashlib.sha256(b"openoffers sign-in lock\x00" + subject.encode()).digest()[:8], signed=True)


async def _one_at_a_time(conn: AsyncConnection, address: str, hashed: str) -> None:
    """Attempts sharing an address or a key name run one after another (see the module docstring)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: `Database.write` began IMMEDIATE and holds the database's write lock.
    for lock in sorted({_lock_id("address:" + address), _lock_id("key:" + hashed)}):
        await conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


async def _wait(conn: AsyncConnection, subject: ColumnElement[bool], now: datetime, limits: Limits) -> float:
    """Seconds until `subject` has fewer than the limit of failures within the window (0: it has now)."""
    recent = await conn.execute(
        select(failures.c.failed_at)
        .where(subject, failures.c.failed_at > now - limits.window)
        .order_by(failures.c.failed_at.desc())
        .limit(limits.max_failures)
    )
    times: list[datetime] = list(recent.scalars().all())
    if len(times) < limits.max_failures:
        return 0.0
    # The oldest of the last `max_failures` failures leaving the window brings the count under the limit.
    oldest: datetime = times[-1]
    return (oldest + limits.window - now).total_seconds()


def _refusal(principal: Principal | None) -> Refused | None:
    if principal is None:
        return Refused("invalid")
    if principal.kind != "api_key":
        return Refused("pos_client")
    if principal.role != Role.ADMIN:
        return Refused("role", role=str(principal.role))
    return None


async def sign_in(db: Database, key: str, secret: str, *, address: str, now: datetime, limits: Limits) -> Outcome:
    """Check `key` and `secret` for the admin UI unless the address or the key name is throttled."""
    hashed = key_hash(key)
    async with db.write() as conn:
        await _one_at_a_time(conn, address, hashed)
        await conn.execute(delete(failures).where(failures.c.failed_at <= now - limits.window))
        wait = max(
            await _wait(conn, failures.c.address == address, now, limits),
            await _wait(conn, failures.c.key_hash == hashed, now, limits),
        )
        if wait > 0:
            return Throttled(retry_after=max(math.ceil(wait), 1))
        principal: Principal | None = None
        if ":" not in key:  # a colon would split differently inside a Basic header
            header = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
            try:
                principal = await tenancy.authenticate_in(conn, header)
            except InvalidApiKey:
                principal = None
        refusal = _refusal(principal)
        if refusal is not None:
            await conn.execute(insert(failures).values(address=address, key_hash=hashed, failed_at=now))
            return refusal
        await conn.execute(delete(failures).where(failures.c.address == address, failures.c.key_hash == hashed))
        assert principal is not None
        return SignedIn(principal)
