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
    bodies = [
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
        queue, seen, wide = ["/admin/dashboard"], set(), {}
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
