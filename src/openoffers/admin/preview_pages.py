"""The offer preview: a check built by hand (catalog items, store, channel, time, optionally a
customer) and what the offer would give on it, line by line, or why it would not apply. Computed by
`pos.preview`, the POS's own basket, restrictions, use limit and pricing engine; nothing is written."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import get
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin import describe
from openoffers.admin.web import Req, render, require_admin, uuid_or_404
from openoffers.catalog import browse as catalog
from openoffers.checks.schemas import Transaction
from openoffers.context import context
from openoffers.kit.money import to_decimal
from openoffers.offers import service as offers
from openoffers.pos.preview import preview_offer
from openoffers.pricing import Discount, Ineligible, Reason
from openoffers.tenancy import service as tenancy
from openoffers.wallet import service as wallet

LINES = 5
DATALIST_ITEMS = 500  # the picker's suggestions; any other id may still be typed

REASONS: dict[Reason, str] = {
    Reason.STORE_NOT_ELIGIBLE: "It does not apply at this store.",
    Reason.CHANNEL_NOT_ELIGIBLE: "It does not apply on this channel.",
    Reason.OUTSIDE_VALID_TIME: "It does not apply at this day or time.",
    Reason.MIN_SUBTOTAL_NOT_MET: "The check does not reach the minimum amount.",
    Reason.MIN_QUANTITY_NOT_MET: "The check does not have enough qualifying items.",
    Reason.REQUIRED_ITEMS_MISSING: "An item the offer requires is not on the check.",
    Reason.NO_ELIGIBLE_ITEMS: "No item on the check is one the offer discounts.",
    Reason.USE_LIMIT_REACHED: "This customer has already used it as often as the offer allows in its period.",
    Reason.NOT_STACKABLE: "It cannot be combined with a discount already on the check.",
}


def _lines(params: Any) -> tuple[list[dict[str, str]], list[str]]:
    """The check's lines as typed (empty rows left out), and the problems found in them."""
    rows, problems = [], []
    for n in range(LINES):
        item = (params.get(f"item_{n}") or "").strip()[:100]
        price = (params.get(f"price_{n}") or "").strip()[:20]
        quantity = (params.get(f"qty_{n}") or "1").strip()[:10] or "1"
        if not item and not price:
            continue
        try:
            if Decimal(price or "x") < 0 or Decimal(quantity) <= 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"Line {n + 1}: give a price of 0 or more and a quantity above 0.")
            continue
        rows.append({"line_id": str(n), "item_id": item, "unit_price": price, "quantity": quantity})
    return rows, problems


def _moment(text: str, timezone: str, now: datetime) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        return now


@get("/offers/{offer_id:str}/preview", include_in_schema=False)
async def preview_page(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    ctx = context(request)
    retailer = admin.retailer
    offer = await offers.fetch_offer(ctx.db, retailer.id, uuid_or_404(offer_id, "offer"), None)
    params = request.query_params
    stores = await tenancy.list_stores(ctx.db, retailer.id)
    store = next((s for s in stores if str(s.id) == params.get("store")), stores[0] if stores else None)
    now = ctx.clock()
    local_now = now.astimezone(ZoneInfo(retailer.timezone)).strftime("%Y-%m-%dT%H:%M")
    at_text = (params.get("at") or local_now)[:16]
    channel = (params.get("channel") or "STORE").strip()[:50]
    customer_text = (params.get("customer") or "").strip()[:320]
    lines, problems = _lines(params)
    result: Discount | Ineligible | None = None
    customer = None
    if customer_text:
        found = await wallet.search_users(ctx.db, retailer.id, customer_text, limit=2)
        if len(found) == 1:
            customer = found[0]
        else:
            problems.append("No single customer has that id, email or phone." if not found else "Several match.")
    if store is None:
        problems.append("Create a store first: an offer is always priced at a store.")
    if params.get("run") and lines and store is not None and not problems:
        body = {"transaction_id": "preview", "channel": channel or None, "items": lines}
        at = _moment(at_text, store.timezone, now)
        preview = await preview_offer(
            ctx.db,
            retailer,
            offer_id=offer.id,
            store_id=store.id,
            transaction=msgspec.convert(body, Transaction, strict=False),
            at=at,
            user_id=customer.user_id if customer else None,
        )
        result = preview.result
    elif params.get("run") and not lines:
        problems.append("Add at least one line with an item and a price.")
    exponent = retailer.exponent
    items = await catalog.list_items(ctx.db, retailer.id, "", skip=0, take=DATALIST_ITEMS)
    names = await catalog.names_of(ctx.db, retailer.id, [line["item_id"] for line in lines])
    shares = {s.line_id: s for s in result.line_shares} if isinstance(result, Discount) else {}
    return render(
        "offer_preview.html",
        admin=admin,
        offer=offer,
        stores=[(str(s.id), s.name) for s in stores],
        store=str(store.id) if store else "",
        channel=channel,
        at=at_text,
        customer_text=customer_text,
        customer=customer,
        rows=[
            {
                "item": (params.get(f"item_{n}") or "").strip()[:100],
                "price": (params.get(f"price_{n}") or "").strip()[:20],
                "qty": (params.get(f"qty_{n}") or "1").strip()[:10],
            }
            for n in range(LINES)
        ],
        lines=lines,
        names=names,
        shares=shares,
        result=result,
        reason=REASONS.get(result.reason, result.detail) if isinstance(result, Ineligible) else "",
        problems=problems,
        catalog_items=items.items,
        amount=lambda minor: describe.money(to_decimal(minor, exponent), retailer.currency),
        ran=bool(params.get("run")),
    )


ROUTES = [preview_page]
