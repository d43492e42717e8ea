"""The offer preview page: a check built in the form, priced by the POS's engine, line by line, or the
reason in words; catalog names beside ids; nothing written."""

from __future__ import annotations

import re

import httpx

from openoffers.kit.db import Database
from tests.admin.conftest import Browser
from tests.conftest import Tenant, snapshot
from tests.pos.pos_support import api, create_offer, create_user

BAKERY_HALF = {
    "offer_type": "percent_item_discount",
    "discount_config": {"percent": 50, "max_items": 1},
    "catalog_restrictions": [{"type": "items", "mode": "include", "category_ids": ["bakery"]}],
}


async def test_preview_a_check_line_by_line(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await api(
        client,
        tenant,
        "/api/2.0/catalog/import",
        {
            "items": [
                {"item_id": "muffin", "name": "Blueberry muffin", "category_ids": ["bakery"]},
                {"item_id": "latte", "name": "Latte", "category_ids": ["coffee"]},
            ]
        },
    )
    offer_id = await create_offer(client, tenant, **BAKERY_HALF)
    await create_user(client, tenant, external_customer_id="C-9", first_name="Ada", last_name="L")
    detail = await admin.get(f"/admin/offers/{offer_id}")
    assert f'href="/admin/offers/{offer_id}/preview"' in detail.text
    blank = await admin.get(f"/admin/offers/{offer_id}/preview")
    assert blank.status_code == 200 and '<option value="muffin">Blueberry muffin</option>' in blank.text
    before = await snapshot(db)
    check = {
        "run": "1",
        "store": str(tenant.store_id),
        "channel": "STORE",
        "at": "2026-06-15T09:00",
        "customer": "C-9",
        "item_0": "latte",
        "price_0": "4.50",
        "qty_0": "2",
        "item_1": "muffin",
        "price_1": "3.00",
        "item_2": "SKU-UNKNOWN",
        "price_2": "1",
    }
    page = await admin.get(f"/admin/offers/{offer_id}/preview", params=check)
    assert page.status_code == 200, page.text
    assert re.search(r'<span id="preview-total">\$1.50</span>', page.text)
    assert re.findall(r'<td class="num" data-line="(\d)">([^<]+)</td>', page.text) == [
        ("0", "—"),
        ("1", "$1.50"),
        ("2", "—"),
    ]
    assert "Blueberry muffin" in page.text and "(not in the catalog)" in page.text
    # Only coffee on the check: the reason, in words.
    coffee = {k: v for k, v in check.items() if not k.endswith("_1")}
    page = await admin.get(f"/admin/offers/{offer_id}/preview", params=coffee)
    assert "It would not apply" in page.text
    assert "No item on the check is one the offer discounts." in page.text
    # A bad price is said, nothing is priced.
    page = await admin.get(f"/admin/offers/{offer_id}/preview", params={**check, "price_0": "four"})
    assert "Line 1: give a price of 0 or more and a quantity above 0." in page.text
    assert 'id="preview-result"' not in page.text
    assert await snapshot(db) == before
