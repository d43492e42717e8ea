"""The admin UI's webhook pages: create (the secret shown once), list, detail with recent deliveries
(status and response code), resend, rotate, pause/resume, delete, and a disabled endpoint told."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select, update

from openoffers.kit.db import Database
from openoffers.tables.events import webhook_deliveries, webhook_endpoints
from openoffers.webhooks import delivery
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import create_user

URL = "https://hooks.example.com/in"


async def _create(admin: Browser, **fields: Any) -> httpx.Response:
    return await admin.post("/admin/webhooks/new", {"url": URL, "description": "warehouse", **fields})


async def _endpoint_id(db: Database) -> str:
    async with db.read() as conn:
        return str(await conn.scalar(select(webhook_endpoints.c.id)))


async def test_create_shows_the_secret_once_and_lists_it(admin: Browser, db: Database) -> None:
    page = await _create(admin, event_types=["user.created", "points.earned"])
    assert page.status_code == 200
    async with db.read() as conn:
        row = (await conn.execute(select(webhook_endpoints))).one()
    assert row.secret in page.text and "Copy the signing secret now" in page.text
    assert (row.url, row.description, row.event_types) == (URL, "warehouse", ["points.earned", "user.created"])
    listing = await admin.get("/admin/webhooks")
    assert URL in listing.text and "points.earned, user.created" in listing.text and "Active" in listing.text
    assert row.secret not in listing.text
    detail = await admin.get(f"/admin/webhooks/{row.id}")
    assert row.secret not in detail.text and "No deliveries yet." in detail.text


async def test_a_bad_url_is_shown_next_to_its_field_and_saves_nothing(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    page = await _create(admin, url="http://10.0.0.5/in", event_types=["user.created"])
    assert page.status_code == 400
    assert "must not point at a loopback or private address" in page.text
    assert 'value="user.created" checked' in page.text  # what was ticked stays ticked
    page = await _create(admin, url="")
    assert page.status_code == 400 and "is required" in page.text
    page = await _create(admin, url="https://example.com/" + "x" * 2000)
    assert page.status_code == 400 and "must be at most 2000 characters" in page.text
    assert await snapshot(db) == before


async def test_deliveries_show_status_and_code_and_one_can_be_resent(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await _create(admin)
    hook = await _endpoint_id(db)
    await create_user(client, tenant, first_name="Ada", last_name="L")
    await delivery.dispatch(db, clock())
    detail = await admin.get(f"/admin/webhooks/{hook}")
    assert "user.created" in detail.text and "Pending" in detail.text
    assert "/resend" not in detail.text  # a pending delivery is tried anyway
    async with db.write() as conn:
        await conn.execute(
            update(webhook_deliveries).values(status="failed", attempts=8, last_status_code=502, last_error="HTTP 502")
        )
    detail = await admin.get(f"/admin/webhooks/{hook}")
    assert "Failed" in detail.text and "502" in detail.text
    [action] = re.findall(r'action="(/admin/webhooks/[^"]+/resend)"', detail.text)
    response = await admin.post(action)
    assert response.status_code == 303 and response.headers["location"] == f"/admin/webhooks/{hook}?notice=resent"
    async with db.read() as conn:
        row = (await conn.execute(select(webhook_deliveries))).one()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, clock())


async def test_rotate_pause_resume_and_delete(admin: Browser, db: Database) -> None:
    await _create(admin)
    hook = await _endpoint_id(db)
    async with db.read() as conn:
        old = await conn.scalar(select(webhook_endpoints.c.secret))
    rotated = await admin.post(f"/admin/webhooks/{hook}/rotate")
    async with db.read() as conn:
        new = await conn.scalar(select(webhook_endpoints.c.secret))
    assert new is not None
    assert new != old and new in rotated.text and "Secret rotated" in rotated.text
    paused = await admin.post(f"/admin/webhooks/{hook}/pause")
    assert paused.headers["location"] == f"/admin/webhooks/{hook}?notice=paused"
    page = await admin.get(paused.headers["location"])
    assert "Paused" in page.text and "Events are kept" in page.text and f"/admin/webhooks/{hook}/resume" in page.text
    await admin.post(f"/admin/webhooks/{hook}/resume")
    confirm = await admin.get(f"/admin/webhooks/{hook}/delete")
    assert "Delete the webhook to" in confirm.text
    deleted = await admin.post(f"/admin/webhooks/{hook}/delete")
    assert deleted.headers["location"] == "/admin/webhooks?notice=deleted"
    assert "No webhooks yet." in (await admin.get("/admin/webhooks")).text


async def test_a_disabled_endpoint_is_shown_with_its_reason(admin: Browser, db: Database) -> None:
    await _create(admin)
    hook = await _endpoint_id(db)
    async with db.write() as conn:
        await conn.execute(
            update(webhook_endpoints).values(status="disabled", disabled_reason="deliveries failed for 24 hours")
        )
    listing = await admin.get("/admin/webhooks")
    assert f"The webhook to {URL} was disabled" in listing.text and "deliveries failed for 24 hours" in listing.text
    detail = await admin.get(f"/admin/webhooks/{hook}")
    assert "Disabled after sustained failure" in detail.text and "/resume" in detail.text


async def test_another_retailers_webhook_is_not_found(
    admin: Browser, db: Database, other_tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await client.post(
        "/api/2.0/webhooks/create",
        json={"retailer_id": str(other_tenant.retailer_id), "url": URL},
        headers=other_tenant.auth,
    )
    theirs = await _endpoint_id(db)
    before = await snapshot(db)
    assert (await admin.get(f"/admin/webhooks/{theirs}")).status_code == 404
    assert (await admin.post(f"/admin/webhooks/{theirs}/pause")).status_code == 404
    assert (await admin.post(f"/admin/webhooks/{theirs}/delete")).status_code == 404
    assert await snapshot(db) == before
