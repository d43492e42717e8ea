"""Webhooks API routes (`api/2.0/webhooks/*`): admin keys only, since an endpoint's secret signs what
the retailer's systems will trust."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.tenancy.guards import ADMIN_ROLES, offers_call
from openoffers.webhooks import service
from openoffers.webhooks.schemas import (
    CreateEndpointRequest,
    DeliveriesRequest,
    DeliveryList,
    EndpointList,
    EndpointOut,
    EndpointRequest,
    EndpointWithSecret,
    ListEndpointsRequest,
    ResendRequest,
    UpdateEndpointRequest,
)

Req = Request[Any, Any, Any]
WEBHOOKS = ("webhooks",)


@endpoint(
    "/api/2.0/webhooks/create",
    summary="Create a webhook endpoint",
    request=CreateEndpointRequest,
    response=EndpointWithSecret,
    tags=WEBHOOKS,
)
async def create(request: Req) -> Response[bytes]:
    """An http(s) URL and the event types it wants (none: all). Answers its Standard Webhooks secret,
    which receivers verify each delivery's `webhook-signature` with."""
    call = await offers_call(request, CreateEndpointRequest, ADMIN_ROLES)
    allow = bool(call.ctx.settings.webhook_allow_private_urls)
    return ok(await service.create(call.db, call.body, call.now, allow_private=allow))


@endpoint(
    "/api/2.0/webhooks/list",
    summary="List webhook endpoints",
    request=ListEndpointsRequest,
    response=EndpointList,
    tags=WEBHOOKS,
)
async def list_endpoints(request: Req) -> Response[bytes]:
    """Every endpoint of the retailer with its status (a `disabled` one says why); without secrets."""
    call = await offers_call(request, ListEndpointsRequest, ADMIN_ROLES)
    return ok(await service.list_all(call.db, call.body.retailer_id))


@endpoint(
    "/api/2.0/webhooks/update",
    summary="Change a webhook endpoint",
    request=UpdateEndpointRequest,
    response=EndpointOut,
    tags=WEBHOOKS,
)
async def update(request: Req) -> Response[bytes]:
    """Changes the fields sent (url, event_types, description)."""
    call = await offers_call(request, UpdateEndpointRequest, ADMIN_ROLES)
    allow = bool(call.ctx.settings.webhook_allow_private_urls)
    return ok(await service.update(call.db, call.body, call.now, allow_private=allow))


@endpoint(
    "/api/2.0/webhooks/rotate_secret",
    summary="Replace a webhook endpoint's secret",
    request=EndpointRequest,
    response=EndpointWithSecret,
    tags=WEBHOOKS,
)
async def rotate_secret(request: Req) -> Response[bytes]:
    """A new secret, used from the next delivery on."""
    call = await offers_call(request, EndpointRequest, ADMIN_ROLES)
    return ok(await service.rotate_secret(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/webhooks/pause",
    summary="Pause a webhook endpoint",
    request=EndpointRequest,
    response=EndpointOut,
    tags=WEBHOOKS,
)
async def pause(request: Req) -> Response[bytes]:
    """Deliveries wait until it is resumed; none is lost."""
    call = await offers_call(request, EndpointRequest, ADMIN_ROLES)
    return ok(await service.pause(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/webhooks/resume",
    summary="Resume a paused or disabled webhook endpoint",
    request=EndpointRequest,
    response=EndpointOut,
    tags=WEBHOOKS,
)
async def resume(request: Req) -> Response[bytes]:
    """Active again; waiting deliveries go out in order."""
    call = await offers_call(request, EndpointRequest, ADMIN_ROLES)
    return ok(await service.resume(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/webhooks/delete",
    summary="Delete a webhook endpoint",
    request=EndpointRequest,
    response=EndpointOut,
    tags=WEBHOOKS,
)
async def delete(request: Req) -> Response[bytes]:
    """The endpoint and its deliveries."""
    call = await offers_call(request, EndpointRequest, ADMIN_ROLES)
    return ok(await service.delete(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/webhooks/deliveries",
    summary="A webhook endpoint's deliveries",
    request=DeliveriesRequest,
    response=DeliveryList,
    tags=WEBHOOKS,
)
async def deliveries(request: Req) -> Response[bytes]:
    """Newest first: each event's delivery status, attempts and the last response code."""
    call = await offers_call(request, DeliveriesRequest, ADMIN_ROLES)
    return ok(await service.deliveries(call.db, call.body))


@endpoint(
    "/api/2.0/webhooks/resend",
    summary="Send a delivery again",
    request=ResendRequest,
    response=DeliveryList,
    tags=WEBHOOKS,
)
async def resend(request: Req) -> Response[bytes]:
    """A delivered or failed delivery is sent again now (same `webhook-id`), with a new retry schedule."""
    call = await offers_call(request, ResendRequest, ADMIN_ROLES)
    return ok(await service.resend(call.db, call.body, call.now))


ROUTES = [create, list_endpoints, update, rotate_secret, pause, resume, delete, deliveries, resend]
