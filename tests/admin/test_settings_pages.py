"""The loyalty settings page (admins only): point expiry and the clawback choice, saved through the same
use case as the command line, audited as the person who saved it; bad input is said next to its field
and changes nothing. A customer's page shows expired points in the ledger and what expires next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.loyalty import service as loyalty
from openoffers.loyalty.schemas import DepositRequest
from openoffers.tables.accounts import audit_log
from tests.admin.conftest import Browser, sign_in
from tests.admin.test_accounts import person
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.wallet.wallet_support import create_user


async def test_an_admin_sets_point_expiry_and_the_clawback(
    app: Any, admin: Browser, db: Database, tenant: Tenant
) -> None:
    page = await admin.get("/admin/settings")
    assert page.status_code == 200
    assert 'name="points_expiry_months" value="0"' in page.text
    assert '<option value="negative" selected>' in page.text
    assert 'href="/admin/settings"' in page.text  # in the navigation
    saved = await admin.post("/admin/settings", {"points_expiry_months": "18", "points_clawback": "floor"})
    assert (saved.status_code, saved.headers["location"]) == (303, "/admin/settings?notice=settings_saved")
    current = await loyalty.loyalty_settings(db, tenant.retailer_id)
    assert (current.points_expiry_months, current.points_clawback) == (18, "floor")
    shown = await admin.get("/admin/settings?notice=settings_saved")
    assert "Loyalty settings saved." in shown.text and 'value="18"' in shown.text
    async with db.read() as conn:
        row = (await conn.execute(select(audit_log).where(audit_log.c.object_type == "loyalty_settings"))).one()
    assert (row.action, row.before, row.after) == (
        "updated",
        {"points_clawback": "negative", "points_expiry_months": 0},
        {"points_clawback": "floor", "points_expiry_months": 18},
    )
    assert row.actor.startswith("api_key:")

    before = await snapshot(db)
    for wrong, problem in (("twelve", "Enter a whole number of months from 0 to 120"), ("121", "from 1 to 120")):
        bad = await admin.post("/admin/settings", {"points_expiry_months": wrong, "points_clawback": "negative"})
        assert bad.status_code == 400 and problem in bad.text and 'aria-invalid="true"' in bad.text
    assert await snapshot(db) == before

    marketer = await person(app, admin, "m@example.com", "marketer")
    before = await snapshot(db, "loyalty_settings", "audit_log")
    assert (await marketer.get("/admin/settings")).status_code == 403
    refused = await marketer.post("/admin/settings", {"points_expiry_months": "0", "points_clawback": "negative"})
    assert refused.status_code == 403
    assert 'href="/admin/settings"' not in (await marketer.get("/admin/offers")).text
    assert await snapshot(db, "loyalty_settings", "audit_log") == before


async def test_the_customer_page_shows_expired_points_and_what_expires_next(
    client: Any, admin: Browser, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id = UUID(await create_user(client, tenant))
    await loyalty.set_loyalty_settings(db, tenant.retailer_id, clock(), expiry_months=1)
    for amount in (40, 25):
        deposit = DepositRequest(retailer_id=tenant.retailer_id, user_id=user_id, amount=amount)
        await loyalty.deposit(db, deposit, clock(), "test")
        clock.advance(days=20)
    # 15 June's 40 points expired at midnight ending 15 July (New York); 5 July's 25 are usable to 5 August.
    assert clock() == datetime(2026, 7, 25, 12, 0, tzinfo=UTC)
    assert await loyalty.expire_points(db, clock()) == 1
    signed_in = await sign_in(admin.http, tenant.key, tenant.secret)  # the first session has ended by now
    page = await signed_in.get(f"/admin/customers/{user_id}")
    assert page.status_code == 200
    assert "Points that expire unless used first: <strong>25</strong> after 5 Aug 2026." in page.text
    assert "Expired: points expired" in page.text and "by system" in page.text
