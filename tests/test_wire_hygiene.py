"""What every API answer carries besides its body: Allow on a 405, WWW-Authenticate on a 401, the
security headers, no server banner (tests/test_server.py); and a published schema that says what is
sent (decimals are JSON numbers)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from openoffers.kit.http import ENDPOINTS
from openoffers.kit.openapi import build_openapi
from tests.conftest import Tenant

JSON_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "cache-control": "no-store",
}
PATHS = sorted({e.path: e for e in ENDPOINTS}.values(), key=lambda e: e.path)


def has_security_headers(response: httpx.Response) -> None:
    assert {name: response.headers.get(name) for name in JSON_HEADERS} == JSON_HEADERS, response.headers


@pytest.mark.parametrize("endpoint", PATHS, ids=lambda e: e.path)
async def test_a_wrong_method_is_405_with_allow(client: httpx.AsyncClient, tenant: Tenant, endpoint: Any) -> None:
    response = await client.request("PUT", endpoint.path, json={}, headers=tenant.auth)
    assert response.status_code == 405
    # Litestar answers OPTIONS on every route itself.
    methods = {"OPTIONS", *(m for e in ENDPOINTS if e.path == endpoint.path for m in e.methods)}
    assert sorted(response.headers["allow"].replace(" ", "").split(",")) == sorted(methods)
    assert response.json()["errors"]["code"] == "METHOD_NOT_ALLOWED"
    has_security_headers(response)


@pytest.mark.parametrize("endpoint", PATHS, ids=lambda e: e.path)
async def test_no_or_wrong_credentials_are_401_with_a_challenge(
    client: httpx.AsyncClient, tenant: Tenant, endpoint: Any
) -> None:
    for headers in ({}, {"Authorization": "Basic bm9ib2R5Om5vdGhpbmdoZXJl"}):
        response = await client.post(endpoint.path, json={}, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == 'Basic realm="OpenOffers", charset="UTF-8"'
        has_security_headers(response)


async def test_successes_and_probes_carry_the_security_headers(client: httpx.AsyncClient, tenant: Tenant) -> None:
    listed = await client.post(
        "/api/2.0/point_accounts/list", json={"retailer_id": str(tenant.retailer_id)}, headers=tenant.auth
    )
    assert listed.status_code == 200
    has_security_headers(listed)
    has_security_headers(await client.get("/health"))
    has_security_headers(await client.get("/openapi.json"))


async def test_admin_pages_keep_their_own_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/login")
    # The admin's own policy (admin/web.py), not the API's, and each header once.
    assert page.headers.get_list("content-security-policy") == [
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: http: data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ]
    assert page.headers.get_list("x-content-type-options") == ["nosniff"]
    assert page.headers.get_list("referrer-policy") == ["same-origin"]


def test_the_schema_says_decimals_are_numbers() -> None:
    schemas = build_openapi()["components"]["schemas"]
    decimal = {"type": ["number", "string"], "pattern": r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"}
    # Requests accept a number or a numeric string; responses send a number.
    assert schemas["MultiplierIn"]["properties"]["factor"] == decimal
    assert schemas["DiscountOut"]["properties"]["amount"] == {"type": "number"}
    assert schemas["RuleOut"]["properties"]["rate"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert schemas["Item"]["properties"]["quantity"] == {**decimal, "default": 1}
    assert '"format": "decimal"' not in repr(schemas).replace("'", '"')
    assert "numeric string" in build_openapi()["info"]["description"]
