"""Admin UI pages for webhooks: the retailer's endpoints (a disabled one says why, at the top of the
list), creating one (its secret is shown on the page that answers the creating POST, and again only
after a rotation), its recent deliveries with their status and response code, resending one, pausing,
resuming and deleting. Every change calls the same `webhooks.service` function as the API."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin.forms import Form
from openoffers.admin.web import Admin, Req, page_number, redirect, render, require_admin, submitted, uuid_or_404
from openoffers.context import context
from openoffers.events import EVENT_TYPES
from openoffers.kit.errors import Conflict, NotFound, ValidationFailed
from openoffers.webhooks import service
from openoffers.webhooks.schemas import (
    CreateEndpointRequest,
    DeliveriesRequest,
    EndpointRequest,
    EndpointWithSecret,
    ResendRequest,
)

PAGE_SIZE = 25
FIELDS = frozenset({"url", "description", "event_types"})
# The notices of these pages (the shared ones are in `admin.web`).
NOTICES = {
    "paused": "Webhook paused. Events are kept and sent when it is resumed.",
    "resumed": "Webhook resumed. Waiting events are sent in order.",
    "deleted": "Webhook deleted.",
    "resent": "The delivery will be sent again in a moment.",
}


def _notice(request: Req) -> str | None:
    return NOTICES.get(request.query_params.get("notice") or "")


def _ref(admin: Admin, webhook_id: str) -> EndpointRequest:
    return EndpointRequest(retailer_id=admin.retailer.id, webhook_id=uuid_or_404(webhook_id, "webhook"))


@get("/webhooks", include_in_schema=False)
async def webhooks_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    endpoints = (await service.list_all(context(request).db, admin.retailer.id)).results
    return render(
        "webhooks.html",
        admin=admin,
        notice=_notice(request),
        endpoints=endpoints,
        disabled=[e for e in endpoints if e.status == "disabled"],
    )


def _form_page(admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    return render(
        "webhook_form.html", status=status, admin=admin, form=form, event_options=[(t, t) for t in EVENT_TYPES]
    )


@get("/webhooks/new", include_in_schema=False)
async def new_webhook_page(request: Req) -> Response[Any]:
    return _form_page(await require_admin(request), Form(fields=FIELDS))


def _secret_page(admin: Admin, endpoint: EndpointWithSecret, title: str) -> Response[Any]:
    return render("webhook_secret.html", admin=admin, endpoint=endpoint, title=title)


@post("/webhooks/new", include_in_schema=False)
async def create_webhook(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=FIELDS)
    ctx = context(request)
    body = CreateEndpointRequest(
        retailer_id=admin.retailer.id,
        url=form.value("url").strip(),
        event_types=form.values("event_types"),
        description=form.value("description")[:200],
    )
    allow = bool(ctx.settings.webhook_allow_private_urls)
    try:
        if not body.url:
            raise ValidationFailed.field("url", "is required")
        created = await service.create(ctx.db, body, ctx.clock(), allow_private=allow)
    except (ValidationFailed, Conflict) as exc:
        form.place_errors({k.split("[")[0]: v for k, v in (exc.fields or {"": [exc.message]}).items()})
        return _form_page(admin, form, 400)
    return _secret_page(admin, created, "Webhook created")


@get("/webhooks/{webhook_id:str}", include_in_schema=False)
async def webhook_detail(request: Req, webhook_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    ref = _ref(admin, webhook_id)
    db = context(request).db
    endpoint = await service.get(db, admin.retailer.id, ref.webhook_id)
    page = page_number(request.query_params.get("page"))
    wanted = DeliveriesRequest(
        retailer_id=admin.retailer.id, webhook_id=ref.webhook_id, skip=(page - 1) * PAGE_SIZE, take=PAGE_SIZE
    )
    deliveries = await service.deliveries(db, wanted)
    return render(
        "webhook_detail.html",
        admin=admin,
        notice=_notice(request),
        endpoint=endpoint,
        deliveries=deliveries.results,
        total=deliveries.total_records,
        page=page,
        pages=max((deliveries.total_records + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


@post("/webhooks/{webhook_id:str}/rotate", include_in_schema=False)
async def rotate_secret(request: Req, webhook_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    rotated = await service.rotate_secret(ctx.db, _ref(admin, webhook_id), ctx.clock())
    return _secret_page(admin, rotated, "Secret rotated")


@post("/webhooks/{webhook_id:str}/pause", include_in_schema=False)
async def pause_webhook(request: Req, webhook_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    paused = await service.pause(ctx.db, _ref(admin, webhook_id), ctx.clock())
    return redirect(f"/admin/webhooks/{paused.webhook_id}", notice="paused")


@post("/webhooks/{webhook_id:str}/resume", include_in_schema=False)
async def resume_webhook(request: Req, webhook_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    resumed = await service.resume(ctx.db, _ref(admin, webhook_id), ctx.clock())
    return redirect(f"/admin/webhooks/{resumed.webhook_id}", notice="resumed")


# The delivery id is taken as text and read here: a typed path parameter that fails to parse is refused
# by Litestar's router in the API's JSON, where every mistaken admin address answers an HTML page.
@post("/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/resend", include_in_schema=False)
async def resend_delivery(request: Req, webhook_id: FromPath[str], delivery_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    ref = _ref(admin, webhook_id)
    if not delivery_id.isdigit() or len(delivery_id) > 18:
        raise NotFound("no such delivery")
    body = ResendRequest(retailer_id=admin.retailer.id, webhook_id=ref.webhook_id, delivery_id=int(delivery_id))
    await service.resend(ctx.db, body, ctx.clock())
    return redirect(f"/admin/webhooks/{ref.webhook_id}", notice="resent")


@get("/webhooks/{webhook_id:str}/delete", include_in_schema=False)
async def delete_webhook_page(request: Req, webhook_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    endpoint = await service.get(context(request).db, admin.retailer.id, _ref(admin, webhook_id).webhook_id)
    return render(
        "confirm.html",
        admin=admin,
        title=f"Delete the webhook to {endpoint.url}?",
        message="Nothing more is sent to it, and its delivery history is deleted with it.",
        action=f"/admin/webhooks/{endpoint.webhook_id}/delete",
        button="Delete webhook",
        cancel=f"/admin/webhooks/{endpoint.webhook_id}",
    )


@post("/webhooks/{webhook_id:str}/delete", include_in_schema=False)
async def delete_webhook(request: Req, webhook_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    await service.delete(ctx.db, _ref(admin, webhook_id), ctx.clock())
    return redirect("/admin/webhooks", notice="deleted")


ROUTES = [
    webhooks_list,
    new_webhook_page,
    create_webhook,
    webhook_detail,
    rotate_secret,
    pause_webhook,
    resume_webhook,
    resend_delivery,
    delete_webhook_page,
    delete_webhook,
]
