"""A viewer cannot change anything, on both engines: every form of the admin UI (every POST route the
admin router has, found by walking it, so a new form is covered without editing this test) and every
API route, tried with a viewer's session and with their e-mail and password as credentials: each is
refused and the database is exactly as it was. The viewer still reads what a marketer reads."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import httpx
from litestar.routes import HTTPRoute

from openoffers.admin.routes import ADMIN_ROUTER
from openoffers.kit.db import Database
from openoffers.kit.http import ENDPOINTS
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser
from tests.admin.test_accounts import person
from tests.admin.test_routes import offer_form
from tests.conftest import FrozenClock, Tenant, basic, snapshot
from tests.test_fuzz import _envelope, offers_bodies, pos_payloads, seed

PUBLIC = ("/admin/login", "/admin/logout", "/admin/invitation/")
_PARAM = re.compile(r"\{(\w+):\w+\}")


def admin_post_paths() -> list[str]:
    """Every POST route of the admin UI but signing in and out and the invitation page."""
    paths = set()
    for route in ADMIN_ROUTER.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(PUBLIC):
            continue
        for handler in route.route_handlers:
            if "POST" in handler.http_methods and handler.fn.__name__ not in ("_unknown_page", "_wrong_method"):
                paths.add(route.path)
    return sorted(paths)


def concrete(path: str, ids: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: ids[m.group(1)], path)


async def test_the_walk_finds_the_forms() -> None:
    paths = admin_post_paths()
    for expected in (
        "/admin/offers/new",
        "/admin/offers/{offer_id:str}/edit",
        "/admin/customers/{user_id:str}/points",
        "/admin/rules/new",
        "/admin/stores/new",
        "/admin/keys/{key_id:str}/revoke",
        "/admin/people/invite",
        "/admin/people/{account_id:str}/role",
    ):
        assert expected in paths
    assert not any(p.startswith(PUBLIC) for p in paths)


async def test_a_viewer_cannot_change_anything(
    app: Any, client: httpx.AsyncClient, admin: Browser, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    seeded = await seed(client, tenant)
    key, _ = await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, role="offers", now=clock())
    marketer = await person(app, admin, "m@example.com", "marketer")
    viewer = await person(app, admin, "v@example.com", "viewer")
    try:
        people = await admin.get("/admin/people")
        account_id = re.search(r"/admin/people/([0-9a-f-]{36})/role", people.text)
        assert account_id
        ids = {
            "offer_id": seeded.offer_id,
            "user_id": seeded.user_id,
            "user_offer_id": seeded.user_offer_id,
            "rule_id": seeded.rule_id,
            "client_id": str(tenant.client_id),
            "key_id": str(key.id),
            "account_id": account_id.group(1),
            "store_id": str(tenant.store_id),
            # Refused before any handler runs, so an endpoint or delivery need not exist to be tried.
            "webhook_id": str(uuid4()),
            "delivery_id": "1",
        }
        # Plausible values for every form: the refusal must not depend on the form being wrong.
        form = offer_form(
            name="Changed",
            email="new@example.com",
            role="admin",
            amount="10",
            direction="add",
            reason="viewer tried",
            offer_id=seeded.offer_id,
            kind="earn",
            rate="2",
            timezone="America/New_York",
            first_name="Eve",
        )
        before = await snapshot(db)
        paths = admin_post_paths()
        for path in paths:
            response = await viewer.post(concrete(path, ids), form)
            assert response.status_code == 403, (path, response.status_code)
            assert "you can look at everything, but not change it" in response.text or "for admins" in response.text
        # The API takes no session: a viewer's cookie, or their e-mail and password as Basic credentials.
        for endpoint in ENDPOINTS:
            pos = endpoint.path in pos_payloads(seeded)
            body = (
                _envelope(tenant, pos_payloads(seeded)[endpoint.path])
                if pos
                else offers_bodies(seeded, tenant)[endpoint.path]
            )
            with_cookie = await viewer.http.post(endpoint.path, json=body)
            assert with_cookie.status_code == 401, (endpoint.path, with_cookie.text)
            as_basic = await viewer.http.post(
                endpoint.path, json=body, headers=basic("v@example.com", "correct horse battery")
            )
            # 401, or 429 once the API's throttle of wrong secrets from this address has counted enough.
            assert as_basic.status_code in (401, 429), (endpoint.path, as_basic.text)
        assert await snapshot(db) == before
        assert len(paths) >= 23  # every form there is today; new ones only add to it
        # What a viewer may read, it reads.
        for page in (
            "/admin/offers",
            f"/admin/offers/{seeded.offer_id}",
            "/admin/customers",
            f"/admin/customers/{seeded.user_id}",
            "/admin/rules",
            "/admin/transactions",
        ):
            shown = await viewer.get(page)
            assert shown.status_code == 200, page
            assert "You are signed in as a viewer" in shown.text
            # Nothing offers a change: no form but signing out, no link to a form that changes.
            assert re.findall(r'<form method="post" action="([^"]+)"', shown.text) == ["/admin/logout"], page
            assert not re.search(r'href="/admin/[^"]*/(new|edit|delete|revoke)"', shown.text), page
        for page in ("/admin/people", "/admin/keys", "/admin/stores", "/admin/pos-clients", "/admin/audit"):
            assert (await viewer.get(page)).status_code == 403, page
    finally:
        await marketer.http.aclose()
        await viewer.http.aclose()
