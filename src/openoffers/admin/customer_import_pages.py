"""Customers > Import: a CSV file of customers, every bad line listed, all created or none
(`loyalty.customer_import`)."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.response import Response

from openoffers.admin import csrf
from openoffers.admin.web import Admin, FormRejected, Req, render, require_admin
from openoffers.context import context
from openoffers.loyalty.customer_import import COLUMNS, CustomerImport, import_customers

MAX_UPLOAD = 20 * 1024 * 1024


def _page(admin: Admin, report: CustomerImport | None = None, status: int = 200) -> Response[Any]:
    return render("customer_import.html", status=status, admin=admin, report=report, columns=COLUMNS)


@get("/customers/import", include_in_schema=False)
async def customer_import_page(request: Req) -> Response[Any]:
    return _page(await require_admin(request))


@post("/customers/import", include_in_schema=False)
async def customer_import(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = await request.form()
    token = form.get(csrf.FIELD)
    if not isinstance(token, str) or not csrf.is_valid(admin.csrf, token):
        raise FormRejected()
    sent = form.get("file")
    report = CustomerImport()
    if not isinstance(sent, UploadFile) or not sent.filename:
        report.refuse(0, "choose a .csv file to import")
        return _page(admin, report, 400)
    data = await sent.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        report.refuse(0, "the file is larger than 20 MiB: split it")
        return _page(admin, report, 400)
    ctx = context(request)
    report = await import_customers(ctx.db, admin.retailer.id, data, ctx.clock(), file=sent.filename)
    return _page(admin, report, 400 if report.problems else 200)


ROUTES = [customer_import_page, customer_import]
