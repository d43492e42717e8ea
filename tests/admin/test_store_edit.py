"""Stores are editable: name, time zone and tags change, the id stays; bad input is said next to its
field and changes nothing; another retailer's store is not found."""

from __future__ import annotations

from openoffers.kit.db import Database
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser
from tests.conftest import Tenant, snapshot


async def test_edit_a_store(admin: Browser, db: Database, tenant: Tenant, other_tenant: Tenant) -> None:
    listing = await admin.get("/admin/stores")
    assert f'href="/admin/stores/{tenant.store_id}/edit"' in listing.text
    form = await admin.get(f"/admin/stores/{tenant.store_id}/edit")
    assert form.status_code == 200 and 'value="Main St"' in form.text and 'value="downtown"' in form.text
    response = await admin.post(
        f"/admin/stores/{tenant.store_id}/edit",
        {"name": " Main Street ", "timezone": "Europe/Paris", "tags": "Downtown, drive-thru, downtown"},
    )
    assert (response.status_code, response.headers["location"]) == (303, "/admin/stores?notice=store_saved")
    [store] = await tenancy.list_stores(db, tenant.retailer_id)
    assert (store.id, store.name, store.timezone, store.tags) == (
        tenant.store_id,
        "Main Street",
        "Europe/Paris",
        ("downtown", "drive-thru"),
    )

    before = await snapshot(db)
    bad = await admin.post(f"/admin/stores/{tenant.store_id}/edit", {"name": "", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.text
    elsewhere = await admin.post(f"/admin/stores/{other_tenant.store_id}/edit", {"name": "Mine", "timezone": "UTC"})
    assert elsewhere.status_code == 404
    assert (await admin.get(f"/admin/stores/{other_tenant.store_id}/edit")).status_code == 404
    assert await snapshot(db) == before
