"""Personal accounts on both engines: an admin invites, the invitee chooses a password through the link,
signs in with their e-mail; roles narrow what each may reach; a role change or a deactivation ends that
person's sessions at once; sign-in throttling counts per (address, account) and never locks the owner
out at another address; the CLI creates the first owner and the demo prints its account."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from openoffers.cli import app as cli_app
from openoffers.kit.db import Database
from openoffers.kit.errors import NotFound
from openoffers.tables.accounts import accounts, audit_log
from openoffers.tables.admin import admin_sessions
from openoffers.tenancy import accounts as people
from tests.admin.conftest import Browser, csrf_of
from tests.admin.test_routes import offer_form
from tests.conftest import FrozenClock, Tenant, snapshot

PASSWORD = "correct horse battery"
_LINK = re.compile(r'id="invitation-link" class="wrap">http://testserver(/admin/invitation/[A-Za-z0-9_-]+)<')


async def open_browser(app: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def sign_in_as(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await http.get("/admin/login")
    return await http.post(
        "/admin/login", data={"csrf_token": csrf_of(page.text), "key": email, "secret": password, "next": ""}
    )


async def signed_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Browser:
    response = await sign_in_as(http, email, password)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/dashboard"), response.text
    offers = await http.get("/admin/offers")
    assert offers.status_code == 200
    return Browser(http, csrf_of(offers.text))


async def invite(admin: Browser, email: str, role: str) -> str:
    """Invite someone through the people page; the path of the invitation link it shows."""
    response = await admin.post("/admin/people/invite", {"email": email, "name": "", "role": role})
    assert response.status_code == 200, response.text
    match = _LINK.search(response.text)
    assert match, response.text
    return match.group(1)


async def accept(http: httpx.AsyncClient, link: str, password: str = PASSWORD) -> httpx.Response:
    page = await http.get(link)
    assert page.status_code == 200, page.text
    return await http.post(link, data={"csrf_token": csrf_of(page.text), "password": password, "confirm": password})


async def person(app: Any, admin: Browser, email: str, role: str) -> Browser:
    """Someone invited with `role`, who has chosen their password and signed in, in a browser of their own."""
    link = await invite(admin, email, role)
    http = await open_browser(app)
    done = await accept(http, link)
    assert (done.status_code, done.headers["location"]) == (303, "/admin/login?notice=password_set")
    return await signed_in(http, email)


async def account_row(db: Database, email: str) -> Any:
    async with db.read() as conn:
        return (await conn.execute(select(accounts).where(accounts.c.email == email))).one()


async def test_invite_set_password_sign_in(app: Any, db: Database, admin: Browser, tenant: Tenant) -> None:
    link = await invite(admin, "Mia@Example.com", "marketer")
    row = await account_row(db, "mia@example.com")
    assert (row.role, row.password_hash, row.retailer_id) == ("marketer", None, tenant.retailer_id)
    listed = await admin.get("/admin/people")
    assert "mia@example.com" in listed.text and "Invited" in listed.text
    async with await open_browser(app) as http:
        # Before choosing a password, the account cannot sign in.
        early = await sign_in_as(http, "mia@example.com", PASSWORD)
        assert early.status_code == 400
        assert "That e-mail address and password do not match an active account." in early.text
        short = await http.get(link)
        mismatch = await http.post(
            link, data={"csrf_token": csrf_of(short.text), "password": "short", "confirm": "other"}
        )
        assert mismatch.status_code == 400
        assert "Use at least 10 characters." in mismatch.text
        assert "The two passwords are not the same." in mismatch.text
        assert (await account_row(db, "mia@example.com")).password_hash is None
        done = await accept(http, link)
        assert done.status_code == 303
        # The link works once.
        again = await http.get(link)
        assert again.status_code == 404 and "expired or was already used" in again.text
        mia = await signed_in(http, "MIA@example.com ")
        page = await mia.get("/admin/offers")
        assert 'title="Signed in as mia@example.com (marketer)"' in page.text
        assert 'href="/admin/people"' not in page.text and 'href="/admin/keys"' not in page.text
    assert (await account_row(db, "mia@example.com")).password_hash.startswith("$argon2id$")


async def test_invitation_expires(app: Any, admin: Browser, clock: FrozenClock) -> None:
    link = await invite(admin, "late@example.com", "viewer")
    clock.advance(days=people.INVITATION_DAYS, seconds=1)
    async with await open_browser(app) as http:
        assert (await http.get(link)).status_code == 404


async def test_invite_reports_every_problem_in_plain_words(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/people/invite", {"email": "not an address", "name": "x" * 201, "role": "boss"})
    assert response.status_code == 400
    text = response.text
    assert "This does not look like an e-mail address (it should be like name@example.com)." in text
    assert "Use at most 200 characters." in text
    assert "Choose admin, marketer or viewer." in text
    assert await snapshot(db) == before
    await invite(admin, "taken@example.com", "viewer")
    taken = await admin.post("/admin/people/invite", {"email": "TAKEN@example.com", "role": "viewer"})
    assert taken.status_code == 400 and "Someone already signs in with this e-mail address." in taken.text


@pytest.mark.parametrize(
    "path", ["/admin/people", "/admin/stores", "/admin/pos-clients", "/admin/keys", "/admin/audit"]
)
async def test_a_marketer_cannot_reach_admin_pages(app: Any, admin: Browser, path: str, db: Database) -> None:
    marketer = await person(app, admin, "m@example.com", "marketer")
    try:
        page = await marketer.get(path)
        assert page.status_code == 403
        assert "This page is for admins. You are signed in as a marketer." in page.text
        before = await snapshot(db)
        refused = await marketer.post("/admin/people/invite", {"email": "x@example.com", "role": "admin"})
        assert refused.status_code == 403
        assert await snapshot(db) == before
    finally:
        await marketer.http.aclose()


async def test_a_marketer_changes_offers(app: Any, admin: Browser, db: Database, tenant: Tenant) -> None:
    marketer = await person(app, admin, "m@example.com", "marketer")
    try:
        page = await marketer.get("/admin/offers/new")
        assert page.status_code == 200
        created = await marketer.post("/admin/offers/new", offer_form())
        assert created.status_code == 303, created.text
        assert created.headers["location"].endswith("?notice=created")
    finally:
        await marketer.http.aclose()


async def test_role_change_and_deactivation_end_sessions_at_once(
    app: Any, admin: Browser, db: Database, tenant: Tenant
) -> None:
    marketer = await person(app, admin, "m@example.com", "marketer")
    try:
        account_id = (await account_row(db, "m@example.com")).id
        changed = await admin.post(f"/admin/people/{account_id}/role", {"role": "viewer"})
        assert (changed.status_code, changed.headers["location"]) == (303, "/admin/people?notice=role_changed")
        ended = await marketer.get("/admin/offers")
        assert ended.status_code == 303 and "notice=expired" in ended.headers["location"]
        viewer = await signed_in(marketer.http, "m@example.com")
        page = await viewer.get("/admin/offers")
        assert "You are signed in as a viewer" in page.text
        off = await admin.post(f"/admin/people/{account_id}/deactivate")
        assert off.headers["location"] == "/admin/people?notice=person_deactivated"
        assert (await viewer.get("/admin/offers")).status_code == 303
        again = await sign_in_as(marketer.http, "m@example.com", PASSWORD)
        assert again.status_code == 400
        async with db.read() as conn:
            live = await conn.execute(
                select(admin_sessions.c.id).where(
                    admin_sessions.c.account_id == account_id, admin_sessions.c.ended_at.is_(None)
                )
            )
            assert live.all() == []
    finally:
        await marketer.http.aclose()


async def test_nobody_changes_or_deactivates_themself(app: Any, admin: Browser, db: Database) -> None:
    owner = await person(app, admin, "owner@example.com", "admin")
    try:
        me = (await account_row(db, "owner@example.com")).id
        before = await snapshot(db)
        role = await owner.post(f"/admin/people/{me}/role", {"role": "viewer"})
        assert role.status_code == 409 and "You cannot change your own role." in role.text
        off = await owner.post(f"/admin/people/{me}/deactivate")
        assert off.status_code == 409 and "You cannot deactivate yourself." in off.text
        assert await snapshot(db) == before
        other = await owner.post("/admin/people/00000000-0000-0000-0000-000000000000/role", {"role": "viewer"})
        assert other.status_code == 404
    finally:
        await owner.http.aclose()


async def test_guessing_from_one_address_never_locks_the_owner_out(
    app: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    await people.create_account(
        db, retailer_id=tenant.retailer_id, email="owner@example.com", role="admin", password=PASSWORD, now=clock()
    )
    async with await open_browser(app, "203.0.113.9") as guesser, await open_browser(app, "198.51.100.4") as owner:
        statuses = [(await sign_in_as(guesser, "owner@example.com", f"guess-{n}-wrong")).status_code for n in range(7)]
        assert statuses == [400] * 5 + [429, 429]
        # Even the right password waits at the guesser's address...
        assert (await sign_in_as(guesser, "owner@example.com", PASSWORD)).status_code == 429
        # ...while the owner, elsewhere, signs in at once.
        await signed_in(owner, "owner@example.com")


def test_cli_creates_the_first_owner_and_the_demo_prints_its_account(database_url: str) -> None:
    runner = CliRunner()
    demo = runner.invoke(cli_app, ["demo", "--database-url", database_url, "--json"])
    assert demo.exit_code == 0, demo.output
    shown = json.loads(demo.output)
    assert (shown["account_email"], shown["account_password"]) == ("owner@demo.example", "demo-owner-password")
    created = runner.invoke(
        cli_app,
        [
            "account",
            "create",
            "--retailer",
            "2d5b5a08-becd-4837-a69a-2ab967c7773a",
            "--email",
            "Boss@Example.com",
            "--role",
            "admin",
            "--database-url",
            database_url,
            "--json",
        ],
    )
    assert created.exit_code == 0, created.output
    owner = json.loads(created.output)
    assert (owner["email"], owner["role"]) == ("boss@example.com", "admin")
    assert len(owner["password"]) >= 10
    twice = runner.invoke(
        cli_app,
        [
            "account",
            "create",
            "--retailer",
            "2d5b5a08-becd-4837-a69a-2ab967c7773a",
            "--email",
            "boss@example.com",
            "--database-url",
            database_url,
        ],
    )
    assert twice.exit_code == 1 and "Someone already signs in with this e-mail address." in twice.output
    bad_role = runner.invoke(
        cli_app,
        [
            *("account", "create", "--retailer", str(UUID(int=1)), "--email", "a@b.co", "--role", "owner"),
            *("--password", PASSWORD, "--database-url", database_url),
        ],
    )
    assert bad_role.exit_code == 1 and "Choose admin, marketer or viewer." in bad_role.output


async def test_an_invitation_link_used_at_once_from_many_tabs_sets_one_password(
    db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    _, token = await people.invite(
        db, retailer_id=tenant.retailer_id, email="tabs@example.com", role="viewer", now=clock()
    )

    async def use(n: int) -> str:
        try:
            await people.accept_invitation(db, token, f"password number {n}", clock())
        except NotFound:
            return "refused"
        return "set"

    outcomes = await asyncio.gather(*(use(n) for n in range(6)))
    assert sorted(outcomes) == ["refused"] * 5 + ["set"]
    async with db.read() as conn:
        rows = await conn.execute(
            select(audit_log.c.action).where(audit_log.c.object_type == "account", audit_log.c.action == "password_set")
        )
        assert rows.scalars().all() == ["password_set"]
    assert (await account_row(db, "tabs@example.com")).invite_hash is None


async def test_a_new_invitation_link_replaces_an_expired_one(
    app: Any, admin: Browser, db: Database, clock: FrozenClock
) -> None:
    old = await invite(admin, "late@example.com", "viewer")
    # Expired (moving the clock a week on would also end the admin's session).
    async with db.write() as conn:
        await conn.execute(
            accounts.update()
            .where(accounts.c.email == "late@example.com")
            .values(invite_expires_at=clock() - timedelta(seconds=1))
        )
    row = await account_row(db, "late@example.com")
    listed = await admin.get("/admin/people")
    assert f'action="/admin/people/{row.id}/reinvite"' in listed.text
    assert 'New invitation link<span class="visually-hidden"> for late@example.com</span>' in listed.text
    response = await admin.post(f"/admin/people/{row.id}/reinvite", {})
    assert response.status_code == 200
    match = _LINK.search(response.text)
    assert match and match.group(1) != old
    new = match.group(1)
    async with await open_browser(app) as http:
        assert (await http.get(old)).status_code == 404
        done = await accept(http, new)
        assert (done.status_code, done.headers["location"]) == (303, "/admin/login?notice=password_set")
    async with db.read() as conn:
        audited = (
            await conn.execute(
                select(audit_log.c.action, audit_log.c.before, audit_log.c.after)
                .where(audit_log.c.object_id == str(row.id))
                .order_by(audit_log.c.id)
            )
        ).all()
    assert [a.action for a in audited] == ["invited", "reinvited", "password_set"]
    reinvited = audited[1]
    assert reinvited.before["status"] == reinvited.after["status"] == "invited"
    assert reinvited.before["invite_expires_at"] == row.invite_expires_at.isoformat()
    assert reinvited.after["invite_expires_at"] == (clock() + timedelta(days=people.INVITATION_DAYS)).isoformat()
    # Once the password is set there is nothing to re-invite: no button, and the action is refused.
    listed = await admin.get("/admin/people")
    assert f'action="/admin/people/{row.id}/reinvite"' not in listed.text
    before = await snapshot(db)
    refused = await admin.post(f"/admin/people/{row.id}/reinvite", {})
    assert refused.status_code == 409 and "already set a password" in refused.text
    assert await snapshot(db) == before


async def test_a_new_invitation_link_makes_the_unexpired_old_one_stop_working(
    app: Any, admin: Browser, db: Database
) -> None:
    old = await invite(admin, "lost@example.com", "marketer")
    row = await account_row(db, "lost@example.com")
    response = await admin.post(f"/admin/people/{row.id}/reinvite", {})
    new = _LINK.search(response.text)
    assert new
    async with await open_browser(app) as http:
        assert (await http.get(old)).status_code == 404
        assert (await http.get(new.group(1))).status_code == 200
