"""The admin UI in headless Chromium against a real `openoffers serve` on SQLite.

Debian's `chromium` (found on PATH) is driven by Playwright for Python; Playwright's own browser
download is never used. Each page visited is saved as a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.serve_support import OPENOFFERS, serving

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LAPTOP: ViewportSize = {"width": 1366, "height": 900}
TABLET: ViewportSize = {"width": 820, "height": 1180}


def _require_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("OPENOFFERS_REQUIRE_BROWSER"):
            pytest.fail("OPENOFFERS_REQUIRE_BROWSER is set but `chromium` is not on PATH (apt-get install chromium)")
        pytest.skip("browser tests need Debian's `chromium` on PATH (apt-get install chromium)")
    return CHROMIUM


@dataclass
class Server:
    url: str
    db_path: Path

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to assert that nothing changed."""
        with sqlite3.connect(self.db_path) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            return {t: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t}"')), key=repr) for t in tables}

    def count(self, sql: str) -> int:
        with sqlite3.connect(self.db_path) as conn:
            return int(conn.execute(sql).fetchone()[0])


@contextmanager
def demo_server(tmp: Path, env: dict[str, str], workers: int = 1) -> Iterator[Server]:
    """`openoffers serve` on a new SQLite file holding the demo retailer (needs Chromium to be useful)."""
    _require_chromium()
    db_path = tmp / "x.db"
    url = f"sqlite:///{db_path}"
    subprocess.run([OPENOFFERS, "demo", "--database-url", url, "--json"], check=True, capture_output=True, timeout=120)
    with serving(url, tmp, workers=workers, env=env) as base:
        yield Server(base, db_path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # No webhook worker: it would mark outbox events dispatched between two `rows()` snapshots.
    with demo_server(tmp_path_factory.mktemp("browser"), {"OPENOFFERS_WEBHOOK_POLL_MS": "0"}) as served:
        yield served


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_require_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser: Any, **options: Any) -> Any:
    context = browser.new_context(viewport=options.pop("viewport", LAPTOP), **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)


def _expect_focus(page: Any, attribute: str, value: str) -> None:
    """Wait (bounded) until the focused element has `attribute` == `value`.

    Browsers apply `autofocus` on a rendering step after the load event, so reading
    `document.activeElement` right after navigation races it on a busy machine.
    """
    script = f"document.activeElement && document.activeElement.{attribute} === {value!r}"
    try:
        page.wait_for_function(script, timeout=5000)
    except Exception:
        focused = page.evaluate(f"document.activeElement && document.activeElement.{attribute}")
        raise AssertionError(f"focus is on {attribute}={focused!r}, expected {value!r}") from None


def _follow(page: Any, target: Any) -> None:
    """Click a link (a selector or a locator) and wait for the page it leads to.

    Without the wait, the next read may still see the page the click left (a row count, the page's
    HTML), which fails now and then on a busy machine.
    """
    with page.expect_navigation():
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()


def _import_file(page: Any, field: str, path: Path) -> None:
    """Choose a file for an import form and send it. The page's script sends it and shows the result in
    place (no navigation): wait until the script has put the result there."""
    page.set_input_files(field, str(path))
    page.click("button:text('Import')")
    page.wait_for_selector("#import-progress[data-stage=done]", state="attached")


def _sign_in(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    assert page.url.endswith("/admin/login")
    # Keyboard only: the key field has focus, Tab reaches the secret, Enter submits.
    _expect_focus(page, "id", "key")
    page.keyboard.type("demo-admin")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-secret")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/dashboard")  # the home page
    page.goto(server.url + "/admin/offers")


