"""The offer preview page: a check built in the form, priced by the POS's engine, line by line, or the
reason in words; catalog names beside ids; nothing written."""

from __future__ import annotations

import re

import httpx

from openoffers.kit.db import Database
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import REDEEM, api, check, create_offer, create_user, issue, line, lock, lock_body, pos

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


# --- The offer form's unsaved values ------------------------------------------------------------

FIVE_OFF_FORM = {
    "offer_type": "fixed_amount_check_discount",
    "text.0.culture": "en",
    "text.0.title": "$5 off",
    "text.0.description": "Five off the check",
    "text.0.terms_and_conditions": "One per visit.",
    "discount_config.amount": "5",
    "common_config.validity_period": "30",
    "common_config.validity_unit": "days",
    "stack_priority": "0",
}


def on_a_check(tenant: Tenant, **values: str) -> dict[str, str]:
    """The check builder's inputs as the offer form posts them: one $20 latte at the tenant's store."""
    return {
        "store": str(tenant.store_id),
        "channel": "STORE",
        "at": "2026-06-15T09:00",
        "item_0": "latte",
        "price_0": "20",
        "qty_0": "1",
        **values,
    }


def total_of(html: str) -> str | None:
    found = re.search(r'<span id="preview-total">([^<]+)</span>', html)
    return found.group(1) if found else None


def shares_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<td class="num" data-line="(\d)">([^<]+)</td>', html)


async def counts(db: Database) -> dict[str, int]:
    """Rows per table, the audit log and the outbox among them."""
    return {name: len(rows) for name, rows in (await snapshot(db)).items()}


async def test_the_form_previews_its_unsaved_values_and_saves_nothing(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)  # $5 off the check, published
    edit = await admin.get(f"/admin/offers/{offer_id}/edit")
    assert f'formaction="/admin/offers/{offer_id}/preview#f-preview"' in edit.text
    assert 'id="preview-result"' not in edit.text  # nothing priced until asked
    before, rows = await snapshot(db), await counts(db)
    assert rows["audit_log"] > 0 and rows["outbox_events"] > 0  # the creation wrote both: they are compared

    # "$5 off" changed to "$7 off", not saved: the preview prices $7.00 (700 cents) on the $20 line.
    unsaved = {**FIVE_OFF_FORM, "discount_config.amount": "7", **on_a_check(tenant)}
    page = await admin.post(f"/admin/offers/{offer_id}/preview", unsaved)
    assert page.status_code == 200, page.text
    assert total_of(page.text) == "$7.00"
    assert shares_of(page.text) == [("0", "$7.00")]
    # The form comes back as typed, its preview section open, and nothing was refused.
    assert 'name="discount_config.amount" value="7"' in page.text
    assert '<details class="section" id="f-preview" open>' in page.text
    assert "This could not be saved" not in page.text and 'id="preview-problems"' not in page.text
    assert await snapshot(db) == before and await counts(db) == rows

    # The saved offer still gives $5.00, on its own preview and in the API.
    saved = await admin.get(f"/admin/offers/{offer_id}/preview", params={"run": "1", **on_a_check(tenant)})
    assert total_of(saved.text) == "$5.00"
    fetched = await api(client, tenant, "/api/2.0/offers/fetch_offer", {"offer_id": offer_id})
    assert fetched["offer"]["discount_config"] == {"amount": 5}
    assert await snapshot(db) == before

    # Saved, those terms give a customer's Lock exactly what the preview said. (The clock moves on, as
    # it does between two edits: stored terms are cached by revision and time of change.)
    clock.advance(seconds=1)
    saved_form = await admin.post(f"/admin/offers/{offer_id}/edit", {**FIVE_OFF_FORM, "discount_config.amount": "7"})
    assert saved_form.status_code == 303, saved_form.text
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    uo = await issue(client, tenant, user_id, offer_id)
    locked = await lock(client, tenant, uo, check("T-7", [line("0", "20", item_id="latte")]))
    assert (locked["status"], locked["amount"], locked["discounted_line_ids"]) == ("LOCKED", 7, ["0"])


