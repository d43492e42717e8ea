"""The webhooks page in headless Chromium at desktop width, against `openoffers serve` delivering to a
real receiver on 127.0.0.1: create an endpoint, see its delivery arrive with its response code,
resend it, and pause it. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from openoffers.demo import API_KEY, API_SECRET, RETAILER_ID
from tests.admin.test_browser import (
    CHROMIUM_ARGS,
    Server,
    _fits_width,
    _follow,
    _page,
    _require_chromium,
    _shot,
    _sign_in,
    _unlabelled_fields,
    demo_server,
)
from tests.events.receiver import Receiver, receiving

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OPENOFFERS_WEBHOOK_ALLOW_PRIVATE_URLS": "1", "OPENOFFERS_WEBHOOK_POLL_MS": "100"}
    with demo_server(tmp_path_factory.mktemp("webhooks-browser"), env) as served:
        yield served


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_require_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _reload_until(page: Any, text: str) -> None:
    """Reload until the page shows `text` (the worker delivers in the background), within a bound."""
    deadline = time.monotonic() + WAIT_SECONDS
    while text not in page.inner_text("main") and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    assert text in page.inner_text("main")


def test_create_a_webhook_see_its_delivery_resend_and_pause(
    browser: Any, server: Server, receiver: Receiver, artifacts_dir: Path
) -> None:
    context, page = _page(browser, viewport=DESKTOP)
    try:
        _sign_in(page, server)
        _follow(page, "nav.mainnav >> text=Webhooks")
        assert "No webhooks yet." in page.inner_text("main")
        _shot(page, artifacts_dir, "webhooks-01-empty")
        _follow(page, "text=New webhook")
        assert _unlabelled_fields(page) == []
        page.fill("#f-url", receiver.url)
        page.fill("#f-description", "Receiver on this machine")
        page.check("input[name='event_types'][value='user.created']")
        _shot(page, artifacts_dir, "webhooks-02-form")
        _follow(page, "button:has-text('Create webhook')")
        secret = page.inner_text("#secret-value")
        assert secret.startswith("whsec_")
        _shot(page, artifacts_dir, "webhooks-03-secret")
        _follow(page, "text=Go to the webhook")

        created = httpx.post(
            server.url + "/api/2.0/users/create",
            json={"retailer_id": str(RETAILER_ID), "first_name": "Grace", "last_name": "Hopper"},
            auth=(API_KEY, API_SECRET),
            timeout=30,
        )
        assert created.status_code == 200, created.text
        _reload_until(page, "Delivered")
        row = page.locator("tbody tr").first
        assert "user.created" in row.inner_text() and "200" in row.inner_text()
        assert _fits_width(page)
        _shot(page, artifacts_dir, "webhooks-04-delivered")
        [got] = receiver.received()
        assert Webhook(secret).verify(got.body, got.headers)["data"]["first_name"] == "Grace"

        _follow(page, "button:has-text('Resend')")
        assert "will be sent again" in page.inner_text("main")
        deadline = time.monotonic() + WAIT_SECONDS
        while len(receiver.received()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [r.headers["webhook-id"] for r in receiver.received()] == [got.headers["webhook-id"]] * 2
        _follow(page, "button:has-text('Pause')")
        assert "Webhook paused" in page.inner_text("main")
        assert page.is_visible("button:has-text('Resume')")
        _shot(page, artifacts_dir, "webhooks-05-paused")
        _follow(page, "nav.mainnav >> text=Webhooks")
        assert "Paused" in page.inner_text("main")
        assert _fits_width(page)
        _shot(page, artifacts_dir, "webhooks-06-list")
    finally:
        context.close()
