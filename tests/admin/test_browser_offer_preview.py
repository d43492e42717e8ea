"""The offer form's preview of its unsaved values in headless Chromium (as tests/admin/test_browser.py
runs it, against a real `openoffers serve` with the demo retailer), at desktop and at 390 px: an edit
typed but not saved is priced, Enter in the check previews rather than saves, problems are listed
instead of a price, a new offer is priced before it exists, and no row of the database changes.
Screenshots go to tests/artifacts/ (offer-form-preview-*.png)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from tests.admin.test_browser import LAPTOP, Server, _follow, _page, _shot, _sign_in, browser, server

__all__ = ["browser", "server"]  # fixtures used by name below

PHONE = {"width": 390, "height": 844}


def _five_off(server: Server, title: str) -> str:
    """A published "$5 off the check" offer of the demo retailer, made through the API."""
    with sqlite3.connect(server.db_path) as conn:
        retailer = str(UUID(conn.execute("SELECT id FROM retailers").fetchone()[0]))
    body = {
        "retailer_id": retailer,
        "offer_type": "fixed_amount_check_discount",
        "publish": True,
        "text_config": [{"title": title, "culture": "en"}],
        "discount_config": {"amount": 5},
    }
    response = httpx.post(
        server.url + "/api/2.0/offers/management/create", json=body, auth=("demo-admin", "demo-secret")
    )
    assert response.status_code == 200, response.text
    return str(response.json()["payload"]["offer_id"])


def _fill_check(page: Any, price: str) -> None:
    """One line on the check: the preview section opened, a latte at `price`."""
    if page.get_attribute("#f-preview", "open") is None:
        page.click("#f-preview > summary")
    page.fill("#item-0", "latte")
    page.fill("#price-0", price)


def _width(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_preview_unsaved_offer_terms_as_a_marketer_would(browser: Any, server: Server, artifacts_dir: Path) -> None:
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        offer_id = _five_off(server, f"Five off ({name})")
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            page.goto(f"{server.url}/admin/offers/{offer_id}/edit")
            before = server.rows()
            # "$5 off" typed as "$7 off", not saved, previewed on a $20 check.
            page.fill("#f-discount-config-amount", "7")
            _fill_check(page, "20")
            _follow(page, "#preview-button")
            assert page.url.endswith(f"/admin/offers/{offer_id}/preview#f-preview")
            assert page.inner_text("#preview-total") == "$7.00"
            assert page.inner_text("[data-line='0']") == "$7.00"
            assert page.input_value("#f-discount-config-amount") == "7"  # the form as typed
            assert server.rows() == before
            assert _width(page) <= viewport["width"]
            _shot(page, artifacts_dir, f"offer-form-preview-{name}-01-unsaved")
            # Enter in the check previews (the form's own Enter would save): $8 off, still unsaved.
            page.fill("#f-discount-config-amount", "8")
            with page.expect_navigation():
                page.press("#price-0", "Enter")
            assert page.inner_text("#preview-total") == "$8.00"
            assert server.rows() == before
            # The saved offer still gives $5.00.
            page.goto(f"{server.url}/admin/offers/{offer_id}/preview")
            page.fill("#item-0", "latte")
            page.fill("#price-0", "20")
            _follow(page, "button:text('Preview')")
            assert page.inner_text("#preview-total") == "$5.00"
            # Problems instead of a price: no title and no amount.
            page.goto(f"{server.url}/admin/offers/{offer_id}/edit")
            page.fill("#f-text-0-title", "")
            page.fill("#f-discount-config-amount", "")
            _fill_check(page, "20")
            _follow(page, "#preview-button")
            problems = page.inner_text("#preview-problems")
            assert "Fix these to see a price (nothing was saved)" in problems
            assert "Text: This needs at least one text with a title." in problems
            assert "Amount off: A “Amount off the check” offer needs an amount above 0." in problems
            assert page.query_selector("#preview-result") is None
            assert page.is_visible("#f-discount-config-amount-error")
            assert server.rows() == before
            assert _width(page) <= viewport["width"]
            _shot(page, artifacts_dir, f"offer-form-preview-{name}-02-problems")
            # A new offer, never saved: $3 off the check.
            _follow(page, "nav >> text=Offers")
            page.goto(f"{server.url}/admin/offers/new")
            page.select_option("#f-offer-type", "fixed_amount_check_discount")
            page.fill("#f-text-0-title", f"Three off ({name})")
            page.fill("#f-discount-config-amount", "3")
            _fill_check(page, "12.50")
            _follow(page, "#preview-button")
            assert page.url.endswith("/admin/offers/new/preview#f-preview")
            assert page.inner_text("#preview-total") == "$3.00"
            assert server.rows() == before
            assert _width(page) <= viewport["width"]
            _shot(page, artifacts_dir, f"offer-form-preview-{name}-03-new-offer")
        finally:
            context.close()