async def test_a_new_offer_is_previewed_before_it_is_ever_saved(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await api(
        client,
        tenant,
        "/api/2.0/catalog/import",
        {"items": [{"item_id": "latte", "name": "Latte", "category_ids": ["coffee"]}]},
    )
    new = await admin.get("/admin/offers/new")
    assert 'formaction="/admin/offers/new/preview#f-preview"' in new.text
    before = await snapshot(db)
    form = {
        "offer_type": "percent_item_discount",
        "text.0.culture": "en",
        "text.0.title": "20% off coffee",
        "discount_config.percent": "20",
        "discount_config.max_items": "2",
        "_rows.items": "1",
        "items.0.mode": "include",
        "items.0.category_ids": "coffee",
        # Three lattes at $4.50 and a $3 muffin: 20% off two lattes is $1.80.
        **on_a_check(tenant, price_0="4.50", qty_0="3", item_1="muffin", price_1="3"),
    }
    page = await admin.post("/admin/offers/new/preview", form)
    assert page.status_code == 200, page.text
    assert total_of(page.text) == "$1.80"
    assert shares_of(page.text) == [("0", "$1.80"), ("1", "—")]
    assert "Latte <span" in page.text and "(not in the catalog)" in page.text
    # Still a new offer's form: saving it posts to /offers/new.
    assert 'action="/admin/offers/new"' in page.text
    # The same check without a coffee: the reason, in words.
    page = await admin.post("/admin/offers/new/preview", {**form, "item_0": "muffin"})
    assert total_of(page.text) is None
    assert '<p id="preview-reason">No item on the check is one the offer discounts.</p>' in page.text
    assert await snapshot(db) == before


async def test_an_unsaved_form_with_problems_lists_them_instead_of_a_price(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    before = await snapshot(db)
    broken = {
        **FIVE_OFF_FORM,
        "text.0.title": "",  # publishing needs a title
        "discount_config.amount": "",  # and the amount
        "stack_priority": "high",  # does not decode
        **on_a_check(tenant),
    }
    page = await admin.post(f"/admin/offers/{offer_id}/preview", broken)
    assert page.status_code == 200, page.text
    assert 'id="preview-result"' not in page.text and total_of(page.text) is None
    problems = re.search(r'<div id="preview-problems">(.*?)</div>\s*</div>', page.text, re.S)
    assert problems, page.text
    assert "Fix these to see a price (nothing was saved)" in problems.group(1)
    assert [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", problems.group(1))] == [
        "Text: This needs at least one text with a title.",
        "Amount off: A “Amount off the check” offer needs an amount above 0.",
        "Stack priority: Enter a whole number, such as 10.",
    ]
    # Each is also next to its field, and the top of the page does not say a save failed.
    assert 'id="f-discount-config-amount-error"' in page.text and 'id="f-stack-priority-error"' in page.text
    assert "This could not be saved" not in page.text
    # The check's own problem is said too, and still nothing is priced.
    page = await admin.post(
        f"/admin/offers/{offer_id}/preview", {**FIVE_OFF_FORM, **on_a_check(tenant, item_0="", price_0="")}
    )
    assert "Add at least one line with an item and a price." in page.text and total_of(page.text) is None
    assert await snapshot(db) == before


async def test_the_unsaved_preview_counts_the_customers_use_limit_as_a_lock_does(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    limit = [{"type": "max_uses", "uses": 1, "period_unit": "days", "period_value": 1}]
    offer_id = await create_offer(client, tenant, use_restrictions=limit)
    user_id = await create_user(client, tenant, external_customer_id="C-1", first_name="Ada", last_name="L")
    used = await issue(client, tenant, user_id, offer_id)
    assert (await pos(client, tenant, REDEEM, lock_body(used, check("T-0"))))["status"] == "REDEEMED"
    form = {
        **FIVE_OFF_FORM,
        "_rows.max_uses": "1",
        "max_uses.0.uses": "1",
        "max_uses.0.period_value": "1",
        "max_uses.0.period_unit": "days",
        **on_a_check(tenant, customer="C-1"),
    }
    before = await snapshot(db)
    page = await admin.post(f"/admin/offers/{offer_id}/preview", form)
    assert "This customer has already used it as often as the offer allows in its period." in page.text
    # Two uses a day, not saved: this customer's one redemption today leaves one.
    page = await admin.post(f"/admin/offers/{offer_id}/preview", {**form, "max_uses.0.uses": "2"})
    assert total_of(page.text) == "$5.00"
    # A new offer with the same terms has never been redeemed by anyone.
    page = await admin.post("/admin/offers/new/preview", form)
    assert total_of(page.text) == "$5.00"
    assert await snapshot(db) == before
