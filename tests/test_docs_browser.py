"""/docs in headless Chromium against a real `openoffers serve`: Swagger UI loads from the server's own
files (nothing else is fetched), and "Try it out" runs a call against the server, with the demo's
credentials entered in its Authorize dialog, showing the server's answer."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openoffers import demo
from tests.admin.test_browser import CHROMIUM_ARGS, LAPTOP, _require_chromium
from tests.serve_support import OPENOFFERS, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    tmp = tmp_path_factory.mktemp("docs")
    url = f"sqlite:///{tmp / 'docs.db'}"
    subprocess.run([OPENOFFERS, "demo", "--database-url", url, "--json"], check=True, capture_output=True, timeout=120)
    with serving(url, tmp) as base:
        yield base


def test_the_docs_page_runs_a_call_against_the_server(base_url: str, artifacts_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_require_chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=LAPTOP)
            context.set_default_timeout(20_000)
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{base_url}/docs")
            operation = page.locator("#operations-offers-offers_list")
            operation.wait_for()
            assert page.title() == "OpenOffers API"

            page.click("button.authorize")
            page.fill("input[name=username]", demo.API_KEY)
            page.fill("input[name=password]", demo.API_SECRET)
            page.click(".auth-btn-wrapper button.authorize")
            page.click(".auth-btn-wrapper button.btn-done")

            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            body = {"retailer_id": str(demo.RETAILER_ID), "search": "$5 off", "skip": 0, "take": 10}
            operation.locator("textarea.body-param__text").fill(json.dumps(body))
            operation.locator("button.execute").click()
            shown = operation.locator(".live-responses-table tr.response .response-col_status").first
            shown.wait_for()
            assert shown.inner_text().strip() == "200"
            answer: dict[str, Any] = json.loads(
                operation.locator(".live-responses-table .response-col_description pre.microlight").first.inner_text()
            )
            page.screenshot(path=str(artifacts_dir / "api-docs-try-it.png"), full_page=False)
        finally:
            browser.close()
    assert answer["status"] == "ok"
    assert answer["payload"]["total_records"] == 1
    [offer] = answer["payload"]["results"]
    assert offer["title"] == "$5 off Check"
    # Everything the page loaded came from the server itself: no CDN.
    assert requested and all(url.startswith(base_url) for url in requested), requested
    assert f"{base_url}/docs/assets/swagger-ui-bundle.js" in requested
    assert f"{base_url}/api/2.0/offers/list" in requested
    assert problems == []
