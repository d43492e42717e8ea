"""Every query on webhook endpoints and deliveries as the API and the admin UI see them (the worker's
claims are in `delivery.py`). Each function takes the retailer id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.tables.events import (
    DeliveryStatus,
    EndpointStatus,
    outbox_events,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)

E = webhook_endpoints.c
D = webhook_deliveries.c


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: UUID
    retailer_id: UUID
    url: str
    description: str
    event_types: list[str]
    secret: str
    status: str
    failing_since: datetime | None
    disabled_reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    endpoint_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str


def _endpoint(row: Any) -> EndpointRow:
    return EndpointRow(**{name: getattr(row, name) for name in EndpointRow.__slots__})


async def insert_endpoint(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(webhook_endpoints), values)


async def get_endpoint(conn: AsyncConnection, retailer_id: UUID, endpoint_id: UUID) -> EndpointRow | None:
    row = (
        await conn.execute(select(webhook_endpoints).where(E.retailer_id == retailer_id, E.id == endpoint_id))
    ).first()
    return None if row is None else _endpoint(row)


async def list_endpoints(conn: AsyncConnection, retailer_id: UUID) -> list[EndpointRow]:
    rows = await conn.execute(
        select(webhook_endpoints).where(E.retailer_id == retailer_id).order_by(E.created_at, E.id)
    )
    return [_endpoint(row) for row in rows]


async def update_endpoint(
    conn: AsyncConnection, retailer_id: UUID, endpoint_id: UUID, values: dict[str, Any]
) -> EndpointRow | None:
    row = (
        await conn.execute(
            update(webhook_endpoints)
            .where(E.retailer_id == retailer_id, E.id == endpoint_id)
            .values(**values)
            .returning(*webhook_endpoints.c)
        )
    ).first()
    return None if row is None else _endpoint(row)


async def delete_endpoint(conn: AsyncConnection, retailer_id: UUID, endpoint_id: UUID) -> bool:
    """The endpoint with its deliveries and their attempts (the events stay: other endpoints may want them)."""
    deliveries = select(D.id).where(D.retailer_id == retailer_id, D.endpoint_id == endpoint_id)
    await conn.execute(
        delete(webhook_attempts).where(
            webhook_attempts.c.retailer_id == retailer_id, webhook_attempts.c.delivery_id.in_(deliveries)
        )
    )
    await conn.execute(delete(webhook_deliveries).where(D.retailer_id == retailer_id, D.endpoint_id == endpoint_id))
    result = await conn.execute(delete(webhook_endpoints).where(E.retailer_id == retailer_id, E.id == endpoint_id))
    return bool(result.rowcount)


_DELIVERY_COLUMNS = (
    D.id,
    D.endpoint_id,
    outbox_events.c.id.label("event_id"),
    outbox_events.c.type.label("event_type"),
    outbox_events.c.occurred_at,
    D.status,
    D.attempts,
    D.next_attempt_at,
    D.last_attempt_at,
    D.last_status_code,
    D.last_error,
)


async def list_deliveries(
    conn: AsyncConnection, retailer_id: UUID, endpoint_id: UUID, skip: int, take: int, delivery_id: int | None = None
) -> tuple[int, list[DeliveryRow]]:
    """Newest first, with their events' ids and types (or the one named)."""
    where = [D.retailer_id == retailer_id, D.endpoint_id == endpoint_id]
    if delivery_id is not None:
        where.append(D.id == delivery_id)
    total = int(await conn.scalar(select(func.count()).select_from(webhook_deliveries).where(*where)) or 0)
    rows = await conn.execute(
        select(*_DELIVERY_COLUMNS)
        .join(outbox_events, outbox_events.c.seq == D.event_seq)
        .where(*where)
        .order_by(D.event_seq.desc())
        .offset(skip)
        .limit(take)
    )
    return total, [DeliveryRow(*row) for row in rows]


async def resend(conn: AsyncConnection, retailer_id: UUID, endpoint_id: UUID, delivery_id: int, now: datetime) -> bool:
    """A delivered or failed delivery becomes due now with a new schedule; False when there is no such
    delivery, or it is still pending (it will be tried anyway)."""
    result = await conn.execute(
        update(webhook_deliveries)
        .where(
            D.retailer_id == retailer_id,
            D.endpoint_id == endpoint_id,
            D.id == delivery_id,
            D.status != DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
    )
    return bool(result.rowcount)


async def delivery_exists(conn: AsyncConnection, retailer_id: UUID, endpoint_id: UUID, delivery_id: int) -> bool:
    found = await conn.scalar(
        select(D.id).where(D.retailer_id == retailer_id, D.endpoint_id == endpoint_id, D.id == delivery_id)
    )
    return found is not None


async def disabled_endpoints(conn: AsyncConnection, retailer_id: UUID) -> list[EndpointRow]:
    rows = await conn.execute(
        select(webhook_endpoints).where(E.retailer_id == retailer_id, E.status == EndpointStatus.DISABLED)
    )
    return [_endpoint(row) for row in rows]
