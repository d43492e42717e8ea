"""The offer preview: a check built by hand (catalog items, store, channel, time, optionally a
customer) and what the offer would give on it, line by line, or why it would not apply. Computed by
`pos.preview`, the POS's own basket, restrictions, use limit and pricing engine; nothing is written.

Two things can be previewed:
- an offer's saved terms, on its own page (`GET /offers/{id}/preview`, a bookmarkable GET form);
- the offer form's current, unsaved values (`POST /offers/new/preview`, `POST /offers/{id}/preview`,
  the form's "Preview" button): the form is read by the same code that saves it (`offer_form_page.
  checked_offer`, the API's decoder and the offers service's checks, as "Save and publish" asks), into
  a definition that is priced and never written. If the form has problems, they are listed instead of
  a price, each also next to its field.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin.check_builder import check_view, read_check
from openoffers.admin.forms import parse_offer_form
from openoffers.admin.offer_form_page import checked_offer, form_body, offer_form_page
from openoffers.admin.web import Admin, Req, redirect, render, require_admin, submitted, uuid_or_404
from openoffers.catalog import browse as catalog
from openoffers.context import context
from openoffers.offers import service as offers
from openoffers.offers.repository import DELETED, OfferRow
from openoffers.pos.preview import preview_offer, preview_terms
from openoffers.pricing import Discount, Ineligible

DATALIST_ITEMS = 500  # the picker's suggestions; any other id may still be typed


@get("/offers/{offer_id:str}/preview", include_in_schema=False)
async def preview_page(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    """The saved terms of the offer on the check the query describes (`run` prices it)."""
    admin = await require_admin(request)
    ctx = context(request)
    retailer = admin.retailer
    offer = await offers.fetch_offer(ctx.db, retailer.id, uuid_or_404(offer_id, "offer"), None)
    params = request.query_params
    check = await read_check(ctx, retailer, lambda name: params.get(name) or "")
    ran = bool(params.get("run"))
    result: Discount | Ineligible | None = None
    if ran and check.ready():
        result = (await preview_offer(ctx.db, retailer, offer_id=offer.id, **check.call(ctx.clock()))).result
    items = await catalog.list_items(ctx.db, retailer.id, "", skip=0, take=DATALIST_ITEMS)
    return render(
        "offer_preview.html",
        admin=admin,
        offer=offer,
        catalog_items=items.items,
        view=await check_view(ctx, retailer, check, result, ran=ran),
    )


async def _form_preview(request: Req, admin: Admin, offer: OfferRow | None) -> Response[Any]:
    """The offer form's unsaved values priced on the form's check; the form comes back as it was typed."""
    ctx = context(request)
    retailer = admin.retailer
    data = await submitted(request, admin.csrf)
    form, _ = parse_offer_form(data)
    # What "Save and publish" would check: the POS prices only a publishable offer.
    body, index_map = form_body(admin, form, offer, publish=True)
    decoded, errors = await checked_offer(ctx.db, retailer.id, body, index_map, offer, publish=True)
    form.place_errors(errors)
    check = await read_check(ctx, retailer, lambda name: (data.get(name) or [""])[0])
    result: Discount | Ineligible | None = None
    if check.ready() and decoded is not None:
        terms = offers.unsaved_terms(decoded, retailer.exponent)
        root = offer.root_offer_id if offer else None
        priced = await preview_terms(ctx.db, retailer, terms=terms, root_offer_id=root, **check.call(ctx.clock()))
        result = priced.result
    view = await check_view(ctx, retailer, check, result, ran=True)
    return await offer_form_page(request, admin, form, offer=offer, preview=view)


@post("/offers/new/preview", include_in_schema=False)
async def new_offer_preview(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return await _form_preview(request, admin, None)


@post("/offers/{offer_id:str}/preview", include_in_schema=False)
async def edited_offer_preview(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    ctx = context(request)
    latest = await offers.latest_revision(ctx.db, admin.retailer.id, uuid_or_404(offer_id, "offer"))
    if latest.status == DELETED:
        return redirect(f"/admin/offers/{latest.id}")  # as its edit page does: a deleted offer is not edited
    return await _form_preview(request, admin, latest)


ROUTES = [preview_page, new_offer_preview, edited_offer_preview]
