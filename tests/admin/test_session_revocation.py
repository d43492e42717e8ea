"""Admin sessions live on the server: sign-out, revoking the key and taking its admin role away end
them on the next request, even for a copy of the cookie, and they stay ended."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update

from openoffers.admin.session import COOKIE_NAME, Session, SessionSigner
from openoffers.kit.db import Database
from openoffers.tables.admin import admin_sessions
from openoffers.tables.tenancy import api_keys
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser, sign_in
from tests.conftest import FrozenClock, Tenant

SIGN_IN_AGAIN = "/admin/login?next=%2Fadmin%2Foffers"


async def copy_of(app: Any, browser: Browser) -> httpx.AsyncClient:
    """Another client holding exactly the signed-in cookie (stolen, or kept from before sign-out)."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    http.cookies.set(COOKIE_NAME, browser.http.cookies[COOKIE_NAME], path="/admin")
    return http


async def works(http: httpx.AsyncClient) -> bool:
    response = await http.get("/admin/offers")
    if response.status_code == 200:
        return True
    # A cookie whose session has ended is told so ("expired"); the signed-out browser's anonymous one is not.
    assert response.status_code == 303, response.text
    assert response.headers["location"] in (SIGN_IN_AGAIN, SIGN_IN_AGAIN + "&notice=expired")
    return False


async def ended_at(db: Database) -> list[Any]:
    async with db.read() as conn:
        return list((await conn.execute(select(admin_sessions.c.ended_at))).scalars())


async def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(
    app: Any, admin: Browser, db: Database, clock: FrozenClock
) -> None:
    async with await copy_of(app, admin) as copy:
        assert await works(copy)
        assert await ended_at(db) == [None]
        signed_out = await admin.post("/admin/logout")
        assert signed_out.status_code == 303
        assert not await works(copy)
        assert not await works(admin.http)
    assert await ended_at(db) == [clock()]


async def test_revoking_the_key_ends_its_sessions_at_once(
    app: Any, admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    [key] = [k for k in await tenancy.list_api_keys(db, tenant.retailer_id) if k.key == tenant.key]
    await tenancy.revoke_api_key(db, retailer_id=tenant.retailer_id, key_id=key.id, now=clock())
    assert not await works(admin.http)
    assert await ended_at(db) == [clock()]


async def test_taking_the_admin_role_away_ends_its_sessions_for_good(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    async with db.write() as conn:
        await conn.execute(update(api_keys).where(api_keys.c.key == tenant.key).values(role="offers"))
    assert not await works(admin.http)
    # Given back, the role does not revive the ended session: signing in again makes a new one.
    async with db.write() as conn:
        await conn.execute(update(api_keys).where(api_keys.c.key == tenant.key).values(role="admin"))
    assert not await works(admin.http)
    assert await ended_at(db) == [clock()]
    fresh = await sign_in(admin.http, tenant.key, tenant.secret)
    assert await works(fresh.http)


async def test_a_signed_cookie_without_a_live_server_session_signs_nobody_in(
    app: Any, tenant: Tenant, clock: FrozenClock
) -> None:
    """A cookie signed with the right key but naming a session the server never made (or a cookie from
    before server-side sessions, with no token at all) is not a session."""
    signer = SessionSigner("")
    now = int(clock().timestamp())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        forged = Session(csrf="c", issued_at=now, retailer_id=tenant.retailer_id, key=tenant.key, token="made-up")
        http.cookies.set(COOKIE_NAME, signer.dumps(forged), path="/admin")
        assert not await works(http)
        old = signer.dumps(Session(csrf="c", issued_at=now, retailer_id=tenant.retailer_id, key=tenant.key))
        http.cookies.set(COOKIE_NAME, old, path="/admin")
        assert not await works(http)


async def test_sessions_expire_after_twelve_hours(admin: Browser, clock: FrozenClock) -> None:
    clock.advance(hours=11, minutes=59)
    assert await works(admin.http)
    clock.advance(minutes=1)
    assert not await works(admin.http)
