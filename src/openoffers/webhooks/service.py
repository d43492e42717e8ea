"""Webhook endpoint use cases, one transaction each: the API and the admin UI both call these."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.events import EVENT_TYPES
from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, NotFound, ValidationFailed
from openoffers.kit.ids import new_id
from openoffers.tables.events import EndpointStatus
from openoffers.tenancy import audit
from openoffers.tenancy import repository as tenancy_repo
from openoffers.webhooks import repository as repo
from openoffers.webhooks.repository import DeliveryRow, EndpointRow
from openoffers.webhooks.schemas import (
    CreateEndpointRequest,
    DeliveriesRequest,
    DeliveryList,
    DeliveryOut,
    EndpointList,
    EndpointOut,
    EndpointRequest,
    EndpointWithSecret,
    ResendRequest,
    UpdateEndpointRequest,
)
from openoffers.webhooks.urls import check_url

# Endpoints per retailer: each costs the worker a request per event.
MAX_ENDPOINTS = 20


def new_secret() -> str:
    """Standard Webhooks' form: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _not_found(webhook_id: UUID) -> NotFound:
    return NotFound(f"webhook {webhook_id} not found", fields={"webhook_id": ["not found"]})


def _event_types(given: list[str]) -> list[str]:
    unknown = {f"event_types[{i}]": ["unknown event type"] for i, t in enumerate(given) if t not in EVENT_TYPES}
    if unknown:
        raise ValidationFailed(f"known event types: {', '.join(EVENT_TYPES)}", fields=unknown)
    return sorted(set(given))


def endpoint_out(row: EndpointRow) -> EndpointOut:
    return EndpointOut(
        webhook_id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types),
        status=row.status,
        failing_since=iso_z(row.failing_since),
        disabled_reason=row.disabled_reason,
        created_at=iso_z(row.created_at) or "",
        updated_at=iso_z(row.updated_at) or "",
    )


def _with_secret(row: EndpointRow) -> EndpointWithSecret:
    return EndpointWithSecret(
        **{f: getattr(endpoint_out(row), f) for f in EndpointOut.__struct_fields__}, secret=row.secret
    )


def delivery_out(row: DeliveryRow) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        occurred_at=iso_z(row.occurred_at) or "",
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=iso_z(row.next_attempt_at) if row.status == "pending" else None,
        last_attempt_at=iso_z(row.last_attempt_at),
        last_status_code=row.last_status_code,
        last_error=row.last_error,
    )


async def create(
    db: Database, request: CreateEndpointRequest, now: datetime, *, allow_private: bool
) -> EndpointWithSecret:
    check_url(request.url, allow_private=allow_private)
    values: dict[str, Any] = {
        "id": new_id(),
        "retailer_id": request.retailer_id,
        "url": request.url,
        "description": request.description.strip(),
        "event_types": _event_types(request.event_types),
        "secret": new_secret(),
        "status": EndpointStatus.ACTIVE.value,
        "failing_since": None,
        "disabled_reason": "",
        "created_at": now,
        "updated_at": now,
    }
    async with db.write() as conn:
        await tenancy_repo.require_retailer(conn, request.retailer_id)
        if len(await repo.list_endpoints(conn, request.retailer_id)) >= MAX_ENDPOINTS:
            raise Conflict(f"a retailer may have at most {MAX_ENDPOINTS} webhook endpoints")
        await repo.insert_endpoint(conn, values)
        row = await repo.get_endpoint(conn, request.retailer_id, values["id"])
        assert row is not None  # inserted just now in this transaction
        await _audit(conn, row, "created", None, row, now)
    return _with_secret(row)


async def list_all(db: Database, retailer_id: UUID) -> EndpointList:
    async with db.read() as conn:
        return EndpointList(results=[endpoint_out(r) for r in await repo.list_endpoints(conn, retailer_id)])


async def get(db: Database, retailer_id: UUID, webhook_id: UUID) -> EndpointOut:
    async with db.read() as conn:
        row = await repo.get_endpoint(conn, retailer_id, webhook_id)
    if row is None:
        raise _not_found(webhook_id)
    return endpoint_out(row)


async def update(db: Database, request: UpdateEndpointRequest, now: datetime, *, allow_private: bool) -> EndpointOut:
    values: dict[str, Any] = {"updated_at": now}
    if request.url is not UNSET:
        check_url(request.url, allow_private=allow_private)
        values["url"] = request.url
    if request.event_types is not UNSET:
        values["event_types"] = _event_types(request.event_types)
    if request.description is not UNSET:
        values["description"] = request.description.strip()
    return endpoint_out(await _change(db, request.retailer_id, request.webhook_id, values, "updated"))


