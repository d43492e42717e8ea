"""Wire structs of the webhooks API (`api/2.0/webhooks/*`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from msgspec import UNSET, Meta, Struct, UnsetType

from openoffers.kit.wire import Skip, Take

Url = Annotated[str, Meta(min_length=1, max_length=2000)]
Description = Annotated[str, Meta(max_length=200)]
EventTypes = Annotated[list[Annotated[str, Meta(min_length=1, max_length=40)]], Meta(max_length=50)]


class CreateEndpointRequest(Struct, kw_only=True):
    retailer_id: UUID
    url: Url
    # The event types it wants (`user_offer.redeemed`, ...); empty: every type.
    event_types: EventTypes = []
    description: Description = ""


class UpdateEndpointRequest(Struct, kw_only=True):
    retailer_id: UUID
    webhook_id: UUID
    url: Url | UnsetType = UNSET
    event_types: EventTypes | UnsetType = UNSET
    description: Description | UnsetType = UNSET


class EndpointRequest(Struct, kw_only=True):
    """rotate_secret, pause, resume, delete: one endpoint."""

    retailer_id: UUID
    webhook_id: UUID


class ListEndpointsRequest(Struct, kw_only=True):
    retailer_id: UUID


class EndpointOut(Struct, kw_only=True):
    webhook_id: UUID
    url: str
    description: str
    event_types: list[str]
    # active, paused (by the retailer) or disabled (after sustained failure; resume turns it back on).
    status: str
    failing_since: str | None
    disabled_reason: str
    created_at: str
    updated_at: str


class EndpointWithSecret(EndpointOut, kw_only=True):
    """Answered by create and rotate_secret only: the Standard Webhooks secret (`whsec_...`) a
    receiver verifies signatures with."""

    secret: str


class EndpointList(Struct, kw_only=True):
    results: list[EndpointOut]


class DeliveriesRequest(Struct, kw_only=True):
    retailer_id: UUID
    webhook_id: UUID
    skip: Skip = 0
    take: Take = 50


class DeliveryOut(Struct, kw_only=True):
    delivery_id: int
    event_id: UUID
    event_type: str
    occurred_at: str
    # pending (to be tried, or being retried), delivered, or failed (its retries ran out).
    status: str
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str


class DeliveryList(Struct, kw_only=True):
    total_records: int
    results: list[DeliveryOut]


class ResendRequest(Struct, kw_only=True):
    retailer_id: UUID
    webhook_id: UUID
    delivery_id: int
