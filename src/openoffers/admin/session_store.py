"""Signed-in admin sessions, kept on the server so that they can be ended.

The browser's cookie (`admin.session`) carries a random token; the database keeps only its hash, with
the retailer and the API key that signed in. Every admin request looks the session up with its key: a
session works only while it has not been signed out, is younger than `MAX_AGE_SECONDS`, and its key is
neither revoked nor stripped of the admin role. So sign-out, revocation and a role change end it on the
very next request, in every server process.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.admin.session import MAX_AGE_SECONDS
from openoffers.kit.db import Database
from openoffers.tables.admin import admin_sessions as sessions
from openoffers.tables.tenancy import api_keys
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy.repository import ApiKey, Retailer
from openoffers.tenancy.service import Principal, Role

MAX_AGE = timedelta(seconds=MAX_AGE_SECONDS)


def _hash(token: str) -> str:
    return hashlib.sha256(b"openoffers admin session\x00" + token.encode()).hexdigest()


async def open_session(conn: AsyncConnection, principal: Principal, now: datetime) -> str:
    """A new session for a signed-in admin key, in the sign-in's transaction; its token, for the cookie."""
    token = secrets.token_urlsafe(32)
    # Sessions past their age, ended or not, are never looked at again.
    await conn.execute(delete(sessions).where(sessions.c.created_at <= now - MAX_AGE))
    key_id = select(api_keys.c.id).where(api_keys.c.key == principal.key).scalar_subquery()
    await conn.execute(
        sessions.insert().values(
            id=_hash(token), retailer_id=principal.retailer_id, api_key_id=key_id, created_at=now, ended_at=None
        )
    )
    return token


async def find_admin(db: Database, token: str, now: datetime) -> tuple[Retailer, ApiKey] | None:
    """The retailer and key of a live session (see the module docstring), else None. A session whose key
    has been revoked or has lost the admin role is ended here, so that it stays ended whatever happens
    to the key afterwards."""
    hashed = _hash(token)
    async with db.read() as conn:
        found = await conn.execute(
            select(api_keys.c.key, api_keys.c.role, api_keys.c.revoked_at, sessions.c.retailer_id)
            .join(api_keys, api_keys.c.id == sessions.c.api_key_id)
            .where(sessions.c.id == hashed, sessions.c.ended_at.is_(None), sessions.c.created_at > now - MAX_AGE)
        )
        row = found.first()
        if row is None:
            return None
        usable = row.revoked_at is None and row.role == Role.ADMIN.value
        api_key = await tenancy_repo.find_api_key(conn, row.key) if usable else None
        retailer = await tenancy_repo.get_retailer(conn, row.retailer_id) if usable else None
    if api_key is None or retailer is None or api_key.retailer_id != retailer.id:
        await end_session(db, token, now)
        return None
    return retailer, api_key


async def end_session(db: Database, token: str, now: datetime) -> None:
    """Sign-out: the session never works again. Ending an ended session changes nothing."""
    async with db.write() as conn:
        await conn.execute(
            update(sessions).where(sessions.c.id == _hash(token), sessions.c.ended_at.is_(None)).values(ended_at=now)
        )
