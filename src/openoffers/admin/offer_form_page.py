"""The offer form's page and its one reading of a submission, shared by saving it (`routes`) and by
previewing its unsaved values on a check (`preview_pages`): what is priced is what would be saved."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.response import Response

from openoffers.admin import catalog_targeting
from openoffers.admin.check_builder import CheckView, blank_value, check_view, read_check
from openoffers.admin.forms import IndexMap, OfferForm, decode_partly, map_errors, offer_body
from openoffers.admin.web import Admin, Req, notice, render
from openoffers.context import context
from openoffers.kit.db import Database
from openoffers.offers import service as offers
from openoffers.offers.repository import OfferRow
from openoffers.offers.schemas import CreateOfferRequest, UpdateOfferRequest
from openoffers.tenancy import service as tenancy


async def offer_form_page(
    request: Req,
    admin: Admin,
    form: OfferForm,
    *,
    offer: OfferRow | None,
    status: int = 200,
    problems_banner: bool = False,
    preview: CheckView | None = None,
) -> Response[Any]:
    """The offer form (`offer` None: a new offer). With `preview`, the check builder's values and what
    the form's unsaved terms gave on it; the form's problems are then listed there, not as a refusal.
    Without, the builder is blank."""
    ctx = context(request)
    stores = await tenancy.list_stores(ctx.db, admin.retailer.id)
    if preview is None:
        blank = await read_check(ctx, admin.retailer, blank_value)
        preview = await check_view(ctx, admin.retailer, blank, None, ran=False)
    return render(
        "offer_form.html",
        status=status,
        admin=admin,
        notice=notice(request),
        form=form,
        offer=offer,
        store_options=[(str(s.id), s.name) for s in stores],
        problems_banner=problems_banner,
        currency=admin.retailer.currency,
        timezone=admin.retailer.timezone,
        picker=await catalog_targeting.picker(ctx.db, admin.retailer.id),
        view=preview,
        previewed=preview.ran,
    )


def form_body(admin: Admin, form: OfferForm, offer: OfferRow | None, publish: bool) -> tuple[dict[str, Any], IndexMap]:
    """The Offers API body the form describes (create, or update of `offer`)."""
    return offer_body(
        form,
        retailer_id=admin.retailer.id,
        timezone=admin.retailer.timezone,
        default_culture=admin.retailer.culture,
        publish=publish,
        offer_id=offer.id if offer else None,
    )


async def checked_offer(
    db: Database, retailer_id: UUID, body: dict[str, Any], index_map: IndexMap, offer: OfferRow | None, publish: bool
) -> tuple[CreateOfferRequest | UpdateOfferRequest | None, dict[str, list[str]]]:
    """The submission decoded as the API decodes it, and every problem by form key: what does not
    decode, what the service would refuse, and with `publish` what publishing needs. Reads only; the
    request is None whenever there is a problem."""
    target = CreateOfferRequest if offer is None else UpdateOfferRequest
    decoded, errors, rest, rows = decode_partly(body, target, index_map)
    if rest is not None:
        more = await offers.problems_of(db, retailer_id, rest, publish)
        for key, problems in map_errors(more, rows).items():
            errors.setdefault(key, []).extend(p for p in problems if p not in errors.get(key, []))
    if errors or decoded is None:
        return None, errors
    assert isinstance(decoded, CreateOfferRequest | UpdateOfferRequest)
    return decoded, {}
