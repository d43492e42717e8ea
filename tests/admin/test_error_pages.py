"""Errors under /admin are HTML pages in the admin layout, keeping their status; the API keeps its JSON
envelope for the same mistakes."""

from __future__ import annotations

import re

import httpx
import pytest

from openoffers.kit.db import Database
from tests.admin.conftest import Browser
from tests.conftest import snapshot

UNKNOWN = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
TITLE = re.compile(r"<title>(.*?) · OpenOffers</title>")
BACK = re.compile(r'<a class="button secondary" href="([^"]+)">([^<]+)</a>')


def page_parts(response: httpx.Response) -> tuple[str, str, tuple[str, str]]:
    """(title, message, (back link, its text)) of an error page."""
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert html.startswith("<!doctype html>") and "Traceback" not in html
    title = TITLE.search(html)
    message = re.search(r"<h1>[^<]*</h1>\s*<p>([^<]*)</p>", html)
    back = BACK.search(html)
    assert title and message and back, html
    return title.group(1), message.group(1), (back.group(1), back.group(2))


@pytest.mark.parametrize(
    ("path", "message", "back"),
    [
        ("/admin/offers/not-a-uuid/edit", "offer not found", ("/admin/offers", "Back to offers")),
        ("/admin/offers/not-a-uuid", "offer not found", ("/admin/offers", "Back to offers")),
        (f"/admin/offers/{UNKNOWN}", f"offer {UNKNOWN} not found", ("/admin/offers", "Back to offers")),
        (f"/admin/offers/{UNKNOWN}/edit", f"offer {UNKNOWN} not found", ("/admin/offers", "Back to offers")),
        (f"/admin/customers/{UNKNOWN}", "user not found", ("/admin/customers", "Back to customers")),
        (f"/admin/customers/{UNKNOWN}/edit", "user not found", ("/admin/customers", "Back to customers")),
        ("/admin/customers/x/offers/y/revoke", "customer not found", ("/admin/customers", "Back to customers")),
        ("/admin/nope/x", "There is no such page.", ("/admin", "Back to the admin pages")),
        ("/admin/nope", "There is no such page.", ("/admin", "Back to the admin pages")),
        ("/admin/keys/a/b/c", "There is no such page.", ("/admin/keys", "Back to API keys")),
        ("/admin/static/nope.css", "There is no such page.", ("/admin", "Back to the admin pages")),
    ],
)
async def test_not_found_is_an_html_page_with_a_link_back(
    admin: Browser, path: str, message: str, back: tuple[str, str]
) -> None:
    response = await admin.get(path)
    assert response.status_code == 404
    assert page_parts(response) == ("Not found", message, back)
    # The page is the signed-in admin layout's, with its security headers.
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", f"/admin/offers/{UNKNOWN}/publish", "POST"),
        ("DELETE", "/admin/offers", "GET"),
        ("PUT", "/admin/login", "GET, POST"),
        ("PATCH", f"/admin/customers/{UNKNOWN}/edit", "GET, POST"),
        ("POST", "/admin/transactions", "GET"),
        ("GET", "/admin/logout", "POST"),
        ("POST", "/admin/static/admin.css", "GET, HEAD"),
    ],
)
async def test_a_wrong_method_is_an_html_405_that_changes_nothing(
    admin: Browser, db: Database, method: str, path: str, allow: str
) -> None:
    before = await snapshot(db)
    response = await admin.http.request(method, path, data={"csrf_token": admin.csrf})
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    title, message, _ = page_parts(response)
    assert (title, message) == (
        "Not possible here",
        "This address cannot be used that way. Use the links and buttons on the pages.",
    )
    assert await snapshot(db) == before


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_any_method_on_an_unknown_address_is_an_html_404(admin: Browser, method: str) -> None:
    response = await admin.http.request(method, "/admin/nope/x")
    assert response.status_code == 404
    assert page_parts(response)[:2] == ("Not found", "There is no such page.")


async def test_error_pages_need_no_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/nope/x")
    assert response.status_code == 404
    assert page_parts(response) == ("Not found", "There is no such page.", ("/admin", "Back to the admin pages"))
    assert "Sign out" not in response.text
    wrong = await client.delete("/admin/offers")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET")


async def test_a_form_too_large_is_an_html_413(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/customers/new", {"first_name": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    assert page_parts(response)[:2] == ("Too much at once", "What was sent is too large.")
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "message"),
    [
        ("POST", "/api/2.0/nope", 404, "NOT_FOUND", "no such endpoint"),
        ("POST", "/api/2.0/nope/x", 404, "NOT_FOUND", "no such endpoint"),
        ("GET", "/api/2.0/lookup", 405, "METHOD_NOT_ALLOWED", "method not allowed for this endpoint"),
        ("GET", "/adminx", 404, "NOT_FOUND", "no such endpoint"),
    ],
)
async def test_the_api_keeps_its_json_envelope(
    client: httpx.AsyncClient, method: str, path: str, status: int, code: str, message: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "error", "payload": None, "errors": {"code": code, "message": message}}


def _variants() -> list[str]:
    """Addresses near every admin route: the route with made-up ids, each of its prefixes, and the
    route with more segments after it."""
    from openoffers.admin.routes import ADMIN_ROUTER

    found: set[str] = set()
    for known in ADMIN_ROUTER.routes:
        if ":path}" in known.path:
            continue
        segments = [("x" if s.startswith("{") else s) for s in known.path.split("/") if s]
        for end in range(2, len(segments) + 1):
            found.add("/" + "/".join(segments[:end]))
        found.add("/" + "/".join([*segments, "more"]))
        found.add("/" + "/".join([*segments, "more", "and-more"]))
    return sorted(found)


async def test_every_address_near_an_admin_route_answers_html(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    variants = _variants()
    assert len(variants) > 60
    for path in variants:
        # POST only where nothing can be saved: a real form with an empty body may well be valid.
        methods = ("GET", "PUT", "DELETE", "POST") if path.endswith("more") else ("GET", "PUT", "DELETE")
        for method in methods:
            response = await admin.http.request(method, path)
            if response.status_code in (200, 303):
                continue  # a real page, or a redirect (a lifecycle page of a made-up offer goes home)
            assert response.status_code in (404, 405), (method, path, response.status_code)
            assert response.headers["content-type"] == "text/html; charset=utf-8", (method, path)
            if path.endswith("and-more") and not path.startswith("/admin/static/"):
                assert response.status_code == 404, (method, path)
    assert await snapshot(db) == before
