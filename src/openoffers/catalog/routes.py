"""Catalog routes: bulk item import."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.catalog import service
from openoffers.catalog.schemas import CatalogImportRequest, CatalogImportResult
from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.tenancy.guards import WRITE_ROLES, offers_call

Req = Request[Any, Any, Any]
CATALOG = ("catalog",)


@endpoint(
    "/api/2.0/catalog/import",
    summary="Import catalog items",
    request=CatalogImportRequest,
    response=CatalogImportResult,
    tags=CATALOG,
)
async def import_catalog(request: Req) -> Response[bytes]:
    """Items (`item_id`, `name`, `category_ids[]`), up to 5,000 a call, inserted or replaced by
    `item_id`, all or none. For bigger files use `openoffers catalog import`."""
    call = await offers_call(request, CatalogImportRequest, WRITE_ROLES)
    return ok(await service.import_items(call.db, call.body, call.now))


ROUTES = [import_catalog]
