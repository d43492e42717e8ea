"""The loyalty settings page in headless Chromium (as tests/admin/test_browser.py runs it, against a real
`openoffers serve` with the demo retailer), at desktop and at phone width: point expiry is turned on from
the navigation, a wrong value is said next to its field, and the page fits a 390 px screen. Screenshots
go to tests/artifacts/ (settings-*.png)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.admin.test_browser import LAPTOP, Server, _follow, _page, _shot, _sign_in, browser, server

__all__ = ["browser", "server"]  # fixtures used by name below

PHONE = {"width": 390, "height": 844}


def _months(server: Server) -> Any:
    with sqlite3.connect(server.db_path) as conn:
        return conn.execute("SELECT points_expiry_months FROM loyalty_settings").fetchone()


def test_an_owner_turns_point_expiry_on_and_off(browser: Any, server: Server, artifacts_dir: Path) -> None:
    for viewport, name, months in ((LAPTOP, "desktop", "12"), (PHONE, "phone", "0")):
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            if viewport is PHONE:
                page.goto(server.url + "/admin/settings")
            else:
                _follow(page, "nav >> text=Settings")
            assert page.inner_text("h1") == "Loyalty settings"
            _shot(page, artifacts_dir, f"settings-{name}-01-form")
            page.fill("#f-points-expiry-months", "a year")
            _follow(page, "button:text('Save settings')")
            assert "Enter a whole number of months from 0 to 120" in page.inner_text("main")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            _shot(page, artifacts_dir, f"settings-{name}-02-refused")
            page.fill("#f-points-expiry-months", months)
            _follow(page, "button:text('Save settings')")
            assert page.inner_text("[role=status]") == "Loyalty settings saved."
            assert page.input_value("#f-points-expiry-months") == months
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            _shot(page, artifacts_dir, f"settings-{name}-03-saved")
        finally:
            context.close()
    assert _months(server) == (None,)
