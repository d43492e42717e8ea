"""The marketer's workspace pages (issue 13): the dashboard and exports, customer import, the offer
preview, the catalog and store editing. `routes.ADMIN_ROUTER` registers them before the pages whose
addresses they share a prefix with (/customers/import before /customers/{id})."""

from __future__ import annotations

from openoffers.admin import catalog_pages, customer_import_pages, dashboard_pages, preview_pages, store_edit_pages

ROUTES = [
    *dashboard_pages.ROUTES,
    *customer_import_pages.ROUTES,
    *preview_pages.ROUTES,
    *catalog_pages.ROUTES,
    *store_edit_pages.ROUTES,
]
