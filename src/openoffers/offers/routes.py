"""Offers API routes (API.md 3.3): decode, authorize, call one service function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.offers import service
from openoffers.offers.schemas import (
    CreateOfferRequest,
    FetchOfferRequest,
    FetchOfferResult,
    ListOffersRequest,
    MutationResult,
    OfferDetailsList,
    OfferDetailsRequest,
    OfferList,
    UpdateOfferRequest,
)
from openoffers.tenancy.guards import READ_ROLES, WRITE_ROLES, offers_call

Req = Request[Any, Any, Any]
TAGS = ("offers",)


@endpoint(
    "/api/2.0/offers/management/create",
    summary="Create an offer",
    request=CreateOfferRequest,
    response=MutationResult,
    tags=TAGS,
    description="Creates an offer. With `publish: true` it is published when complete; otherwise it is kept "
    "as a draft and `validation_errors` says per field what publishing needs.",
)
async def create_offer(request: Req) -> Response[bytes]:
    call = await offers_call(request, CreateOfferRequest, WRITE_ROLES)
    return ok(await service.create_offer(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/management/update",
    summary="Update an offer",
    request=UpdateOfferRequest,
    response=MutationResult,
    tags=TAGS,
    description="Replaces the offer's definition. If user offers already reference it, a new revision is "
    "created (new offer_id, same root_offer_id, `revisioned: true`) and issued user offers keep their terms.",
)
async def update_offer(request: Req) -> Response[bytes]:
    call = await offers_call(request, UpdateOfferRequest, WRITE_ROLES)
    return ok(await service.update_offer(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/fetch_offer",
    summary="Fetch an offer",
    request=FetchOfferRequest,
    response=FetchOfferResult,
    tags=TAGS,
)
async def fetch_offer(request: Req) -> Response[bytes]:
    """One offer revision with its text (culture fallback: en-us finds en), media and restrictions."""
    call = await offers_call(request, FetchOfferRequest, READ_ROLES)
    offer = await service.fetch_offer(call.db, call.body.retailer_id, call.body.offer_id, call.body.culture)
    return ok(FetchOfferResult(offer=offer))


@endpoint("/api/2.0/offers/list", summary="List offers", request=ListOffersRequest, response=OfferList, tags=TAGS)
async def list_offers(request: Req) -> Response[bytes]:
    """Latest revisions, newest first, filtered by status, type, reward store and title search; paged."""
    call = await offers_call(request, ListOffersRequest, READ_ROLES)
    return ok(await service.list_offers(call.db, call.body))


@endpoint(
    "/api/2.0/offers/fetch_offers_details",
    summary="Offer counts",
    request=OfferDetailsRequest,
    response=OfferDetailsList,
    tags=TAGS,
)
async def fetch_offers_details(request: Req) -> Response[bytes]:
    """Acquisition and redemption counts and inventory per offer."""
    call = await offers_call(request, OfferDetailsRequest, READ_ROLES)
    return ok(await service.offer_details(call.db, call.body))


ROUTES = [
    create_offer,
    update_offer,
    fetch_offer,
    list_offers,
    fetch_offers_details,
]
