"""The audit log on both engines: each kind of change, made in the admin UI by a person or through the
management API by a key, leaves exactly one row with who, what, and the exact before and after; a
refused change leaves none (it is written in the change's own transaction); the audit page filters by
person, object and date; an offer's page shows its history with what changed."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.tables.accounts import accounts, audit_log
from openoffers.tables.offers import offers as offers_table
from openoffers.tenancy import accounts as people
from openoffers.tenancy.audit import changes
from tests.admin.conftest import Browser, sign_in
from tests.admin.test_accounts import PASSWORD, accept, open_browser, person, signed_in
from tests.admin.test_customer_pages import customer
from tests.admin.test_routes import offer_form
from tests.admin.test_rule_pages import earn_form
from tests.conftest import FrozenClock, Tenant, basic, offer_body, snapshot

Row = tuple[str, str, str, str, Any, Any]


class Log:
    """Reads the rows the audit log gained since the last look."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen = 0

    async def new(self) -> list[Row]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        audit_log.c.id,
                        audit_log.c.actor,
                        audit_log.c.object_type,
                        audit_log.c.object_id,
                        audit_log.c.action,
                        audit_log.c.before,
                        audit_log.c.after,
                    )
                    .where(audit_log.c.id > self.seen)
                    .order_by(audit_log.c.id)
                )
            ).all()
        if rows:
            self.seen = rows[-1][0]
        return [tuple(r[1:]) for r in rows]

    async def one(self) -> Row:
        found = await self.new()
        assert len(found) == 1, found
        return found[0]


async def account_id(db: Database, email: str) -> str:
    async with db.read() as conn:
        return str((await conn.execute(select(accounts.c.id).where(accounts.c.email == email))).scalar_one())


