"""The marketer's workspace in headless Chromium (as tests/admin/test_browser.py runs it, against a real
`openoffers serve` with the demo retailer): the dashboard and the exports at desktop and at phone
width, and no admin page wider than a 390 px screen, every page reachable by links visited.
Screenshots go to tests/artifacts/ (workspace-*.png)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx

from tests.admin.test_browser import (  # the module's server and browser fixtures, and its helpers
    LAPTOP,
    Server,
    _follow,
    _import_file,
    _page,
    _shot,
    _sign_in,
    browser,
    server,
)

__all__ = ["browser", "server"]  # fixtures used by name below

PHONE = {"width": 390, "height": 844}
MAX_PAGES = 150


def _width(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def _links(page: Any) -> list[str]:
    hrefs: list[str] = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    return hrefs


def test_the_dashboard_and_exports_as_a_marketer_would(browser: Any, server: Server, artifacts_dir: Path) -> None:
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            _follow(page, "nav >> text=Dashboard")
            assert page.url.endswith("/admin/dashboard")
            assert page.inner_text("h1") == "Dashboard"
            _shot(page, artifacts_dir, f"workspace-{name}-01-dashboard")
            # A preset, then custom dates.
            page.select_option("#range", "this_year")
            _follow(page, "button:text('Show')")
            assert "range=this_year" in page.url
            page.fill("#from", "2018-01-01")
            page.fill("#to", "2018-12-31")
            _follow(page, "button:text('Show these dates')")
            assert "1 Jan 2018 to 31 Dec 2018" in page.inner_text("#period-text")
            assert page.inner_text("[data-figure=issued]") == "0"
            _shot(page, artifacts_dir, f"workspace-{name}-02-dashboard-2018")
            # Dates the wrong way round are said in words, and the page still works.
            page.fill("#from", "2019-01-02")
            page.fill("#to", "2019-01-01")
            _follow(page, "button:text('Show these dates')")
            assert "Those dates could not be used" in page.inner_text("[role=alert]")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            # A table as CSV, downloaded as a browser does.
            page.select_option("#range", "this_year")
            _follow(page, "button:text('Show')")
            with page.expect_download() as download:
                page.click("a[href^='/admin/dashboard/csv/offers']")
            text = Path(download.value.path()).read_text()
            assert text.splitlines()[0] == "offer_id,title,issued,redeemed,discount"
            # The exports page: every export downloads with its header.
            _follow(page, "nav >> text=Exports")
            _shot(page, artifacts_dir, f"workspace-{name}-03-exports")
            for export, first in (
                ("customers", "user_id"),
                ("redemptions", "redeemed_at"),
                ("transactions", "created_at"),
                ("points", "entry_id"),
            ):
                with page.expect_download() as download:
                    page.click(f"#export-{export}")
                rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
                assert rows[0][0] == first, export
                if export == "customers":
                    assert len(rows) == 1 + server.count("SELECT count(*) FROM users")
        finally:
            context.close()


def _seed_rules(server: Server) -> None:
    """Two loyalty rules (the demo has none), so the crawl reaches the rule pages too."""
    with sqlite3.connect(server.db_path) as conn:
        retailer = str(UUID(conn.execute("SELECT id FROM retailers").fetchone()[0]))
        offer = str(UUID(conn.execute("SELECT root_offer_id FROM offers LIMIT 1").fetchone()[0]))
    auth = ("demo-admin", "demo-secret")
    bodies: list[dict[str, Any]] = [
        {"kind": "earn", "name": "A point a dollar, with a rather long name to wrap", "rate": "1"},
        {
            "kind": "issuance",
            "name": "Every 200 points",
            "priority": 1,
            "offer_id": offer,
            "trigger": {"type": "points_threshold", "threshold": 200, "balance": "lifetime"},
            "recurrence": "every_time",
            "per_user_cap": 3,
        },
    ]
    for body in bodies:
        response = httpx.post(server.url + "/api/2.0/rules/create", json={"retailer_id": retailer, **body}, auth=auth)
        assert response.status_code == 200, response.text


def test_no_admin_page_is_wider_than_a_phone(browser: Any, server: Server, artifacts_dir: Path) -> None:
    """Every admin page reachable by links from the dashboard, at 390 px: none scrolls sideways."""
    _seed_rules(server)
    context, page = _page(browser, viewport=PHONE)
    try:
        _sign_in(page, server)
        base = urlsplit(server.url)
        queue, seen, wide = ["/admin/dashboard"], set[str](), {}
        while queue and len(seen) < MAX_PAGES:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = page.goto(server.url + path)
            assert response is not None and response.status < 400, path
            if page.url.rstrip("/").endswith("/admin/login"):
                raise AssertionError(f"{path} signed out")
            width = _width(page)
            if width > PHONE["width"]:
                wide[path] = width
                _shot(page, artifacts_dir, "workspace-too-wide-" + path.strip("/").replace("/", "_")[:60])
            for href in _links(page):
                parts = urlsplit(href)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if (parts.netloc, parts.scheme) != (base.netloc, base.scheme) or not parts.path.startswith("/admin"):
                    continue
                if "/csv/" in parts.path or parts.path.startswith("/admin/static") or target in seen:
                    continue
                queue.append(target)
        assert wide == {}, wide
        visited = " ".join(sorted(seen))
        for section in ("customers", "rules", "offers"):  # the crawl did reach the pages of one thing
            assert re.search(rf"/admin/{section}/[0-9a-f-]{{36}}", visited), section
        for listed in ("/admin/stores", "/admin/transactions", "/admin/exports", "/admin/pos-clients", "/admin/keys"):
            assert listed in seen, listed
        _shot(page, artifacts_dir, "workspace-phone-last-page")
    finally:
        context.close()


def test_catalog_preview_and_customers_as_a_marketer_would(
    browser: Any, server: Server, artifacts_dir: Path, tmp_path: Path
) -> None:
    good = tmp_path / "catalog.csv"
    good.write_text("item_id,name,category_ids\nlatte,Latte,coffee\nmuffin,Blueberry muffin,bakery\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,name,category_ids\n,No id,x\ntea,Tea,hot\n")
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            # The catalog: a bad file is refused line by line, a good one imported, then searched.
            _follow(page, "nav >> text=Catalog")
            before = server.rows()
            _import_file(page, "#catalog-file", bad)
            assert "Nothing was imported." in page.inner_text("#import-problems")
            assert server.rows() == before
            _shot(page, artifacts_dir, f"workspace-{name}-04-catalog-refused")
            _import_file(page, "#catalog-file", good)
            assert "Imported 2 items" in page.inner_text("#import-result")
            page.fill("#q", "muff")
            _follow(page, "button:text('Find')")
            assert page.inner_text("#item-count") == "1 item match “muff”."
            _shot(page, artifacts_dir, f"workspace-{name}-05-catalog")
            assert _width(page) <= viewport["width"]
            # An offer's preview: a check of two lines at the first store.
            _follow(page, "nav >> text=Offers")
            _follow(page, "tbody a >> nth=0")
            _follow(page, "text=Preview on a check")
            page.fill("#item-0", "latte")
            page.fill("#price-0", "20")
            page.fill("#item-1", "muffin")
            page.fill("#price-1", "3.50")
            _follow(page, "button:text('Preview')")
            assert page.is_visible("#preview-result")
            text = page.inner_text("#preview-result")
            assert "Latte" in text and "Blueberry muffin" in text
            assert page.query_selector("#preview-total") or page.query_selector("#preview-reason")
            _shot(page, artifacts_dir, f"workspace-{name}-06-preview")
            assert _width(page) <= viewport["width"]
            assert server.rows() != before  # the catalog import changed it; the preview did not (below)
            after = server.rows()
            page.reload()
            assert server.rows() == after
            # Customers: the list to browse, then a partial search.
            _follow(page, "nav >> text=Customers")
            assert "newest first" in page.inner_text("#customer-count")
            page.fill("#q", "143112")
            _follow(page, "button:text('Find')")
            assert page.locator("#customer-list tbody tr").count() >= 1
            _shot(page, artifacts_dir, f"workspace-{name}-07-customers")
            assert _width(page) <= viewport["width"]
        finally:
            context.close()


def test_edit_a_store_and_import_customers_as_a_marketer_would(
    browser: Any, server: Server, artifacts_dir: Path, tmp_path: Path
) -> None:
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        customers = tmp_path / f"customers-{name}.csv"
        customers.write_text(f"external_customer_id,first_name,last_name\nIMP-{name}-1,Imported,{name.title()}\n")
        bad = tmp_path / "bad.csv"
        bad.write_text("external_customer_id,first_name,email\nX-1,Bad,not an email\n")
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            # A store renamed and tagged.
            _follow(page, "nav >> text=Stores")
            _follow(page, "tbody a:text('Edit') >> nth=0")
            _shot(page, artifacts_dir, f"workspace-{name}-08-store-edit")
            assert _width(page) <= viewport["width"]
            page.fill("#f-tags", f"downtown, {name}")
            _follow(page, "button:text('Save changes')")
            assert "Store saved." in page.inner_text("[role=status]")
            assert f">{name}</span>" in page.content()
            # Customers imported: a bad file changes nothing, a good one adds them.
            _follow(page, "nav >> text=Customers")
            _follow(page, "text=Import customers")
            before = server.rows()
            _import_file(page, "#customer-file", bad)
            assert "Nothing was imported." in page.inner_text("#import-problems")
            assert server.rows() == before
            _import_file(page, "#customer-file", customers)
            assert "Imported 1 customer." in page.inner_text("#import-result")
            _shot(page, artifacts_dir, f"workspace-{name}-09-customer-import")
            assert _width(page) <= viewport["width"]
            _follow(page, "text=See them in the list.")
            page.fill("#q", f"imp-{name}")
            _follow(page, "button:text('Find')")
            assert page.locator("#customer-list tbody tr").count() == 1
        finally:
            context.close()
