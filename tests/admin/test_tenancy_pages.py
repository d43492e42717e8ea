"""Stores, POS clients and API keys pages, on both engines."""

from __future__ import annotations

import base64
import re
from uuid import UUID

import pytest

from openoffers.kit.db import Database
from openoffers.kit.errors import InvalidApiKey
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot

SECRET = re.compile(r'<code id="secret-value" class="secret">([^<]+)</code>')
PUBLIC = re.compile(r'<code id="public-value">([^<]+)</code>')


def header(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


# --- Stores -------------------------------------------------------------------------------------


async def test_create_a_store(admin: Browser, db: Database, tenant: Tenant) -> None:
    page = await admin.get("/admin/stores/new")
    assert 'value="America/New_York"' in page.text  # the retailer's zone by default
    response = await admin.post(
        "/admin/stores/new", {"name": "Uptown", "timezone": "America/Chicago", "tags": "North, drive-thru", "id": ""}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/admin/stores?notice=store_created")
    stores = {s.name: s for s in await tenancy.list_stores(db, tenant.retailer_id)}
    assert stores["Uptown"].timezone == "America/Chicago"
    assert stores["Uptown"].tags == ("drive-thru", "north")
    listing = await admin.get(response.headers["location"])
    assert "Store created." in listing.text and "Uptown" in listing.text and str(stores["Uptown"].id) in listing.text


async def test_create_a_store_keeping_its_id(admin: Browser, db: Database, tenant: Tenant) -> None:
    store_id = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
    response = await admin.post(
        "/admin/stores/new", {"name": "Moved", "timezone": "", "tags": "", "id": store_id.upper()}
    )
    assert response.status_code == 303
    store = next(s for s in await tenancy.list_stores(db, tenant.retailer_id) if s.name == "Moved")
    assert store.id == UUID(store_id) and store.timezone == "America/New_York"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "", "timezone": "UTC"}, "name", "must be 1 to 200 characters"),
        ({"name": "X", "timezone": "Mars/Olympus"}, "timezone", "Unknown time zone &#39;Mars/Olympus&#39;"),
        ({"name": "X", "timezone": "UTC", "id": "nope"}, "id", "must be a UUID"),
    ],
)
async def test_store_form_errors_are_shown_next_to_fields(
    admin: Browser, db: Database, values: dict[str, str], field: str, message: str
) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/stores/new", {"tags": "", "id": "", **values})
    assert response.status_code == 400
    assert f'id="f-{field}-error"' in response.text and message in response.text
    assert await snapshot(db) == before


async def test_a_store_id_in_use_is_a_conflict_on_the_id_field(admin: Browser, db: Database, tenant: Tenant) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/stores/new", {"name": "Dup", "timezone": "UTC", "id": str(tenant.store_id)})
    assert response.status_code == 400
    assert 'id="f-id-error"' in response.text and "already exists" in response.text
    assert await snapshot(db) == before


# --- POS clients --------------------------------------------------------------------------------


async def test_create_a_pos_client_shows_its_secret_once(admin: Browser, db: Database, tenant: Tenant) -> None:
    form = await admin.get("/admin/pos-clients/new")
    assert f'value="{tenant.store_id}"' in form.text and "Main St" in form.text
    response = await admin.post("/admin/pos-clients/new", {"name": "Tills", "store_ids": str(tenant.store_id)})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "Copy the secret now." in response.text
    client_id, secret = PUBLIC.search(response.text).group(1), SECRET.search(response.text).group(1)  # type: ignore[union-attr]
    assert f"Basic {base64.b64encode(f'{client_id}:{secret}'.encode()).decode()}" in response.text
    principal = await tenancy.authenticate(db, header(client_id, secret))
    assert principal.kind == "pos_client" and principal.store_ids == frozenset({tenant.store_id})
    # Never shown again.
    listing = await admin.get("/admin/pos-clients")
    assert client_id in listing.text and "Tills" in listing.text and secret not in listing.text
    assert "Main St" in listing.text


async def test_a_pos_client_for_every_store_keeping_its_id_and_secret(admin: Browser, db: Database) -> None:
    client_id = "d4d950af-1a37-4a10-ba8b-c2fb8ee24399"
    response = await admin.post("/admin/pos-clients/new", {"name": "", "id": client_id, "secret": "qPCFe7NqE5M9E2"})
    assert response.status_code == 200
    principal = await tenancy.authenticate(db, header(client_id, "qPCFe7NqE5M9E2"))
    assert principal.store_ids == frozenset()
    listing = await admin.get("/admin/pos-clients")
    assert "All stores" in listing.text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"secret": "short"}, "secret", "must be 8 to 256 characters"),
        ({"id": "zzz"}, "id", "must be a UUID"),
        ({"store_ids": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"}, "store_ids", "not found"),
        ({"store_ids": "bogus"}, "store_ids", "unknown store"),
    ],
)
async def test_pos_client_form_errors(
    admin: Browser, db: Database, values: dict[str, str], field: str, message: str
) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/pos-clients/new", {"name": "X", **values})
    assert response.status_code == 400
    assert f'id="f-{field.replace("_", "-")}-error"' in response.text and message in response.text
    assert await snapshot(db) == before


