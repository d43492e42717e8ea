"""Editing a store: its name, time zone and tags (its id stays: POS configurations name it)."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin.forms import Form, split_list
from openoffers.admin.tenancy_pages import FIELD_ERRORS, TIMEZONES
from openoffers.admin.web import Admin, Req, redirect, render, require_admin, submitted, uuid_or_404
from openoffers.context import context
from openoffers.kit.errors import NotFound
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.repository import Store


async def _store(request: Req, admin: Admin, store_id: str) -> Store:
    wanted = uuid_or_404(store_id, "store")
    for store in await tenancy.list_stores(context(request).db, admin.retailer.id):
        if store.id == wanted:
            return store
    raise NotFound("store not found")


def _page(admin: Admin, store: Store, form: Form, status: int = 200) -> Response[Any]:
    return render("store_edit.html", status=status, admin=admin, store=store, form=form, timezones=TIMEZONES)


@get("/stores/{store_id:str}/edit", include_in_schema=False)
async def edit_store_page(request: Req, store_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    store = await _store(request, admin, store_id)
    data = {"name": [store.name], "timezone": [store.timezone], "tags": [", ".join(store.tags)]}
    return _page(admin, store, Form(data=data))


@post("/stores/{store_id:str}/edit", include_in_schema=False)
async def edit_store(request: Req, store_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    store = await _store(request, admin, store_id)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"name", "timezone", "tags"}))
    try:
        await tenancy.update_store(
            context(request).db,
            retailer_id=admin.retailer.id,
            store_id=store.id,
            name=form.value("name"),
            timezone=form.value("timezone").strip(),
            tags=tuple(split_list(form.value("tags"))),
            now=context(request).clock(),
        )
    except FIELD_ERRORS as exc:
        form.place_errors(exc.fields or {"": [exc.message]})
        return _page(admin, store, form, 400)
    return redirect("/admin/stores", notice="store_saved")


ROUTES = [edit_store_page, edit_store]
