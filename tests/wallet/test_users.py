"""api/2.0/users/create, update, get and the `openoffers user create` command."""

from __future__ import annotations

import json
import uuid

import httpx
from typer.testing import CliRunner

from openoffers.cli import app as cli_app
from openoffers.kit.db import Database
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.wallet.wallet_support import create_user, post

GUIDE_USER = "7802673C-0C37-11E8-8CA7-2605C0686DD6"


async def test_create_returns_the_user_with_lower_case_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user = await post(
        client,
        tenant,
        "/api/2.0/users/create",
        {
            "user_id": GUIDE_USER,
            "external_customer_id": "14311211",
            "first_name": " J ",
            "last_name": "H",
            "email": "JH@SessionM.com",
            "phone": "+1 (440) 273-702",
            "profile_fields": {"tier": "gold", "visits": 3},
        },
    )
    assert user == {
        "user_id": GUIDE_USER.lower(),
        "retailer_id": str(tenant.retailer_id),
        "external_customer_id": "14311211",
        "first_name": "J",
        "last_name": "H",
        "email": "JH@SessionM.com",
        "phone": "+1 (440) 273-702",
        "profile_fields": {"tier": "gold", "visits": 3},
        "created_at": "2026-06-15T12:00:00Z",
        "updated_at": "2026-06-15T12:00:00Z",
    }


async def test_get_by_each_key_with_normalised_email_and_phone(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await create_user(
        client, tenant, external_customer_id="C-1", email="Ann@Example.com", phone="+1 (440) 273-702"
    )
    for key in (
        {"user_id": user_id.upper()},
        {"external_customer_id": "C-1"},
        {"email": "  ann@EXAMPLE.com "},
        {"phone": "1-440-273-702"},
        {"phone": "1440273702"},
    ):
        found = await post(client, tenant, "/api/2.0/users/get", key)
        assert found["user_id"] == user_id, key


async def test_get_errors(client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant) -> None:
    other = await create_user(client, other_tenant, external_customer_id="C-9", email="x@example.com")
    # Another retailer's user is simply not found, by any key.
    for key in ({"user_id": other}, {"external_customer_id": "C-9"}, {"email": "x@example.com"}):
        error = await post(client, tenant, "/api/2.0/users/get", key, status=404)
        assert error["errors"]["code"] == "USER_NOT_FOUND"
    error = await post(client, tenant, "/api/2.0/users/get", {}, status=400)
    assert error["errors"]["code"] == "VALIDATION"
    # Email is not unique: two matches are ambiguous.
    await create_user(client, tenant, email="same@example.com")
    await create_user(client, tenant, email="SAME@example.com")
    error = await post(client, tenant, "/api/2.0/users/get", {"email": "same@example.com"}, status=409)
    assert error["errors"]["code"] == "CONFLICT"


async def test_external_customer_id_is_unique_per_retailer(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    await create_user(client, tenant, external_customer_id="E1")
    await create_user(client, other_tenant, external_customer_id="E1")  # another retailer may reuse it
    before = await snapshot(db, "users")
    error = await post(client, tenant, "/api/2.0/users/create", {"external_customer_id": "E1"}, status=409)
    assert error["errors"]["code"] == "CONFLICT"
    assert error["errors"]["fields"] == {"external_customer_id": ["already exists"]}
    assert await snapshot(db, "users") == before


async def test_explicit_user_id_taken_is_conflict(client: httpx.AsyncClient, tenant: Tenant, db: Database) -> None:
    user_id = await create_user(client, tenant)
    error = await post(client, tenant, "/api/2.0/users/create", {"user_id": user_id}, status=409)
    assert error["errors"]["fields"] == {"user_id": ["already exists"]}


async def test_malformed_input_is_400_naming_the_field_and_saves_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    before = await snapshot(db, "users")
    for body, field in (
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"email": "no-at-sign"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"profile_fields": [1, 2]}, "profile_fields"),
        ({"first_name": "x" * 201}, "first_name"),
        ({"external_customer_id": ""}, "external_customer_id"),
    ):
        error = await post(client, tenant, "/api/2.0/users/create", body, status=400)
        assert error["errors"]["code"] == "VALIDATION"
        assert field in error["errors"]["fields"], error
    assert await snapshot(db, "users") == before