def _unlabelled_fields(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
                .map(el => el.name)"""
        )
    )


def _fits_width(page: Any) -> bool:
    """Neither the page nor any table on it needs sideways scrolling."""
    return bool(
        page.evaluate(
            """() => document.documentElement.scrollWidth <= window.innerWidth
                && [...document.querySelectorAll('.table-wrap')].every(el => el.scrollWidth <= el.clientWidth)"""
        )
    )


def test_sign_in_create_publish_and_set_up_a_store_and_pos_client(
    browser: Any, server: Server, artifacts_dir: Path
) -> None:
    context, page = _page(browser)
    try:
        page.goto(server.url + "/admin/login")
        assert "make serve" in page.inner_text("main")
        _shot(page, artifacts_dir, "01-sign-in")
        _sign_in(page, server)
        _shot(page, artifacts_dir, "02-offers")

        # A new offer with restrictions, through the form.
        page.click("text=New offer")
        assert _unlabelled_fields(page) == []
        page.select_option("#f-offer-type", "percent_item_discount")
        assert page.is_hidden("#f-discount-config-amount")  # the little script shows the type's fields
        page.fill("#f-text-0-title", "20% off morning coffee")
        page.fill("#f-text-0-description", "Any coffee, before 11.")
        page.fill("#f-text-0-terms-and-conditions", "One per visit.")
        page.fill("#f-discount-config-percent", "20")
        page.fill("#f-discount-config-max-items", "1")
        page.fill("#f-common-config-validity-period", "14")
        page.select_option("#f-common-config-validity-unit", "days")
        page.click("#f-location-restrictions > summary")
        page.check("input[name='stores.0.store_ids'] >> nth=0")
        page.click("#f-use-restrictions > summary")
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
            page.check(f"input[name='days_of_week.0.days'][value='{day}']")
        page.fill("#f-time-of-day-0-start", "07:00")
        page.fill("#f-time-of-day-0-end", "11:00")
        page.click("#f-issuance-restrictions > summary")
        page.fill("#f-inventory-0-total", "500")
        page.fill("#f-per-customer-0-max", "1")
        _shot(page, artifacts_dir, "03-new-offer-form")
        page.click("button:text('Save draft')")
        page.wait_for_url("**/admin/offers/*?notice=created")
        assert "Offer saved as a draft." in page.inner_text("main")
        assert "On Monday, Tuesday, Wednesday, Thursday and Friday" in page.inner_text("main")
        assert "Between 07:00 and 11:00" in page.inner_text("main")

        # Publish it.
        page.click("button:text('Publish')")
        page.wait_for_url("**notice=published")
        assert page.inner_text(".page-head .badge") == "Published"
        assert "No activity yet" in page.inner_html(".chart")
        _shot(page, artifacts_dir, "04-offer-detail")

        # It is in the list, and the search finds it.
        _follow(page, "nav.mainnav >> text=Offers")
        page.fill("#search", "morning")
        _follow(page, "button:text('Filter')")
        rows = page.locator("tbody tr")
        assert rows.count() == 1
        assert "20% off morning coffee" in rows.inner_text() and "Published" in rows.inner_text()
        _shot(page, artifacts_dir, "05-offers-search")
        _follow(page, rows.locator("a"))
        assert page.inner_text("h1") == "20% off morning coffee"
        _follow(page, "a:text('Edit')")
        _shot(page, artifacts_dir, "06-edit-offer")

        # A store, then a POS client for it whose secret is shown once.
        _follow(page, "nav.mainnav >> text=Stores")
        _follow(page, "text=New store")
        page.fill("#f-name", "Uptown")
        page.fill("#f-tags", "north, drive-thru")
        _shot(page, artifacts_dir, "07-new-store")
        page.click("button:text('Create store')")
        page.wait_for_url("**/admin/stores?notice=store_created")
        assert "Uptown" in page.inner_text("tbody")
        _shot(page, artifacts_dir, "08-stores")

        _follow(page, "nav.mainnav >> text=POS clients")
        _follow(page, "text=New POS client")
        page.fill("#f-name", "Uptown tills")
        page.check("label:has-text('Uptown') input")
        page.click("button:text('Create POS client')")
        secret = page.inner_text("#secret-value")
        client_id = page.inner_text("#public-value")
        assert len(secret) >= 24 and "Copy the secret now." in page.inner_text("main")
        _shot(page, artifacts_dir, "09-pos-client-secret")
        _follow(page, "text=Back to POS clients")
        listing = page.content()
        assert client_id in listing and secret not in listing
        _shot(page, artifacts_dir, "10-pos-clients")

        _follow(page, "nav.mainnav >> text=API keys")
        _shot(page, artifacts_dir, "11-api-keys")

        # Sign out: the pages need signing in again.
        page.click("button:text('Sign out')")
        page.wait_for_url("**/admin/login?notice=signed_out")
        assert "You have signed out." in page.inner_text("main")
        page.goto(server.url + "/admin/offers")
        assert "/admin/login" in page.url
        _shot(page, artifacts_dir, "12-signed-out")
    finally:
        context.close()


DEMO_CUSTOMER = "7802673c-0c37-11e8-8ca7-2605c0686dd6"
DEMO_USER_OFFER = "757144c2-6693-4a29-9f2c-f1d3aa2fa24f"
DEMO_STORE = "136b6d16-1317-4ac6-b551-19540d53bd6c"
DEMO_POS = ("d4d950af-1a37-4a10-ba8b-c2fb8ee24340", "qPCFe7NqE5M9E2")


def _close_a_demo_check(server: Server) -> None:
    """The demo POS closes a check redeeming the demo customer's $5 offer (for the transactions page)."""
    check = {
        "transaction_id": "B-1001",
        "is_closed": True,
        "items": [{"line_id": "1", "item_id": "latte", "quantity": 2, "unit_price": "4.50"}],
        "discounts": [{"reference_id": DEMO_USER_OFFER, "discount_source": "sessionm", "amount": 5}],
    }
    envelope = {"store_id": DEMO_STORE, "client_id": DEMO_POS[0], "request_id": "b-1", "request_payload": check}
    response = httpx.post(f"{server.url}/api/2.0/send_transaction", json=envelope, auth=DEMO_POS, timeout=10)
    assert response.status_code == 200, response.text


def test_find_a_customer_issue_an_offer_and_simulate_a_rule(browser: Any, server: Server, artifacts_dir: Path) -> None:
    context, page = _page(browser)
    try:
        _sign_in(page, server)
        # An offer with restrictions, published straight from the form.
        page.click("text=New offer")
        page.select_option("#f-offer-type", "fixed_amount_check_discount")
        page.fill("#f-text-0-title", "$2 off a $10 check")
        page.fill("#f-discount-config-amount", "2")
        page.click("#f-purchase-restrictions > summary")
        page.fill("#f-min-subtotal-0-amount", "10")
        page.click("#f-issuance-restrictions > summary")
        page.fill("#f-per-customer-0-max", "1")
        page.click("button:text('Save and publish')")
        page.wait_for_url("**notice=published")
        assert "Minimum spend $10.00" in page.inner_text("main")

        # Find the demo customer by their external id.
        _follow(page, "nav.mainnav >> text=Customers")
        _expect_focus(page, "id", "q")
        page.keyboard.type("14311211")
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/customers?q=14311211")
        rows = page.locator("tbody tr")
        assert rows.count() == 1 and "14311211" in rows.inner_text()
        _shot(page, artifacts_dir, "19-customer-search")
        rows.locator("a").click()
        page.wait_for_url(f"**/admin/customers/{DEMO_CUSTOMER}")
        assert page.inner_text("h1") == "J H"
        assert _unlabelled_fields(page) == []
        _shot(page, artifacts_dir, "20-customer")

        # Issue the new offer; it is in the wallet, and its history says who issued it.
        page.select_option("#f-offer-id", label="$2 off a $10 check")
        page.click("button:text('Issue offer')")
        page.wait_for_url("**notice=issued**")
        assert "Offer issued." in page.inner_text(".notice")
        wallet = page.inner_text("#wallet")
        assert "$2 off a $10 check" in wallet and "Issued" in wallet
        page.click("#history summary:has-text('$2 off a $10 check')")
        assert "by api_key:demo-admin" in page.inner_text("#history")

        # A goodwill adjustment, recorded with its reason.
        page.fill("#f-amount", "25")
        page.fill("#f-reason", "Sorry about the wait")
        page.click("button:text('Adjust points')")
        page.wait_for_url("**notice=points_adjusted")
        assert "Sorry about the wait" in page.inner_text("#ledger")
        _shot(page, artifacts_dir, "21-customer-wallet")

        # Two rules through the forms: triple points on lattes, and the offer for a $15 check.
        _follow(page, "nav.mainnav >> text=Rules")
        _follow(page, "a:text('New rule')")
        _follow(page, "text=Earn points")
        page.fill("#f-name", "2 points per dollar")
        page.fill("#f-rate", "2")
        page.fill("#f-multipliers-0-factor", "3")
        page.fill("#f-multipliers-0-item-ids", "latte")
        assert _unlabelled_fields(page) == []
        _shot(page, artifacts_dir, "22-new-earn-rule")
        page.click("button:text('Create rule')")
        page.wait_for_url("**/admin/rules?notice=rule_created")
        _follow(page, "a:text('New rule')")
        _follow(page, "text=Issue an offer")
        page.fill("#f-name", "Big check reward")
        page.select_option("#f-offer-id", label="$2 off a $10 check")
        page.select_option("#f-trigger-type", "transaction_closed")
        assert page.is_hidden("#f-visit-count-every")  # the script shows the chosen trigger's fields
        page.fill("#f-transaction-closed-min-spend", "15")
        _shot(page, artifacts_dir, "23-new-issuance-rule")
        page.click("button:text('Create rule')")
        page.wait_for_url("**/admin/rules?notice=rule_created")
        assert "when a check closes of at least $15.00" in page.inner_text("tbody")
        _shot(page, artifacts_dir, "24-rules")

        # Simulate a check for the customer: what it would earn and issue; nothing is saved.
        before = server.rows()
        _follow(page, "a:text('Simulate a check')")
        page.fill("#f-customer", "14311211")
        page.select_option("#f-store-id", label="Downtown")
        page.fill("#f-items-0-item-id", "latte")
        page.fill("#f-items-0-quantity", "2")
        page.fill("#f-items-0-unit-price", "4.50")
        page.fill("#f-items-1-item-id", "bagel")
        page.fill("#f-items-1-quantity", "1")
        page.fill("#f-items-1-unit-price", "3")
        page.click(".form-actions >> button:text('Simulate')")
        result = page.inner_text("#result")
        assert "POINTS EARNED\n60" in result.upper()  # 9.00 x 2 x 3 + 3.00 x 2
        assert "Big check reward: Minimum spend not met" in result
        page.fill("#f-items-0-quantity", "3")
        page.press("#f-items-0-quantity", "Enter")  # Enter simulates
        page.wait_for_url("**run=1**")
        assert "1 × “$2 off a $10 check” from “Big check reward”" in page.inner_text("#result")
        _shot(page, artifacts_dir, "25-simulate")
        assert server.rows() == before

        # A check the POS closed, with the offer it redeemed.
        _close_a_demo_check(server)
        _follow(page, "nav.mainnav >> text=Transactions")
        row = page.locator("tbody tr", has_text="B-1001")
        assert "J H" in row.inner_text() and "redeemed by this check" in row.inner_text()
        _shot(page, artifacts_dir, "26-transactions")

        page.click("button:text('Sign out')")
        page.wait_for_url("**/admin/login?notice=signed_out")
        page.goto(f"{server.url}/admin/customers/{DEMO_CUSTOMER}")
        assert "/admin/login" in page.url
    finally:
        context.close()


def test_edit_a_customer_profile(browser: Any, server: Server, artifacts_dir: Path) -> None:
    context, page = _page(browser)
    try:
        _sign_in(page, server)
        page.goto(f"{server.url}/admin/customers/{DEMO_CUSTOMER}")
        page.click("a:text('Edit profile')")
        page.wait_for_url(f"**/admin/customers/{DEMO_CUSTOMER}/edit")
        assert _unlabelled_fields(page) == []
        # A bad email is shown at the field, and nothing is saved.
        before = server.rows()
        page.fill("#f-email", "not an email")
        page.fill("#f-phone", "+1 (440) 555-0142")
        page.click("button:text('Save profile')")
        assert page.inner_text("#f-email-error") == "Enter an e-mail address such as name@example.com."
        assert page.get_attribute("#f-email", "aria-invalid") == "true"
        assert page.input_value("#f-phone") == "+1 (440) 555-0142"  # nothing typed is lost
        assert server.rows() == before
        page.fill("#f-email", "jh@example.com")
        _shot(page, artifacts_dir, "32-edit-customer")
        page.click("button:text('Save profile')")
        page.wait_for_url("**notice=customer_saved")
        assert "Profile saved." in page.inner_text(".notice")
        profile = page.inner_text("#profile-title + dl")
        assert "+1 (440) 555-0142" in profile and "jh@example.com" in profile
        # The customer search finds the new phone by its digits.
        page.goto(f"{server.url}/admin/customers?q=14405550142")
        assert page.locator("tbody tr").count() == 1
    finally:
        context.close()


def test_a_bad_form_shows_field_errors_and_saves_nothing(browser: Any, server: Server, artifacts_dir: Path) -> None:
    context, page = _page(browser)
    try:
        _sign_in(page, server)
        before = server.rows()
        page.goto(server.url + "/admin/offers/new")
        page.select_option("#f-offer-type", "percent_check_discount")
        page.fill("#f-text-0-title", "Too generous")
        page.fill("#f-discount-config-percent", "150")
        page.click("button:text('Save and publish')")
        summary = page.locator(".error-summary")
        assert "This could not be saved" in summary.inner_text()
        assert page.inner_text("#f-discount-config-percent-error") == "This must be between 0 and 100."
        assert page.get_attribute("#f-discount-config-percent", "aria-invalid") == "true"
        assert page.input_value("#f-text-0-title") == "Too generous"  # nothing typed is lost
        _shot(page, artifacts_dir, "13-offer-form-errors")
        # The summary links to the field.
        summary.locator("a").first.click()
        assert page.evaluate("location.hash") == "#f-discount-config-percent"

        page.goto(server.url + "/admin/offers/new")
        page.fill("#f-text-0-title", "Bad time")
        page.click("#f-use-restrictions > summary")
        page.fill("#f-time-of-day-0-start", "07:00")
        page.fill("#f-discount-config-amount", "-5")
        page.click("button:text('Save draft')")
        # Every problem at once, in plain words: the malformed time and the amount the service refuses.
        assert page.inner_text("#f-time-of-day-0-error") == "This is required."
        assert page.inner_text("#f-discount-config-amount-error") == "This must be between 0 and 1000000000."
        assert server.rows() == before

        # A rule form: the API's messages next to the fields, nothing saved.
        page.goto(server.url + "/admin/rules/new?kind=earn")
        page.fill("#f-rate", "-1")
        page.fill("#f-multipliers-0-category-ids", "coffee")
        page.click("button:text('Create rule')")
        assert page.inner_text("#f-multipliers-0-factor-error") == "This is required."
        page.fill("#f-multipliers-0-factor", "2")
        page.click("button:text('Create rule')")
        assert page.inner_text("#f-rate-error") == "This must not be negative."
        _shot(page, artifacts_dir, "27-rule-form-errors")

        # Taking away more points than the customer has.
        page.goto(f"{server.url}/admin/customers/{DEMO_CUSTOMER}")
        page.fill("#f-amount", "-100000")
        page.fill("#f-reason", "too much")
        page.click("button:text('Adjust points')")
        assert page.inner_text("#f-amount-error") == "This exceeds balance."
        assert page.input_value("#f-reason") == "too much"
        assert server.rows() == before
    finally:
        context.close()


def test_works_without_javascript(browser: Any, server: Server, artifacts_dir: Path) -> None:
    context, page = _page(browser, java_script_enabled=False)
    try:
        _sign_in(page, server)
        offers_before = server.count("SELECT count(*) FROM offers")
        page.goto(server.url + "/admin/offers/new")
        assert page.is_visible("#f-discount-config-amount")  # every discount field shows without the script
        page.select_option("#f-offer-type", "fixed_amount_check_discount")
        page.fill("#f-text-0-title", "$3 off lunch and dinner")
        page.fill("#f-discount-config-amount", "3")
        page.click("#f-use-restrictions > summary")
        page.fill("#f-time-of-day-0-start", "11:30")
        page.fill("#f-time-of-day-0-end", "14:00")
        page.click("button:text('Add a time window')")  # a round trip to the server, nothing saved
        assert server.count("SELECT count(*) FROM offers") == offers_before
        assert page.input_value("#f-time-of-day-0-start") == "11:30"
        _expect_focus(page, "name", "time_of_day.1.start")
        page.fill("#f-time-of-day-1-start", "17:00")
        page.fill("#f-time-of-day-1-end", "21:00")
        _shot(page, artifacts_dir, "14-no-javascript-form")
        page.keyboard.press("Enter")  # Enter saves (a draft), it never adds a row
        page.wait_for_url("**notice=created")
        assert "Between 11:30 and 14:00" in page.inner_text("main")
        assert "Between 17:00 and 21:00" in page.inner_text("main")
        page.click("button:text('Publish')")
        page.wait_for_url("**notice=published")
        assert server.count("SELECT count(*) FROM offers") == offers_before + 1

        page.goto(server.url + "/admin/rules/new?kind=issuance")
        assert page.is_visible("#f-visit-count-every") and page.is_visible("#f-transaction-closed-min-spend")
        page.goto(f"{server.url}/admin/customers/{DEMO_CUSTOMER}")
        page.fill("#f-amount", "-1")
        page.fill("#f-reason", "no-script correction")
        page.click("button:text('Adjust points')")
        page.wait_for_url("**notice=points_adjusted")
        assert "no-script correction" in page.inner_text("#ledger")
    finally:
        context.close()


def test_tablet_layout_fits_and_is_keyboard_friendly(browser: Any, server: Server, artifacts_dir: Path) -> None:
    context, page = _page(browser, viewport=TABLET, has_touch=True)
    try:
        _sign_in(page, server)
        for path, name in (
            ("/admin/offers", "15-tablet-offers"),
            ("/admin/offers/new", "16-tablet-new-offer"),
            ("/admin/stores", "17-tablet-stores"),
            (f"/admin/customers/{DEMO_CUSTOMER}", "28-tablet-customer"),
            ("/admin/rules/new?kind=issuance", "29-tablet-new-rule"),
            (
                "/admin/rules/simulate?customer=14311211&items.0.item_id=latte&items.0.quantity=1"
                "&items.0.unit_price=4&run=1",
                "30-tablet-simulate",
            ),
            ("/admin/transactions", "31-tablet-transactions"),
        ):
            page.goto(server.url + path)
            assert _fits_width(page), path
            assert _unlabelled_fields(page) == [], path
            _shot(page, artifacts_dir, name)
        page.goto(server.url + "/admin/offers")
        _follow(page, "tbody a >> nth=0")
        assert _fits_width(page)
        _shot(page, artifacts_dir, "18-tablet-offer-detail")
        # The first Tab reaches the skip link, which jumps to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
    finally:
        context.close()
