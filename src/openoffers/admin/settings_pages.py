"""Loyalty settings (admins only): when points expire, and what a return or void does with points
already spent. The same use case as `openoffers retailer points-expiry` and `points-clawback`, audited."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Response

from openoffers.admin.forms import Form
from openoffers.admin.web import Admin, Req, notice, redirect, render, require_admin, submitted
from openoffers.context import context
from openoffers.kit.errors import ValidationFailed
from openoffers.loyalty import service as loyalty
from openoffers.loyalty.expiry import MAX_MONTHS

FIELDS = frozenset({"points_expiry_months", "points_clawback"})
CLAWBACK_CHOICES = (
    ("negative", "Take them anyway: the balance may go below zero"),
    ("floor", "Take only what is left: the balance stops at zero"),
)


def _page(request: Req, admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    return render(
        "settings.html",
        status=status,
        admin=admin,
        form=form,
        notice=notice(request),
        clawback_choices=CLAWBACK_CHOICES,
        max_months=MAX_MONTHS,
    )


@get("/settings", include_in_schema=False)
async def settings_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    current = await loyalty.loyalty_settings(context(request).db, admin.retailer.id)
    data = {
        "points_expiry_months": [str(current.points_expiry_months)],
        "points_clawback": [current.points_clawback],
    }
    return _page(request, admin, Form(data=data))


@post("/settings", include_in_schema=False)
async def save_settings(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=FIELDS)
    text = form.value("points_expiry_months").strip() or "0"
    if not text.isdigit():
        form.place_errors({"points_expiry_months": [f"Enter a whole number of months from 0 to {MAX_MONTHS}"]})
        return _page(request, admin, form, 400)
    try:
        await loyalty.set_loyalty_settings(
            context(request).db,
            admin.retailer.id,
            context(request).clock(),
            clawback_policy=form.value("points_clawback"),
            expiry_months=int(text),
        )
    except ValidationFailed as exc:
        form.place_errors(exc.fields or {"": [exc.message]})
        return _page(request, admin, form, 400)
    return redirect("/admin/settings", notice="settings_saved")


ROUTES = [settings_page, save_settings]