async def test_every_kind_of_change_leaves_one_exact_row(
    app: Any, client: httpx.AsyncClient, admin: Browser, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await people.create_account(
        db, retailer_id=tenant.retailer_id, email="owner@example.com", role="admin", password=PASSWORD, now=clock()
    )
    log = Log(db)
    await log.new()  # what the fixtures made
    owner_http = await open_browser(app)
    owner = await signed_in(owner_http, "owner@example.com")
    me = f"account:{await account_id(db, 'owner@example.com')}"
    try:
        # Offers, in the admin UI.
        created = await owner.post("/admin/offers/new", offer_form())
        offer_id = created.headers["location"].split("/")[3].split("?")[0]
        actor, kind, object_id, action, before, after = await log.one()
        async with db.read() as conn:
            stored = (await conn.execute(select(offers_table).where(offers_table.c.id == UUID(offer_id)))).one()
        assert (actor, kind, object_id, action, before) == (me, "offer", offer_id, "created", None)
        assert after["revision"] == 1 and after["status"] == "draft" and after["title"] == "20% off coffee"
        assert after["definition"] == stored.definition and after["offer_type"] == "percent_item_discount"
        assert set(after) == {"revision", "status", "title", "offer_type", "definition"}

        await owner.post(f"/admin/offers/{offer_id}/edit", offer_form(**{"text.0.title": "25% off coffee"}))
        actor, kind, object_id, action, before, after = await log.one()
        assert (actor, kind, object_id, action) == (me, "offer", offer_id, "updated")
        assert changes(before, after) == [
            ("definition.text_config.0.title", "20% off coffee", "25% off coffee"),
            ("title", "20% off coffee", "25% off coffee"),
        ]

        for verb, was, now in (
            ("publish", "draft", "published"),
            ("deactivate", "published", "deactivated"),
            ("reactivate", "deactivated", "published"),
        ):
            await owner.post(f"/admin/offers/{offer_id}/{verb}")
            assert await log.one() == (
                me,
                "offer",
                offer_id,
                f"{verb}d" if verb.endswith("e") else f"{verb}ed",
                {"revision": 1, "status": was},
                {"revision": 1, "status": now},
            )

        # Loyalty rules.
        await owner.post("/admin/rules/new", earn_form())
        actor, kind, rule_id, action, before, after = await log.one()
        assert (actor, kind, action, before) == (me, "rule", "created", None)
        assert (after["name"], after["active"], after["revision"]) == ("1 point per dollar", True, 1)
        await owner.post(f"/admin/rules/{rule_id}/deactivate")
        actor, kind, object_id, action, before, after = await log.one()
        assert (object_id, action, before["active"], after["active"]) == (rule_id, "deactivated", True, False)
        assert changes(before, after) == [("active", True, False)]

        # Stores, POS clients and keys.
        await owner.post("/admin/stores/new", {"name": "Uptown", "timezone": "America/Chicago", "tags": "North"})
        actor, kind, store_id, action, before, after = await log.one()
        assert (actor, kind, action, before) == (me, "store", "created", None)
        assert after == {"name": "Uptown", "timezone": "America/Chicago", "tags": ["north"]}
        await owner.post("/admin/pos-clients/new", {"name": "Tills", "store_ids": store_id})
        actor, kind, client_id, action, before, after = await log.one()
        assert (kind, action, before, after) == (
            "pos_client",
            "created",
            None,
            {"name": "Tills", "store_ids": [store_id], "revoked": False},
        )
        await owner.post(f"/admin/pos-clients/{client_id}/revoke")
        assert await log.one() == (
            me,
            "pos_client",
            client_id,
            "revoked",
            {"name": "Tills", "store_ids": [store_id], "revoked": False},
            {"name": "Tills", "store_ids": [store_id], "revoked": True},
        )
        made = await owner.post("/admin/keys/new", {"name": "CRM", "role": "offers", "key": "crm-sync", "secret": ""})
        assert made.status_code == 200
        actor, kind, key_id, action, before, after = await log.one()
        assert (kind, action, before, after) == (
            "api_key",
            "created",
            None,
            {"key": "crm-sync", "name": "CRM", "role": "offers", "revoked": False},
        )
        await owner.post(f"/admin/keys/{key_id}/revoke")
        assert await log.one() == (
            me,
            "api_key",
            key_id,
            "revoked",
            {"key": "crm-sync", "name": "CRM", "role": "offers", "revoked": False},
            {"key": "crm-sync", "name": "CRM", "role": "offers", "revoked": True},
        )

        # People.
        invited = await owner.post(
            "/admin/people/invite", {"email": "m@example.com", "name": "Mia", "role": "marketer"}
        )
        link = re.search(r"http://testserver(/admin/invitation/[A-Za-z0-9_-]+)", invited.text)
        assert link
        mia = await account_id(db, "m@example.com")
        view = {"email": "m@example.com", "name": "Mia", "role": "marketer"}
        assert await log.one() == (me, "account", mia, "invited", None, {**view, "status": "invited"})
        async with await open_browser(app) as invitee:
            await accept(invitee, link.group(1))
        assert await log.one() == (
            f"account:{mia}",
            "account",
            mia,
            "password_set",
            {**view, "status": "invited"},
            {**view, "status": "active"},
        )
        await owner.post(f"/admin/people/{mia}/role", {"role": "viewer"})
        assert await log.one() == (
            me,
            "account",
            mia,
            "role_changed",
            {**view, "status": "active"},
            {**view, "role": "viewer", "status": "active"},
        )
        await owner.post(f"/admin/people/{mia}/deactivate")
        assert await log.one() == (
            me,
            "account",
            mia,
            "deactivated",
            {**view, "role": "viewer", "status": "active"},
            {**view, "role": "viewer", "status": "deactivated"},
        )

        # A points adjustment in the admin UI, then the management API with a key.
        user_id = await customer(client, tenant)
        assert await log.one() == (
            f"api_key:{tenant.key}",
            "customer",
            user_id,
            "created",
            None,
            {
                "external_customer_id": "C-1",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "phone": None,
                "profile_fields": {},
            },
        )
        await owner.post(
            f"/admin/customers/{user_id}/points", {"amount": "50", "reason": "goodwill", "reference": "r1"}
        )
        actor, kind, object_id, action, before, after = await log.one()
        assert (actor, kind, object_id, action) == (me, "points", user_id, "adjust")
        assert before["available"] == 0 and after["available"] == 50
        key = f"api_key:{tenant.key}"
        spent = await client.post(
            "/api/2.0/user_points/spend",
            json={"retailer_id": str(tenant.retailer_id), "user_id": user_id, "amount": 20, "reason": "gift"},
            headers=tenant.auth,
        )
        assert spent.status_code == 200, spent.text
        actor, kind, object_id, action, before, after = await log.one()
        assert (actor, kind, object_id, action) == (key, "points", user_id, "spend")
        assert (before["available"], after["available"]) == (50, 30)
        api_offer = await client.post(
            "/api/2.0/offers/management/create", json=offer_body(tenant.retailer_id), headers=tenant.auth
        )
        actor, kind, object_id, action, before, after = await log.one()
        assert (actor, kind, object_id, action, before) == (
            key,
            "offer",
            api_offer.json()["payload"]["offer_id"],
            "created",
            None,
        )
        assert after["status"] == "published"

        # A refused change leaves no row: it is written in the change's transaction.
        before_all = await snapshot(db)
        refused = await client.post(
            "/api/2.0/offers/management/update",
            json={**offer_body(tenant.retailer_id), "offer_id": offer_id, "text_config": []},
            headers=tenant.auth,
        )
        assert refused.status_code == 400
        wrong_key = await client.post(
            "/api/2.0/offers/management/create",
            json=offer_body(tenant.retailer_id),
            headers=basic(tenant.key, "wrong-secret"),
        )
        assert wrong_key.status_code == 401
        assert await log.new() == [] and await snapshot(db) == before_all
    finally:
        await owner_http.aclose()


async def test_the_audit_page_filters_by_person_object_and_date(
    app: Any, admin: Browser, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    marketer = await person(app, admin, "m@example.com", "marketer")
    try:
        created = await marketer.post("/admin/offers/new", offer_form())
        offer_id = created.headers["location"].split("/")[3].split("?")[0]
        clock.advance(days=2)  # sessions last 12 hours: both sign in again
        marketer = await signed_in(marketer.http, "m@example.com")
        admin = await sign_in(admin.http, tenant.key, tenant.secret)
        await marketer.post(f"/admin/offers/{offer_id}/edit", offer_form(**{"text.0.title": "25% off coffee"}))
        await admin.post("/admin/stores/new", {"name": "Uptown", "timezone": "UTC", "tags": ""})
        mia = f"account:{await account_id(db, 'm@example.com')}"

        def count(page: httpx.Response) -> str:
            found = re.search(r'id="audit-count">(\d+) change', page.text)
            assert found, page.text
            return found.group(1)

        everything = await admin.get("/admin/audit")
        assert everything.status_code == 200
        # The tenant's retailer, key, store and POS client (made by the fixture: "system"), the invitation,
        # the password, the two offer changes, the store.
        assert count(everything) == "9"
        assert "system (command line)" in everything.text
        assert "m@example.com" in everything.text and f"API key {tenant.key}" in everything.text
        by_mia = await admin.get("/admin/audit", params={"actor": mia})
        assert count(by_mia) == "3"
        offers_only = await admin.get("/admin/audit", params={"object_type": "offer", "object_id": offer_id})
        assert count(offers_only) == "2"
        assert '<code>title</code>: "20% off coffee" → "25% off coffee"' in offers_only.text
        # Dates are the retailer's (New York): the clock started at 08:00 there on 15 June 2026.
        first_day = await admin.get("/admin/audit", params={"from": "2026-06-15", "to": "2026-06-15"})
        assert count(first_day) == "7"
        later = await admin.get("/admin/audit", params={"from": "2026-06-16"})
        assert count(later) == "2"
        nonsense = await admin.get("/admin/audit", params={"from": "yesterday", "object_type": "spaceship"})
        assert count(nonsense) == "9"
        # The offer's own page shows its history with what changed.
        page = await marketer.get(f"/admin/offers/{offer_id}")
        assert 'id="history-title">History' in page.text
        assert "Changed</strong> (revision 1) by m@example.com" in page.text
        assert "Created</strong> (revision 1) by m@example.com" in page.text
        assert "<code>definition.text_config.0.title</code>" in page.text
    finally:
        await marketer.http.aclose()


async def test_customers_and_user_offers_are_objects_to_filter_on(
    admin: Browser, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id = await customer(client, tenant)
    offer = await client.post(
        "/api/2.0/offers/management/create", json=offer_body(tenant.retailer_id), headers=tenant.auth
    )
    offer_id = offer.json()["payload"]["offer_id"]
    issued = await admin.post(f"/admin/customers/{user_id}/issue", {"offer_id": offer_id, "quantity": "2"})
    assert issued.status_code == 303, issued.text
    await admin.post(f"/admin/customers/{user_id}/edit", {"external_customer_id": "C-1", "first_name": "Ada"})

    def count(page: httpx.Response) -> str:
        found = re.search(r'id="audit-count">(\d+) change', page.text)
        assert found, page.text
        return found.group(1)

    everything = await admin.get("/admin/audit")
    assert '<option value="customer">Customer</option>' in everything.text
    assert '<option value="user_offer">User offer</option>' in everything.text
    customers = await admin.get("/admin/audit", params={"object_type": "customer"})
    # Created through the API, then edited in the admin UI (the name cleared, the e-mail removed).
    assert count(customers) == "2"
    assert f'<a href="/admin/customers/{user_id}"><code>{user_id[:8]}</code></a>' in customers.text
    assert "<code>last_name</code>" in customers.text and "<code>email</code>" in customers.text
    user_offers = await admin.get("/admin/audit", params={"object_type": "user_offer"})
    assert count(user_offers) == "2"  # one row per copy issued
    assert user_offers.text.count("<strong>issued</strong>") == 2
    one = await admin.get("/admin/audit", params={"object_type": "customer", "object_id": user_id})
    assert count(one) == "2"
