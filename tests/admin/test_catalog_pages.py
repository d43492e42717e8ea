"""The catalog page: items searched and paged, categories counted, and a file import from the UI that
lists every bad line and imports nothing unless the whole file is good."""

from __future__ import annotations

import re

import httpx

from openoffers.kit.db import Database
from tests.admin.conftest import Browser
from tests.conftest import Tenant, snapshot
from tests.pos.pos_support import create_offer

GOOD = "item_id,name,category_ids\nlatte,Latte,coffee|hot\nmuffin,Blueberry muffin,bakery\ntea,Green tea,hot\n"


async def _upload(admin: Browser, name: str, content: bytes) -> str:
    response = await admin.http.post(
        "/admin/catalog/import", data={"csrf_token": admin.csrf}, files={"file": (name, content, "text/csv")}
    )
    return f"{response.status_code}\n{response.text}"


async def test_import_list_search_and_categories(admin: Browser, db: Database) -> None:
    empty = await admin.get("/admin/catalog")
    assert empty.status_code == 200 and "No items yet" in empty.text
    result = await _upload(admin, "items.csv", GOOD.encode())
    assert result.startswith("200") and "Imported 3 items" in result
    page = (await admin.get("/admin/catalog")).text
    assert re.findall(r"<th scope=\"row\"><code>([^<]+)</code></th>", page) == ["latte", "muffin", "tea"]
    assert "3 items." in page
    assert re.findall(r"<li><code>([^<]+)</code> <span class=\"muted small\">(\d+) item", page) == [
        ("bakery", "1"),
        ("coffee", "1"),
        ("hot", "2"),
    ]
    found = (await admin.get("/admin/catalog", params={"q": "TEA"})).text
    assert "1 item match “TEA”." in found and "<code>latte</code>" not in found
    jsonl = b'{"item_id": "scone", "name": "Scone", "category_ids": ["bakery"]}\n'
    assert "Imported 1 item:" in await _upload(admin, "more.jsonl", jsonl)
    assert "4 items." in (await admin.get("/admin/catalog")).text


async def test_a_bad_file_imports_nothing_and_lists_every_bad_line(admin: Browser, db: Database) -> None:
    await _upload(admin, "items.csv", GOOD.encode())
    before = await snapshot(db)
    bad = GOOD + ",No id,x\nok,Fine,\n" + "long," + "n" * 300 + ",\n"
    result = await _upload(admin, "items.csv", bad.encode())
    assert result.startswith("400") and "Nothing was imported." in result
    lines = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]+)</td></tr>", result)
    assert [n for n, _ in lines] == ["5", "7"], lines
    assert await snapshot(db) == before
    for name, content, problem in (
        ("items.txt", b"x", "give a .csv or .jsonl file"),
        ("items.csv", b"name\nLatte\n", "the CSV header needs an item_id column"),
        ("items.csv", b"\xff\xfe", "the file is not UTF-8 text"),
        ("items.jsonl", b"{not json}\n", '<th scope="row">1</th>'),
    ):
        result = await _upload(admin, name, content)
        assert result.startswith("400") and problem in result, (name, result[-2000:])
    assert await snapshot(db) == before


async def test_the_import_needs_the_forms_token(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.http.post(
        "/admin/catalog/import", data={"csrf_token": "wrong"}, files={"file": ("items.csv", GOOD.encode())}
    )
    assert response.status_code == 403
    assert await snapshot(db) == before


async def test_the_offer_page_names_items_and_warns_of_unknown_ids(
    admin: Browser, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _upload(admin, "items.csv", GOOD.encode())
    offer_id = await create_offer(
        client,
        tenant,
        offer_type="fixed_amount_item_discount",
        catalog_restrictions=[
            {"type": "items", "mode": "include", "item_ids": ["latte", "SKU-DOES-NOT-EXIST"], "category_ids": ["hot"]}
        ],
    )
    page = (await admin.get(f"/admin/offers/{offer_id}")).text
    warning = re.search(r'<div class="notice error" role="alert" id="unknown-ids">(.*?)</div>', page, re.S)
    assert warning and "<code>SKU-DOES-NOT-EXIST</code>" in warning.group(1) and "latte" not in warning.group(1)
    assert 'Latte <span class="muted small"><code>latte</code></span>' in page
    assert 'Category <code>hot</code> <span class="muted small">2 items in the catalog</span>' in page
    assert 'id="every-item"' not in page

    every = await create_offer(client, tenant, offer_type="fixed_amount_item_discount")
    page = (await admin.get(f"/admin/offers/{every}")).text
    assert "Applies to every item</strong> on the check" in page and 'id="unknown-ids"' not in page
    check_level = await create_offer(client, tenant)  # $5 off the check: no items involved
    page = (await admin.get(f"/admin/offers/{check_level}")).text
    assert 'id="every-item"' not in page and 'id="targeted"' not in page


async def test_offer_and_rule_forms_suggest_catalog_ids(admin: Browser) -> None:
    await _upload(admin, "items.csv", GOOD.encode())
    for path in ("/admin/offers/new", "/admin/rules/new?kind=earn", "/admin/rules/new?kind=issuance"):
        page = (await admin.get(path)).text
        assert '<option value="muffin">Blueberry muffin</option>' in page, path
        assert '<option value="hot">2 items</option>' in page, path
        assert re.search(r'name="[^"]*item_ids" value="[^"]*"[^>]* list="catalog-items"', page), path
        assert re.search(r'name="[^"]*category_ids" value="[^"]*"[^>]* list="catalog-categories"', page), path
