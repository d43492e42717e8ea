"""Admin UI page for transactions: the checks the POS sent, most recent first, with their discounts
and the user offers they redeemed (read from `pos.service.recent_checks`)."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Response

from openoffers.admin import describe
from openoffers.admin.web import Req, notice, page_number, render, require_admin
from openoffers.context import context
from openoffers.kit.ids import parse_uuid
from openoffers.kit.money import currency_exponent, to_decimal
from openoffers.pos import service as pos
from openoffers.tenancy import service as tenancy

PAGE_SIZE = 25


@get("/transactions", include_in_schema=False)
async def transactions_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    ctx = context(request)
    params = request.query_params
    stores = await tenancy.list_stores(ctx.db, admin.retailer.id)
    store_names = {s.id: s.name for s in stores}
    wanted = parse_uuid(params.get("store") or "")
    store_id = wanted if wanted in store_names else None
    page = page_number(params.get("page"))
    total, checks = await pos.recent_checks(
        ctx.db, admin.retailer.id, store_id=store_id, skip=(page - 1) * PAGE_SIZE, take=PAGE_SIZE, now=ctx.clock()
    )
    exponent = currency_exponent(admin.retailer.currency)
    currency = admin.retailer.currency
    query = {"store": str(store_id)} if store_id else {}
    return render(
        "transactions.html",
        admin=admin,
        notice=notice(request),
        checks=checks,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        stores=[(str(s.id), s.name) for s in stores],
        store_names={str(k): v for k, v in store_names.items()},
        store=str(store_id) if store_id else "",
        query=query,
        amount=lambda minor: describe.money(to_decimal(minor, exponent), currency),
        USER_OFFER_STATUS=describe.USER_OFFER_STATUS,
    )


ROUTES = [transactions_page]
