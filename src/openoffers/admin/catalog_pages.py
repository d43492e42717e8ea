"""The catalog page: the retailer's items (search, paging) and categories, and a catalog file import
that lists every bad line and imports nothing unless the whole file is good."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import get, post
from litestar.response import Response

from openoffers.admin import file_uploads
from openoffers.admin.web import Admin, Req, page_number, render, require_admin
from openoffers.catalog import browse, upload
from openoffers.context import context
from openoffers.kit.file_import import Progress

PAGE_SIZE = 50
WORDS = file_uploads.Words(
    what="item",
    after=": new ids were added, known ids updated.",
    list_href="",  # the list is on the same page (admin.js reads it again after an import it sent)
    list_text="",
    too_large="use `openoffers catalog import` for it",
)


async def _page(request: Req, admin: Admin, report: upload.Checked | None = None) -> Response[Any]:
    params = request.query_params
    query = (params.get("q") or "").strip()[: browse.MAX_QUERY]
    page = page_number(params.get("page"))
    db = context(request).db
    found = await browse.list_items(db, admin.retailer.id, query, skip=(page - 1) * PAGE_SIZE, take=PAGE_SIZE)
    return render(
        "catalog.html",
        status=400 if report and report.problems else 200,
        admin=admin,
        query=query,
        items=found.items,
        total=found.total,
        page=page,
        pages=max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        pager_query={"q": query} if query else {},
        categories=await browse.categories(db, admin.retailer.id),
        report=report,
        failure=None,
        words=WORDS,
    )


@get("/catalog", include_in_schema=False)
async def catalog_page(request: Req) -> Response[Any]:
    return await _page(request, await require_admin(request))


@post("/catalog/import", include_in_schema=False, request_max_body_size=file_uploads.MAX_BODY)
async def catalog_import(request: Req) -> Response[Any]:
    """The page with the import's result, or its progress as a stream (`admin.file_uploads`)."""
    admin = await require_admin(request)
    ctx = context(request)

    def start(data: bytes, filename: str) -> AsyncGenerator[Progress | upload.Checked, None]:
        return upload.import_file(ctx.db, admin.retailer.id, data, filename, ctx.clock())

    async def page(report: upload.Checked) -> Response[Any]:
        return await _page(request, admin, report)

    return await file_uploads.import_answer(request, admin, start, upload.Checked, page, WORDS)


ROUTES = [catalog_page, catalog_import]
