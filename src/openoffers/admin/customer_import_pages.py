"""Customers > Import: a CSV file of customers, every bad line listed, all created or none
(`loyalty.customer_import`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import get, post
from litestar.response import Response

from openoffers.admin import file_uploads
from openoffers.admin.web import Admin, Req, render, require_admin
from openoffers.context import context
from openoffers.kit.file_import import ImportReport, Progress
from openoffers.loyalty.customer_import import COLUMNS, import_customers

WORDS = file_uploads.Words(
    what="customer", after=".", list_href="/admin/customers", list_text="See them in the list.", too_large="split it"
)


def _page(admin: Admin, report: ImportReport | None = None) -> Response[Any]:
    status = 400 if report and report.problems else 200
    return render(
        "customer_import.html", status=status, admin=admin, report=report, failure=None, columns=COLUMNS, words=WORDS
    )


@get("/customers/import", include_in_schema=False)
async def customer_import_page(request: Req) -> Response[Any]:
    return _page(await require_admin(request))


@post("/customers/import", include_in_schema=False, request_max_body_size=file_uploads.MAX_BODY)
async def customer_import(request: Req) -> Response[Any]:
    """The page with the import's result, or its progress as a stream (`admin.file_uploads`)."""
    admin = await require_admin(request)
    ctx = context(request)

    def start(data: bytes, filename: str) -> AsyncGenerator[Progress | ImportReport, None]:
        return import_customers(ctx.db, admin.retailer.id, data, ctx.clock(), file=filename)

    async def page(report: ImportReport) -> Response[Any]:
        return _page(admin, report)

    return await file_uploads.import_answer(request, admin, start, ImportReport, page, WORDS)


ROUTES = [customer_import_page, customer_import]
