"""Helpers for the admin UI route tests: sign in through the real form, read CSRF tokens and values."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@dataclass
class Browser:
    """An HTTP client signed in to the admin UI, with its session's CSRF token."""

    http: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)


async def sign_in(http: httpx.AsyncClient, key: str, secret: str) -> Browser:
    page = await http.get("/admin/login")
    response = await http.post(
        "/admin/login", data={"csrf_token": csrf_of(page.text), "key": key, "secret": secret, "next": ""}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/dashboard"
    offers = await http.get("/admin/offers")
    assert offers.status_code == 200
    return Browser(http, csrf_of(offers.text))


@pytest.fixture
async def admin(app: Any, tenant: Tenant) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield await sign_in(http, tenant.key, tenant.secret)


@pytest.fixture
async def other_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, with its own cookies."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
