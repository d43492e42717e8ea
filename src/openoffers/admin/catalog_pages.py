"""The catalog page: the retailer's items (search, paging) and categories, and a catalog file import
that lists every bad line and imports nothing unless the whole file is good."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.response import Response

from openoffers.admin import csrf
from openoffers.admin.web import Admin, FormRejected, Req, page_number, render, require_admin
from openoffers.catalog import browse, upload
from openoffers.context import context

PAGE_SIZE = 50
MAX_UPLOAD = 20 * 1024 * 1024  # 20 MiB: far more than 100,000 items


async def _page(
    request: Req, admin: Admin, *, status: int = 200, report: upload.Checked | None = None, imported: int = -1
) -> Response[Any]:
    params = request.query_params
    query = (params.get("q") or "").strip()[: browse.MAX_QUERY]
    page = page_number(params.get("page"))
    db = context(request).db
    found = await browse.list_items(db, admin.retailer.id, query, skip=(page - 1) * PAGE_SIZE, take=PAGE_SIZE)
    return render(
        "catalog.html",
        status=status,
        admin=admin,
        query=query,
        items=found.items,
        total=found.total,
        page=page,
        pages=max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        pager_query={"q": query} if query else {},
        categories=await browse.categories(db, admin.retailer.id),
        report=report,
        imported=imported,
    )


@get("/catalog", include_in_schema=False)
async def catalog_page(request: Req) -> Response[Any]:
    return await _page(request, await require_admin(request))


@post("/catalog/import", include_in_schema=False)
async def catalog_import(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = await request.form()
    token = form.get(csrf.FIELD)
    if not isinstance(token, str) or not csrf.is_valid(admin.csrf, token):
        raise FormRejected()
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        report = upload.Checked()
        report.refuse(0, "choose a file to import")
        return await _page(request, admin, status=400, report=report)
    data = await sent.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        report = upload.Checked()
        report.refuse(0, "the file is larger than 20 MiB; use `openoffers catalog import` for it")
        return await _page(request, admin, status=400, report=report)
    report = upload.check_file(data, sent.filename)
    if report.problems:
        return await _page(request, admin, status=400, report=report)
    ctx = context(request)
    imported = await upload.import_checked(ctx.db, admin.retailer.id, report.items, ctx.clock(), file=sent.filename)
    return await _page(request, admin, report=report, imported=imported)


ROUTES = [catalog_page, catalog_import]
