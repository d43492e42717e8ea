"""The webhooks API: create, list, update, rotate, pause/resume, delete, deliveries and resend, with
their refusals (which change nothing)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from openoffers.kit.db import Database
from openoffers.tables.events import webhook_deliveries
from openoffers.webhooks import delivery
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import api, create_user

URL = "https://hooks.example.com/openoffers"


async def create(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = await api(client, tenant, "/api/2.0/webhooks/create", {"url": URL, **fields})
    return payload


async def test_an_endpoint_from_creation_to_deletion(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    created = await create(client, tenant, event_types=["points.earned", "user.created", "points.earned"])
    hook = created["webhook_id"]
    assert created["secret"].startswith("whsec_")
    assert {k: v for k, v in created.items() if k not in ("webhook_id", "secret")} == {
        "url": URL,
        "description": "",
        "event_types": ["points.earned", "user.created"],
        "status": "active",
        "failing_since": None,
        "disabled_reason": "",
        "created_at": "2026-06-15T12:00:00Z",
        "updated_at": "2026-06-15T12:00:00Z",
    }
    listed = await api(client, tenant, "/api/2.0/webhooks/list", {})
    assert listed == {"results": [{k: v for k, v in created.items() if k != "secret"}]}  # no secret in lists

    clock.advance(minutes=1)
    changed = await api(
        client, tenant, "/api/2.0/webhooks/update", {"webhook_id": hook, "event_types": [], "description": " dw "}
    )
    assert (changed["event_types"], changed["description"], changed["url"]) == ([], "dw", URL)
    assert changed["updated_at"] == "2026-06-15T12:01:00Z"

    rotated = await api(client, tenant, "/api/2.0/webhooks/rotate_secret", {"webhook_id": hook})
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert (await api(client, tenant, "/api/2.0/webhooks/pause", {"webhook_id": hook}))["status"] == "paused"
    assert (await api(client, tenant, "/api/2.0/webhooks/resume", {"webhook_id": hook}))["status"] == "active"
    assert (await api(client, tenant, "/api/2.0/webhooks/delete", {"webhook_id": hook}))["webhook_id"] == hook
    assert await api(client, tenant, "/api/2.0/webhooks/list", {}) == {"results": []}


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"url": "ftp://example.com/x"}, "url", "must be an http or https URL"),
        ({"url": "example.com/x"}, "url", "must be an http or https URL"),
        ({"url": "http://localhost:9000/x"}, "url", "must not point at a loopback or private address"),
        ({"url": "http://127.0.0.1/x"}, "url", "must not point at a loopback or private address"),
        ({"url": "http://10.1.2.3/x"}, "url", "must not point at a loopback or private address"),
        ({"url": "http://[::1]/x"}, "url", "must not point at a loopback or private address"),
        ({"url": "http://169.254.169.254/latest"}, "url", "must not point at a loopback or private address"),
        ({"url": "https://user:pw@example.com/x"}, "url", "must not carry credentials"),
        ({"url": URL, "event_types": ["user.created", "user.deleted"]}, "event_types[1]", "unknown event type"),
    ],
)
async def test_bad_endpoints_are_refused_with_the_reason(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, fields: dict[str, Any], field: str, problem: str
) -> None:
    before = await snapshot(db)
    body = await api(client, tenant, "/api/2.0/webhooks/create", fields, status=400)
    assert body["errors"]["code"] == "VALIDATION"
    assert problem in body["errors"]["fields"][field][0]
    assert await snapshot(db) == before


async def test_another_retailers_endpoint_is_not_found(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant
) -> None:
    hook = (await create(client, tenant))["webhook_id"]
    before = await snapshot(db)
    for path in ("update", "rotate_secret", "pause", "resume", "delete", "deliveries"):
        body = await api(client, other_tenant, f"/api/2.0/webhooks/{path}", {"webhook_id": hook}, status=404)
        assert body["errors"]["code"] == "NOT_FOUND", path
    body = await api(client, other_tenant, "/api/2.0/webhooks/resend", {"webhook_id": hook, "delivery_id": 1}, 404)
    assert body["errors"]["code"] == "NOT_FOUND"
    assert await api(client, other_tenant, "/api/2.0/webhooks/list", {}) == {"results": []}
    assert await snapshot(db) == before


async def test_deliveries_are_listed_and_a_finished_one_can_be_resent(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    hook = (await create(client, tenant, event_types=["user.created"]))["webhook_id"]
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 3})  # not wanted
    await delivery.dispatch(db, clock())
    listed = await api(client, tenant, "/api/2.0/webhooks/deliveries", {"webhook_id": hook})
    [pending] = listed["results"]
    assert listed["total_records"] == 1
    assert {k: pending[k] for k in ("event_type", "status", "attempts", "last_status_code", "next_attempt_at")} == {
        "event_type": "user.created",
        "status": "pending",
        "attempts": 0,
        "last_status_code": None,
        "next_attempt_at": "2026-06-15T12:00:00Z",
    }
    # A pending one is tried anyway: resending it is refused, and changes nothing.
    before = await snapshot(db)
    body = {"webhook_id": hook, "delivery_id": pending["delivery_id"]}
    refused = await api(client, tenant, "/api/2.0/webhooks/resend", body, status=409)
    assert refused["errors"]["fields"] == {"delivery_id": ["pending"]}
    assert await snapshot(db) == before
    async with db.write() as conn:
        await conn.execute(update(webhook_deliveries).values(status="failed", attempts=8, last_status_code=500))
    clock.advance(days=2)
    resent = await api(client, tenant, "/api/2.0/webhooks/resend", body)
    [again] = resent["results"]
    assert (again["status"], again["attempts"], again["next_attempt_at"]) == ("pending", 0, "2026-06-17T12:00:00Z")
    missing = await api(client, tenant, "/api/2.0/webhooks/resend", {"webhook_id": hook, "delivery_id": 999}, 404)
    assert missing["errors"]["fields"] == {"delivery_id": ["not found"]}
