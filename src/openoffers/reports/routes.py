"""Reports route: the dashboard's figures by API."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.reports import service
from openoffers.reports.schemas import ReportOut, ReportRequest
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.guards import READ_ROLES, offers_call

Req = Request[Any, Any, Any]


@endpoint(
    "/api/2.0/reports/programme",
    summary="Programme figures for a date range",
    request=ReportRequest,
    response=ReportOut,
    tags=("reports",),
)
async def programme_report(request: Req) -> Response[bytes]:
    """Issued, redeemed, redemption rate, discount given, checks with an offer and their revenue, points
    earned, spent and expired; by offer, rule, store and day. The range is a preset (`range`) or local
    dates (`from`, `to`, both included) in the retailer's time zone."""
    call = await offers_call(request, ReportRequest, READ_ROLES)
    retailer = await tenancy.get_retailer(call.db, call.body.retailer_id)
    return ok(await service.programme_report(call.db, retailer, call.body, call.now))


ROUTES = [programme_report]