async def test_update_changes_only_what_is_sent(client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock) -> None:
    user_id = await create_user(
        client, tenant, external_customer_id="U1", first_name="Ann", email="a@example.com", profile_fields={"a": 1}
    )
    clock.advance(hours=1)
    updated = await post(
        client,
        tenant,
        "/api/2.0/users/update",
        {"user_id": user_id, "last_name": "Lee", "email": None, "phone": "555 0100", "profile_fields": {"b": 2}},
    )
    assert updated["first_name"] == "Ann"
    assert updated["last_name"] == "Lee"
    assert updated["email"] is None
    assert updated["external_customer_id"] == "U1"
    assert updated["profile_fields"] == {"b": 2}
    assert updated["updated_at"] == "2026-06-15T13:00:00Z"
    assert updated["created_at"] == "2026-06-15T12:00:00Z"
    assert (await post(client, tenant, "/api/2.0/users/get", {"phone": "5550100"}))["user_id"] == user_id
    await post(client, tenant, "/api/2.0/users/get", {"email": "a@example.com"}, status=404)


async def test_update_errors(client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database) -> None:
    mine = await create_user(client, tenant, external_customer_id="A")
    await create_user(client, tenant, external_customer_id="B")
    theirs = await create_user(client, other_tenant)
    before = await snapshot(db, "users")
    error = await post(client, tenant, "/api/2.0/users/update", {"user_id": theirs, "first_name": "x"}, status=404)
    assert error["errors"]["code"] == "USER_NOT_FOUND"
    error = await post(
        client, tenant, "/api/2.0/users/update", {"user_id": mine, "external_customer_id": "B"}, status=409
    )
    assert error["errors"]["code"] == "CONFLICT"
    assert await snapshot(db, "users") == before


async def test_pos_role_key_may_read_but_not_write(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    from openoffers.tenancy import service as tenancy
    from tests.conftest import basic

    key, secret = await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, role="pos", now=clock())
    user_id = await create_user(client, tenant, external_customer_id="R1")
    body = {"retailer_id": str(tenant.retailer_id), "external_customer_id": "R1"}
    ok = await client.post("/api/2.0/users/get", json=body, headers=basic(key.key, secret))
    assert ok.status_code == 200 and ok.json()["payload"]["user_id"] == user_id
    denied = await client.post(
        "/api/2.0/users/create", json=body | {"external_customer_id": "R2"}, headers=basic(key.key, secret)
    )
    assert denied.status_code == 403


def test_cli_user_create(database_url: str) -> None:
    import asyncio
    from datetime import UTC, datetime

    from openoffers.tenancy import service as tenancy

    async def make_retailer() -> uuid.UUID:
        db = Database(database_url, pool_size=1)
        try:
            retailer = await tenancy.create_retailer(db, name="CLI", now=datetime(2026, 1, 1, tzinfo=UTC))
        finally:
            await db.dispose()
        return retailer.id

    retailer_id = asyncio.run(make_retailer())
    runner = CliRunner()
    user_id = str(uuid.uuid4()).upper()
    args = ["user", "create", "--database-url", database_url, "--retailer", str(retailer_id)]
    result = runner.invoke(
        cli_app,
        [
            *args,
            "--external-customer-id",
            "14311211",
            "--id",
            user_id,
            "--first-name",
            "J",
            "--email",
            "j@h.com",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["user_id"] == user_id.lower()
    assert created["external_customer_id"] == "14311211"
    assert created["first_name"] == "J"
    duplicate = runner.invoke(cli_app, [*args, "--external-customer-id", "14311211", "--json"])
    assert duplicate.exit_code == 1
    assert "CONFLICT" in duplicate.output
    bad = runner.invoke(cli_app, [*args, "--external-customer-id", "X", "--phone", "no digits"])
    assert bad.exit_code == 1
    assert "VALIDATION" in bad.output