async def rotate_secret(db: Database, request: EndpointRequest, now: datetime) -> EndpointWithSecret:
    """A new secret at once: deliveries signed from now on use it (a receiver updates its copy)."""
    values = {"secret": new_secret(), "updated_at": now}
    return _with_secret(await _change(db, request.retailer_id, request.webhook_id, values, "secret_rotated"))


async def pause(db: Database, request: EndpointRequest, now: datetime) -> EndpointOut:
    """Deliveries wait (none is lost) until `resume`."""
    values = {"status": EndpointStatus.PAUSED.value, "updated_at": now}
    return endpoint_out(await _change(db, request.retailer_id, request.webhook_id, values, "paused"))


async def resume(db: Database, request: EndpointRequest, now: datetime) -> EndpointOut:
    """Active again, whether paused or disabled after failures: waiting deliveries go out in order."""
    values = {"status": EndpointStatus.ACTIVE.value, "failing_since": None, "disabled_reason": "", "updated_at": now}
    return endpoint_out(await _change(db, request.retailer_id, request.webhook_id, values, "resumed"))


async def _change(
    db: Database, retailer_id: UUID, webhook_id: UUID, values: dict[str, Any], action: str
) -> EndpointRow:
    async with db.write() as conn:
        before = await repo.get_endpoint(conn, retailer_id, webhook_id)
        row = await repo.update_endpoint(conn, retailer_id, webhook_id, values)
        if before is None or row is None:
            raise _not_found(webhook_id)
        await _audit(conn, row, action, before, row, values["updated_at"])
    return row


async def delete(db: Database, request: EndpointRequest, now: datetime) -> EndpointOut:
    async with db.write() as conn:
        row = await repo.get_endpoint(conn, request.retailer_id, request.webhook_id)
        if row is None or not await repo.delete_endpoint(conn, request.retailer_id, request.webhook_id):
            raise _not_found(request.webhook_id)
        await _audit(conn, row, "deleted", row, None, now)
    return endpoint_out(row)


async def _audit(
    conn: AsyncConnection,
    row: EndpointRow,
    action: str,
    before: EndpointRow | None,
    after: EndpointRow | None,
    now: datetime,
) -> None:
    """The audit row of a change to an endpoint, in its transaction; the secret never goes in (a
    rotation shows as its action, with the endpoint otherwise unchanged)."""
    await audit.record(
        conn,
        retailer_id=row.retailer_id,
        object_type="webhook",
        object_id=row.id,
        action=action,
        before=None if before is None else msgspec.to_builtins(endpoint_out(before)),
        after=None if after is None else msgspec.to_builtins(endpoint_out(after)),
        now=now,
    )


async def deliveries(db: Database, request: DeliveriesRequest) -> DeliveryList:
    async with db.read() as conn:
        if await repo.get_endpoint(conn, request.retailer_id, request.webhook_id) is None:
            raise _not_found(request.webhook_id)
        total, rows = await repo.list_deliveries(
            conn, request.retailer_id, request.webhook_id, request.skip, request.take
        )
    return DeliveryList(total_records=total, results=[delivery_out(r) for r in rows])


async def resend(db: Database, request: ResendRequest, now: datetime) -> DeliveryList:
    """The delivery is tried again now, with a new schedule; answers it. Audited against its endpoint,
    with the delivery before and after."""
    retailer_id, webhook_id, delivery_id = request.retailer_id, request.webhook_id, request.delivery_id
    async with db.write() as conn:
        if await repo.get_endpoint(conn, retailer_id, webhook_id) is None:
            raise _not_found(webhook_id)
        _, was = await repo.list_deliveries(conn, retailer_id, webhook_id, 0, 1, delivery_id=delivery_id)
        if not await repo.resend(conn, retailer_id, webhook_id, delivery_id, now):
            if await repo.delivery_exists(conn, retailer_id, webhook_id, delivery_id):
                raise Conflict("the delivery is still pending: it will be tried", fields={"delivery_id": ["pending"]})
            raise NotFound("delivery not found", fields={"delivery_id": ["not found"]})
        total, rows = await repo.list_deliveries(conn, retailer_id, webhook_id, 0, 1, delivery_id=delivery_id)
        await audit.record(
            conn,
            retailer_id=retailer_id,
            object_type="webhook",
            object_id=webhook_id,
            action="resent",
            before=msgspec.to_builtins(delivery_out(was[0])),
            after=msgspec.to_builtins(delivery_out(rows[0])),
            now=now,
        )
    return DeliveryList(total_records=total, results=[delivery_out(r) for r in rows])
