"""Signed-in admin sessions, kept on the server so that they can be ended.

The browser's cookie (`admin.session`) carries a random token; the database keeps only its hash, with
the retailer and who signed in: an admin API key or a person's account. Every admin request looks the
session up with its signer: a session works only while it has not been signed out, is younger than
`MAX_AGE_SECONDS`, and its key is neither revoked nor stripped of the admin role, or its account is
active (a role change or a deactivation ends the account's sessions in the same transaction,
`tenancy.accounts`). So sign-out, revocation and a role change end it on the very next request, in
every server process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.admin.session import MAX_AGE_SECONDS
from openoffers.kit.db import Database
from openoffers.tables.admin import admin_sessions as sessions
from openoffers.tables.tenancy import api_keys
from openoffers.tenancy import accounts as people
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy.accounts import Account
from openoffers.tenancy.repository import ApiKey, Retailer
from openoffers.tenancy.service import Role

MAX_AGE = timedelta(seconds=MAX_AGE_SECONDS)
ACCOUNT_PREFIX = "account:"  # API key names cannot hold a colon, so the two never collide


@dataclass(frozen=True, slots=True)
class SignedInAs:
    """Who a live session belongs to: an admin API key (role admin) or an account (its role)."""

    retailer: Retailer
    role: str
    key: ApiKey | None = None
    account: Account | None = None

    @property
    def name(self) -> str:
        """What the cookie names: the key, or `account:<id>`."""
        if self.account is not None:
            return f"{ACCOUNT_PREFIX}{self.account.id}"
        assert self.key is not None
        return self.key.key


def _hash(token: str) -> str:
    return hashlib.sha256(b"openoffers admin session\x00" + token.encode()).hexdigest()


async def open_session(
    conn: AsyncConnection, retailer_id: UUID, now: datetime, *, key: str | None = None, account_id: UUID | None = None
) -> str:
    """A new session for a signed-in admin key or account, in the sign-in's transaction; its token, for
    the cookie."""
    token = secrets.token_urlsafe(32)
    # Sessions past their age, ended or not, are never looked at again.
    await conn.execute(delete(sessions).where(sessions.c.created_at <= now - MAX_AGE))
    key_id = None if key is None else select(api_keys.c.id).where(api_keys.c.key == key).scalar_subquery()
    await conn.execute(
        sessions.insert().values(
            id=_hash(token),
            retailer_id=retailer_id,
            api_key_id=key_id,
            account_id=account_id,
            created_at=now,
            ended_at=None,
        )
    )
    return token


async def _signer(
    conn: AsyncConnection, retailer_id: UUID, key_id: UUID | None, account_id: UUID | None
) -> SignedInAs | None:
    retailer = await tenancy_repo.get_retailer(conn, retailer_id)
    if retailer is None:
        return None
    if account_id is not None:
        account = await people.get_account(conn, account_id)
        if account is None or account.retailer_id != retailer_id or account.status != "active":
            return None
        return SignedInAs(retailer, account.role, account=account)
    found = (await conn.execute(select(api_keys.c.key).where(api_keys.c.id == key_id))).first()
    api_key = None if found is None else await tenancy_repo.find_api_key(conn, found.key)
    if api_key is None or api_key.revoked_at is not None or api_key.role != Role.ADMIN.value:
        return None
    if api_key.retailer_id != retailer_id:
        return None
    return SignedInAs(retailer, Role.ADMIN.value, key=api_key)


async def find_admin(db: Database, token: str, now: datetime) -> SignedInAs | None:
    """Who a live session belongs to (see the module docstring), else None. A session whose key has
    been revoked or has lost the admin role, or whose account is no longer active, is ended here, so
    that it stays ended whatever happens afterwards."""
    async with db.read() as conn:
        found = await conn.execute(
            select(sessions.c.retailer_id, sessions.c.api_key_id, sessions.c.account_id).where(
                sessions.c.id == _hash(token), sessions.c.ended_at.is_(None), sessions.c.created_at > now - MAX_AGE
            )
        )
        row = found.first()
        if row is None:
            return None
        signer = await _signer(conn, row.retailer_id, row.api_key_id, row.account_id)
    if signer is None:
        await end_session(db, token, now)
    return signer


async def end_session(db: Database, token: str, now: datetime) -> None:
    """Sign-out: the session never works again. Ending an ended session changes nothing."""
    async with db.write() as conn:
        await conn.execute(
            update(sessions).where(sessions.c.id == _hash(token), sessions.c.ended_at.is_(None)).values(ended_at=now)
        )