async def test_revoke_a_pos_client(admin: Browser, db: Database, tenant: Tenant) -> None:
    confirm = await admin.get(f"/admin/pos-clients/{tenant.client_id}/revoke")
    assert "Revoke POS client" in confirm.text and "cannot be undone" in confirm.text
    await tenancy.authenticate(db, header(str(tenant.client_id), tenant.client_secret))  # still works after a GET
    response = await admin.post(f"/admin/pos-clients/{tenant.client_id}/revoke")
    assert response.headers["location"] == "/admin/pos-clients?notice=client_revoked"
    with pytest.raises(InvalidApiKey):
        await tenancy.authenticate(db, header(str(tenant.client_id), tenant.client_secret))
    listing = await admin.get(response.headers["location"])
    assert "Revoked" in listing.text and f"/admin/pos-clients/{tenant.client_id}/revoke" not in listing.text
    again = await admin.post(f"/admin/pos-clients/{tenant.client_id}/revoke")
    assert again.status_code == 303  # safe to repeat


async def test_another_retailers_pos_client_is_not_found(admin: Browser, db: Database, other_tenant: Tenant) -> None:
    before = await snapshot(db)
    assert (await admin.get(f"/admin/pos-clients/{other_tenant.client_id}/revoke")).status_code == 404
    assert (await admin.post(f"/admin/pos-clients/{other_tenant.client_id}/revoke")).status_code == 404
    assert await snapshot(db) == before
    assert str(other_tenant.client_id) not in (await admin.get("/admin/pos-clients")).text


# --- API keys -----------------------------------------------------------------------------------


async def test_create_an_api_key_shows_its_secret_once(admin: Browser, db: Database, tenant: Tenant) -> None:
    form = await admin.get("/admin/keys/new")
    assert 'name="role" value="offers" checked' in form.text
    assert 'autocomplete="off">' in form.text and "&#34;" not in form.text
    response = await admin.post("/admin/keys/new", {"name": "CRM sync", "role": "offers", "key": "", "secret": ""})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    key, secret = PUBLIC.search(response.text).group(1), SECRET.search(response.text).group(1)  # type: ignore[union-attr]
    principal = await tenancy.authenticate(db, header(key, secret))
    assert principal.role == "offers" and principal.retailer_id == tenant.retailer_id
    listing = await admin.get("/admin/keys")
    assert key in listing.text and "CRM sync" in listing.text and secret not in listing.text


async def test_api_key_form_errors(admin: Browser, db: Database, tenant: Tenant) -> None:
    before = await snapshot(db)
    taken = await admin.post("/admin/keys/new", {"name": "", "role": "admin", "key": tenant.key, "secret": ""})
    assert taken.status_code == 400 and 'id="f-key-error"' in taken.text and "already exists" in taken.text
    role = await admin.post("/admin/keys/new", {"name": "", "role": "root"})
    assert (
        role.status_code == 400
        and 'id="f-role-error"' in role.text
        and "must be one of admin, offers, pos" in role.text
    )
    assert await snapshot(db) == before


async def test_revoke_an_api_key_but_not_your_own(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    listing = await admin.get("/admin/keys")
    assert re.search(r"<code>" + re.escape(tenant.key) + r"</code> <span class=\"tag\">you</span>", listing.text)
    own = next(k for k in await tenancy.list_api_keys(db, tenant.retailer_id) if k.key == tenant.key)
    assert f"/admin/keys/{own.id}/revoke" not in listing.text
    refused = await admin.post(f"/admin/keys/{own.id}/revoke")
    assert refused.status_code == 409 and "You are signed in with this key" in refused.text
    assert (await admin.get(f"/admin/keys/{own.id}/revoke")).status_code == 409

    other, secret = await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, role="pos", now=clock())
    confirm = await admin.get(f"/admin/keys/{other.id}/revoke")
    assert f"Revoke API key {other.key}?" in confirm.text
    response = await admin.post(f"/admin/keys/{other.id}/revoke")
    assert response.headers["location"] == "/admin/keys?notice=key_revoked"
    with pytest.raises(InvalidApiKey):
        await tenancy.authenticate(db, header(other.key, secret))
    assert (await admin.get("/admin/offers")).status_code == 200  # our own session is untouched


async def test_tenancy_lists_show_only_this_retailer(admin: Browser, other_tenant: Tenant) -> None:
    for path, hidden in (
        ("/admin/stores", str(other_tenant.store_id)),
        ("/admin/pos-clients", str(other_tenant.client_id)),
        ("/admin/keys", other_tenant.key),
    ):
        page = await admin.get(path)
        assert page.status_code == 200 and hidden not in page.text
