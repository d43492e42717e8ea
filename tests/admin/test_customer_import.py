"""Customers imported from a CSV file in the admin UI: all created with their welcome rules, or none,
with every bad line reported by number."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from openoffers.kit.db import Database
from openoffers.tables.wallet import user_offers, users
from tests.admin.conftest import Browser
from tests.conftest import Tenant, snapshot
from tests.pos.pos_support import api, create_offer, create_user

GOOD = (
    "external_customer_id,first_name,last_name,email,phone\n"
    "C-1,Ada,Lovelace,ada@example.com,+1 440 273 7020\n"
    "C-2,Bob,Builder,,\n"
    "\n"
    "C-3,Cy,,cy@example.com,\n"
)


async def _upload(admin: Browser, content: bytes, name: str = "customers.csv") -> httpx.Response:
    return await admin.http.post(
        "/admin/customers/import", data={"csrf_token": admin.csrf}, files={"file": (name, content, "text/csv")}
    )


async def _count(db: Database, table: object) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_import_creates_everyone_with_their_welcome_offer(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    await api(
        client,
        tenant,
        "/api/2.0/rules/create",
        {"kind": "issuance", "name": "welcome", "offer_id": offer_id, "trigger": {"type": "user_enrolled"}},
    )
    page = await admin.get("/admin/customers")
    assert 'href="/admin/customers/import"' in page.text
    response = await _upload(admin, GOOD.encode())
    assert response.status_code == 200 and "Imported 3 customers." in response.text
    assert await _count(db, users) == 3 and await _count(db, user_offers) == 3
    listed = (await admin.get("/admin/customers", params={"q": "example.com"})).text
    assert "2 customers match" in listed


async def test_a_bad_file_creates_nobody_and_lists_every_bad_line(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await create_user(client, tenant, external_customer_id="TAKEN", first_name="Old")
    before = await snapshot(db)
    bad = (
        "external_customer_id,first_name,email\n"
        "N-1,Fine,fine@example.com\n"
        "N-2,Bad,not an email\n"
        "TAKEN,Again,\n"
        "N-1,Twice,\n"
        "N-5," + "x" * 300 + ",\n"
    )
    response = await _upload(admin, bad.encode())
    assert response.status_code == 400 and "Nothing was imported." in response.text
    lines = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]+)</td></tr>", response.text)
    assert [n for n, _ in lines] == ["3", "5", "6"], lines  # the file's own problems first
    assert await snapshot(db) == before
    # A file whose lines are all well formed but names a customer who exists: that line, nothing created.
    response = await _upload(admin, b"external_customer_id,first_name\nN-1,Fine\nTAKEN,Again\n")
    lines = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]+)</td></tr>", response.text)
    assert lines == [("3", "another user has this external_customer_id")]
    assert await snapshot(db) == before
    for content, problem in (
        (b"name,email\nAda,a@example.com\n", "unknown columns name"),
        (b"\xff\xfe", "not UTF-8"),
        (b"external_customer_id\n", "the file has no customers"),
    ):
        response = await _upload(admin, content)
        assert response.status_code == 400 and problem in response.text, response.text[-1500:]
    assert await snapshot(db) == before
    refused = await admin.http.post(
        "/admin/customers/import", data={"csrf_token": "wrong"}, files={"file": ("c.csv", GOOD.encode())}
    )
    assert refused.status_code == 403
    assert await snapshot(db) == before
