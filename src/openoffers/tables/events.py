"""Outbox and webhook tables: the events the outside hears about, written in the same transaction as
the change they describe, and their deliveries to each retailer's webhook endpoints."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    false,
)

from openoffers.kit.columns import JsonColumn, Serial, UtcDateTime
from openoffers.kit.db import metadata


class EndpointStatus(StrEnum):
    ACTIVE = "active"
    # Paused by the retailer: deliveries wait and go out on resume.
    PAUSED = "paused"
    # Disabled by the worker after sustained failure: like paused, and the admin UI says why.
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Every attempt of its schedule failed; a resend starts a new schedule.
    FAILED = "failed"


outbox_events = Table(
    "outbox_events",
    metadata,
    # Commit order within one customer (their writes are serialized), so deliveries keep it.
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("type", String(40), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    # Events with the same key are delivered to an endpoint in `seq` order (a customer, an offer).
    Column("ordering_key", String(100), nullable=False),
    Column("data", JsonColumn, nullable=False),
    # Set once the worker has made this event's deliveries (one per subscribed endpoint).
    Column("dispatched", Boolean, nullable=False, server_default=false()),
)
Index("ix_outbox_events_dispatched_seq", outbox_events.c.dispatched, outbox_events.c.seq)
Index("ix_outbox_events_retailer_seq", outbox_events.c.retailer_id, outbox_events.c.seq)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False),
    # The event types it wants; an empty list wants every type.
    Column("event_types", JsonColumn, nullable=False),
    # Standard Webhooks' `whsec_<base64>`.
    Column("secret", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    # When its current run of failures began (NULL after a success): how "sustained" is measured.
    Column("failing_since", UtcDateTime, nullable=True),
    Column("disabled_reason", String(500), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_webhook_endpoints_retailer", webhook_endpoints.c.retailer_id)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("endpoint_id", Uuid, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("event_seq", BigInteger, ForeignKey("outbox_events.seq"), nullable=False),
    Column("ordering_key", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    # Attempts started in the current schedule (a resend starts a new one).
    Column("attempts", Integer, nullable=False),
    # When it may be claimed next; a claim moves it past the claim's lease, so no one else sends it.
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_attempt_at", UtcDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("endpoint_id", "event_seq", name="uq_webhook_deliveries_endpoint_event"),
)
Index("ix_webhook_deliveries_status_due", webhook_deliveries.c.status, webhook_deliveries.c.next_attempt_at)
Index(
    "ix_webhook_deliveries_order",
    webhook_deliveries.c.endpoint_id,
    webhook_deliveries.c.ordering_key,
    webhook_deliveries.c.status,
    webhook_deliveries.c.event_seq,
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("delivery_id", BigInteger, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # NULL when no response came (refused, timed out).
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=False),
    Column("duration_ms", Integer, nullable=False),
)
Index("ix_webhook_attempts_delivery", webhook_attempts.c.delivery_id)
