"""Admin UI through the ASGI app, on both engines: sign-in, sessions, CSRF, and the offer pages."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.offers import repository as offers_repo
from openoffers.offers import service as offers
from openoffers.offers.schemas import CreateOfferRequest, TextConfig
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser, csrf_of, sign_in
from tests.conftest import FrozenClock, Tenant, basic, make_tenant, snapshot

OFFER_LINK = re.compile(r'href="/admin/offers/([0-9a-f-]{36})"')


def offer_form(**values: Any) -> dict[str, Any]:
    """A complete, publishable offer as the form posts it; keyword arguments override fields."""
    form: dict[str, Any] = {
        "offer_type": "percent_item_discount",
        "text.0.culture": "en",
        "text.0.title": "20% off coffee",
        "text.0.description": "Mornings only",
        "text.0.terms_and_conditions": "One per visit.",
        "discount_config.percent": "20",
        "discount_config.max_items": "2",
        "common_config.validity_period": "30",
        "common_config.validity_unit": "days",
        "stack_priority": "0",
        "publish": "0",
    }
    form.update(values)
    return {k: v for k, v in form.items() if v is not None}


async def only_offer_id(db: Database, tenant: Tenant) -> UUID:
    async with db.read() as conn:
        total, rows = await offers_repo.list_latest(
            conn, tenant.retailer_id, status=None, offer_type=None, search=None, reward_store=None, skip=0, take=10
        )
    assert total == 1
    return rows[0].id


async def make_offer(
    db: Database, tenant: Tenant, clock: FrozenClock, title: str = "Hello", publish: bool = True
) -> UUID:
    result = await offers.create_offer(
        db,
        CreateOfferRequest(
            retailer_id=tenant.retailer_id,
            publish=publish,
            offer_type="manual_fulfillment",
            text_config=[TextConfig(title=title, culture="en")],
        ),
        clock(),
    )
    return result.offer_id


# --- Signing in and out ---------------------------------------------------------------------------


async def test_root_and_admin_lead_to_sign_in(client: httpx.AsyncClient) -> None:
    root = await client.get("/")
    assert (root.status_code, root.headers["location"]) == (302, "/admin")
    admin = await client.get("/admin")
    assert (admin.status_code, admin.headers["location"]) == (303, "/admin/login")
    page = await client.get("/admin/offers/new")
    assert page.status_code == 303
    assert page.headers["location"] == "/admin/login?next=%2Fadmin%2Foffers%2Fnew"


async def test_sign_in_page_says_where_keys_come_from_and_sets_a_strict_cookie(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/login")
    assert page.status_code == 200
    assert "make serve" in page.text and "demo-admin" in page.text and "openoffers key create" in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("openoffers_admin=v1.")
    assert "HttpOnly" in cookie and "Path=/admin" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    assert 'autocomplete="current-password"' in page.text


async def test_sign_in_with_an_admin_key_starts_a_fresh_session(client: httpx.AsyncClient, tenant: Tenant) -> None:
    page = await client.get("/admin/login?next=/admin/stores")
    before = csrf_of(page.text)
    assert 'name="next" value="/admin/stores"' in page.text
    response = await client.post(
        "/admin/login",
        data={"csrf_token": before, "key": tenant.key, "secret": tenant.secret, "next": "/admin/stores"},
    )
    assert (response.status_code, response.headers["location"]) == (303, "/admin/stores")
    stores = await client.get("/admin/stores")
    assert stores.status_code == 200 and "Test Retailer" in stores.text
    assert csrf_of(stores.text) != before  # no token from before sign-in survives it


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/api/2.0/offers/list", "/admin\\x", "/admin/x\r\nSet-Cookie: a=b"],
)
async def test_after_sign_in_never_leaves_the_admin(client: httpx.AsyncClient, tenant: Tenant, target: str) -> None:
    page = await client.get("/admin/login")
    response = await client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "key": tenant.key, "secret": tenant.secret, "next": target},
    )
    assert response.headers["location"] == "/admin/dashboard"


async def test_sign_in_refusals_say_why(
    db: Database, clock: FrozenClock, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    offers_key, offers_secret = await tenancy.create_api_key(
        db, retailer_id=tenant.retailer_id, role="offers", now=clock()
    )
    cases = [
        (tenant.key, "wrong-secret", "That key and secret do not match an active API key."),
        ("no-such-key", "whatever1", "That key and secret do not match an active API key."),
        ("a:b", "whatever1", "That key and secret do not match an active API key."),
        (offers_key.key, offers_secret, "This key has the offers role. The admin UI needs a key with the admin role."),
        (str(tenant.client_id), tenant.client_secret, "These are POS client credentials."),
        (tenant.key, "", "Enter both your e-mail address (or API key) and your password (or secret)."),
    ]
    for key, secret, message in cases:
        page = await client.get("/admin/login")
        response = await client.post(
            "/admin/login", data={"csrf_token": csrf_of(page.text), "key": key, "secret": secret}
        )
        assert response.status_code == 400, key
        assert message in response.text
        assert (await client.get("/admin/offers")).status_code == 303  # still signed out


async def test_sign_in_needs_the_csrf_token_and_the_cookie(app: Any, tenant: Tenant) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        await http.get("/admin/login")
        forged = await http.post("/admin/login", data={"key": tenant.key, "secret": tenant.secret})
        assert forged.status_code == 403 and "This form has expired" in forged.text
        http.cookies.clear()
        no_cookie = await http.post(
            "/admin/login", data={"csrf_token": "x", "key": tenant.key, "secret": tenant.secret}
        )
        assert no_cookie.status_code == 400 and "did not send the sign-in cookie" in no_cookie.text
        assert (await http.get("/admin/offers")).status_code == 303


async def test_sign_out(admin: Browser) -> None:
    response = await admin.post("/admin/logout")
    assert (response.status_code, response.headers["location"]) == (303, "/admin/login?notice=signed_out")
    page = await admin.get(response.headers["location"])
    assert "You have signed out." in page.text
    assert (await admin.get("/admin/offers")).status_code == 303


async def test_sign_out_needs_the_token(admin: Browser) -> None:
    response = await admin.http.post("/admin/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert (await admin.get("/admin/offers")).status_code == 200


async def test_revoking_a_key_ends_its_sessions(
    db: Database, clock: FrozenClock, admin: Browser, other_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    second, secret = await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, role="admin", now=clock())
    other = await sign_in(other_client, second.key, secret)
    await tenancy.revoke_api_key(db, retailer_id=tenant.retailer_id, key_id=second.id, now=clock())
    response = await other.get("/admin/offers")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Foffers&notice=expired"
    assert (await admin.get("/admin/offers")).status_code == 200


async def test_sessions_end_after_twelve_hours(admin: Browser, clock: FrozenClock) -> None:
    clock.advance(hours=11, minutes=59)
    assert (await admin.get("/admin/offers")).status_code == 200
    clock.advance(minutes=1)
    response = await admin.get("/admin/offers")
    assert response.status_code == 303 and "notice=expired" in response.headers["location"]
    page = await admin.get("/admin/login?notice=expired")
    assert "Your session has ended" in page.text


async def test_a_tampered_cookie_is_no_session(admin: Browser) -> None:
    value = admin.http.cookies["openoffers_admin"]
    head, payload, signature = value.split(".")
    admin.http.cookies.clear()
    admin.http.cookies.set(
        "openoffers_admin", f"{head}.{payload}x.{signature}", domain="testserver.local", path="/admin"
    )
    assert (await admin.get("/admin/offers")).status_code == 303


async def test_pages_send_security_headers(admin: Browser) -> None:
    page = await admin.get("/admin/offers")
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    css = await admin.get("/admin/static/admin.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_every_form_post_checks_the_csrf_token(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    offer_id = await make_offer(db, tenant, clock)
    before = await snapshot(db)
    paths = [
        "/admin/offers/new",
        f"/admin/offers/{offer_id}/edit",
        f"/admin/offers/{offer_id}/deactivate",
        f"/admin/offers/{offer_id}/delete",
        "/admin/stores/new",
        "/admin/pos-clients/new",
        f"/admin/pos-clients/{tenant.client_id}/revoke",
        "/admin/keys/new",
        "/admin/logout",
    ]
    for path in paths:
        for token in (None, "forged"):
            data = offer_form(**{"name": "x"}) | ({"csrf_token": token} if token else {})
            response = await admin.http.post(path, data=data)
            assert response.status_code == 403, path
    assert await snapshot(db) == before


# --- Offers -------------------------------------------------------------------------------------------


async def test_create_an_offer_with_restrictions_and_publish_it(admin: Browser, db: Database, tenant: Tenant) -> None:
    form = offer_form(
        **{
            "_rows.time_of_day": "1",
            "stores.0.mode": "include",
            "stores.0.store_ids": str(tenant.store_id),
            "days_of_week.0.days": ["monday", "tuesday"],
            "time_of_day.0.start": "07:00",
            "time_of_day.0.end": "11:00",
            "min_subtotal.0.amount": "5",
            "inventory.0.total": "100",
            "per_customer.0.max": "1",
            "common_config.acquisition_start_date": "2026-07-01T09:00",
        }
    )
    created = await admin.post("/admin/offers/new", form)
    assert created.status_code == 303
    offer_id = await only_offer_id(db, tenant)
    assert created.headers["location"] == f"/admin/offers/{offer_id}?notice=created"
    offer = await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)
    assert offer.status == 0 and offer.title == "20% off coffee"
    assert offer.acquisition_start_date == "2026-07-01T13:00:00Z"  # typed in New York time
    assert offer.discount_config == {"percent": Decimal(20), "max_items": 2}
    assert offer.location_restrictions == [
        {"type": "stores", "mode": "include", "store_ids": [str(tenant.store_id)], "store_tags": []}
    ]
    assert offer.use_restrictions == [
        {"type": "days_of_week", "days": ["monday", "tuesday"]},
        {"type": "time_of_day", "start": "07:00", "end": "11:00"},
    ]
    assert offer.purchase_restrictions == [{"type": "min_subtotal", "amount": Decimal(5)}]
    assert offer.issuance_restrictions == [{"type": "inventory", "total": 100}, {"type": "per_customer", "max": 1}]

    detail = await admin.get(created.headers["location"])
    assert detail.status_code == 200
    for text in (
        "Offer saved as a draft.",
        "20% off coffee",
        "20% off eligible items (up to 2 items)",
        "Only at Main St",
        "On Monday and Tuesday",
        "Between 07:00 and 11:00 (store time)",
        "Minimum spend $5.00",
        "Limited to 100 in total",
        "At most 1 per customer",
        "Available from Jul 1, 2026, 09:00",
        "Redeemable for 30 days after it is received",
        "No activity yet",
    ):
        assert text in detail.text, text

    published = await admin.post(f"/admin/offers/{offer_id}/publish")
    assert published.headers["location"] == f"/admin/offers/{offer_id}?notice=published"
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 1
    listing = await admin.get("/admin/offers")
    assert "20% off coffee" in listing.text and ">Published<" in listing.text


async def test_save_and_publish_in_one_step(admin: Browser, db: Database, tenant: Tenant) -> None:
    response = await admin.post("/admin/offers/new", offer_form(publish="1"))
    offer_id = await only_offer_id(db, tenant)
    assert response.headers["location"] == f"/admin/offers/{offer_id}?notice=published"
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 1


async def test_a_malformed_form_shows_field_errors_and_saves_nothing(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.post(
        "/admin/offers/new",
        offer_form(
            **{
                "discount_config.percent": "lots",
                "min_subtotal.0.amount": "five",
                "days_of_week.0.days": "someday",
                "time_of_day.0.start": "07:00",
                "discount_config.max_items": "0",
                "common_config.validity_unit": "",
                "publish": "1",
            }
        ),
    )
    assert response.status_code == 400
    html = response.text
    assert "This could not be saved" in html
    # Every problem in one answer, in plain words: what does not decode, and what publishing needs.
    for field, message in (
        ("f-discount-config-percent", "Enter a number, such as 4.99."),
        ("f-min-subtotal-0-amount", "Enter a number, such as 4.99."),
        ("f-days-of-week-0-days", "Choose one of the options."),
        ("f-time-of-day-0", "This is required."),
        ("f-discount-config-max-items", "This must be at least 1."),
        ("f-common-config-validity-period", "“Valid for” and its unit go together."),
    ):
        assert f'id="{field}-error"' in html, field
        assert message in html, message
    assert 'aria-invalid="true"' in html
    # What was typed is still there.
    assert 'value="lots"' in html and 'value="20% off coffee"' in html
    assert await snapshot(db) == before


async def test_a_value_the_service_refuses_shows_its_message_and_saves_nothing(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/offers/new", offer_form(**{"discount_config.percent": "150"}))
    assert response.status_code == 400
    assert 'id="f-discount-config-percent-error"' in response.text
    assert "This must be between 0 and 100." in response.text
    assert await snapshot(db) == before


async def test_save_and_publish_saves_nothing_unless_it_publishes(admin: Browser, db: Database) -> None:
    """The one rule: the form does all it was asked, or nothing. A blank form sent with "Save and
    publish" used to leave an "Untitled offer" draft behind."""
    before = await snapshot(db)
    blank = await admin.post("/admin/offers/new", {"offer_type": "", "publish": "1"})
    assert blank.status_code == 400
    assert "This could not be saved" in blank.text
    assert "This needs at least one text with a title." in blank.text
    incomplete = await admin.post("/admin/offers/new", offer_form(**{"discount_config.percent": "", "publish": "1"}))
    assert incomplete.status_code == 400
    assert 'id="f-discount-config-percent-error"' in incomplete.text
    assert "A “Percent off items” offer needs a percent above 0." in incomplete.text
    assert 'value="20% off coffee"' in incomplete.text  # nothing typed is lost
    assert await snapshot(db) == before


async def test_an_incomplete_draft_shows_what_publishing_needs(admin: Browser, db: Database, tenant: Tenant) -> None:
    response = await admin.post("/admin/offers/new", offer_form(**{"discount_config.percent": ""}))
    offer_id = await only_offer_id(db, tenant)
    assert response.headers["location"] == f"/admin/offers/{offer_id}?notice=created"
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 0
    editor = await admin.get(f"/admin/offers/{offer_id}/edit")
    assert "This draft cannot be published yet" in editor.text
    assert 'id="f-discount-config-percent-error"' in editor.text
    assert "A “Percent off items” offer needs a percent above 0." in editor.text
    # The detail page says so too, and Publish sends the user to the fields.
    detail = await admin.get(f"/admin/offers/{offer_id}")
    assert "Before this draft can be published" in detail.text
    publish = await admin.post(f"/admin/offers/{offer_id}/publish")
    assert publish.headers["location"] == f"/admin/offers/{offer_id}/edit?notice=not_publishable"
    fixed = await admin.post(f"/admin/offers/{offer_id}/edit", offer_form(publish="1"))
    assert fixed.headers["location"] == f"/admin/offers/{offer_id}?notice=published"


async def test_edit_page_shows_every_stored_field(admin: Browser, db: Database, tenant: Tenant) -> None:
    await admin.post(
        "/admin/offers/new",
        offer_form(
            **{
                "text.1.culture": "fr",
                "text.1.title": "Café",
                "_rows.text": "2",
                "items.0.mode": "exclude",
                "items.0.category_ids": "beer, wine",
                "channels.0.channels": "pos, online",
                "common_config.custom_data": '{"a": 1}',
                "exclusive": "1",
            }
        ),
    )
    offer_id = await only_offer_id(db, tenant)
    editor = await admin.get(f"/admin/offers/{offer_id}/edit")
    html = editor.text
    assert 'name="text.1.title" value="Café"' in html
    assert 'name="items.0.category_ids" value="beer, wine"' in html
    assert '<option value="exclude" selected>' in html
    assert 'name="channels.0.channels" value="pos, online"' in html
    assert "{&#34;a&#34;: 1}</textarea>" in html
    assert 'name="exclusive" value="1" checked' in html
    assert "Save draft" in html and "Save and publish" in html


async def test_a_live_offer_refuses_an_unpublishable_change(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    await admin.post("/admin/offers/new", offer_form(publish="1"))
    offer_id = await only_offer_id(db, tenant)
    editor = await admin.get(f"/admin/offers/{offer_id}/edit")
    assert "Save changes" in editor.text and "Save and publish" not in editor.text
    before = await snapshot(db)
    response = await admin.post(f"/admin/offers/{offer_id}/edit", offer_form(**{"text.0.title": ""}))
    assert response.status_code == 400
    assert "This needs at least one text with a title." in response.text
    assert await snapshot(db) == before
    saved = await admin.post(f"/admin/offers/{offer_id}/edit", offer_form(**{"text.0.title": "25% off coffee"}))
    assert saved.headers["location"] == f"/admin/offers/{offer_id}?notice=saved"
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).title == "25% off coffee"


async def test_editing_an_issued_offer_explains_and_makes_a_revision(
    admin: Browser, db: Database, tenant: Tenant
) -> None:
    await admin.post("/admin/offers/new", offer_form(publish="1"))
    offer_id = await only_offer_id(db, tenant)
    async with db.write() as conn:
        await offers_repo.mark_referenced(conn, tenant.retailer_id, offer_id)
    editor = await admin.get(f"/admin/offers/{offer_id}/edit")
    assert "This offer has been issued to customers." in editor.text
    assert "Saving creates revision 2" in editor.text
    response = await admin.post(f"/admin/offers/{offer_id}/edit", offer_form(**{"discount_config.percent": "25"}))
    latest = await offers.latest_revision(db, tenant.retailer_id, offer_id)
    assert latest.id != offer_id and latest.revision == 2
    assert response.headers["location"] == f"/admin/offers/{latest.id}?notice=revisioned"
    # The old id leads to the current revision.
    old = await admin.get(f"/admin/offers/{offer_id}")
    assert old.status_code == 303 and old.headers["location"] == f"/admin/offers/{latest.id}"


async def test_deactivate_reactivate_and_delete(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    offer_id = await make_offer(db, tenant, clock)
    detail = await admin.get(f"/admin/offers/{offer_id}")
    assert f'action="/admin/offers/{offer_id}/deactivate"' in detail.text
    assert f'action="/admin/offers/{offer_id}/publish"' not in detail.text
    response = await admin.post(f"/admin/offers/{offer_id}/deactivate")
    assert response.headers["location"] == f"/admin/offers/{offer_id}?notice=deactivated"
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 2
    response = await admin.post(f"/admin/offers/{offer_id}/reactivate")
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 1
    confirm = await admin.get(f"/admin/offers/{offer_id}/delete")
    assert "Delete “Hello”?" in confirm.text and "cannot be undone" in confirm.text
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 1  # a GET changes nothing
    response = await admin.post(f"/admin/offers/{offer_id}/delete")
    assert response.headers["location"] == "/admin/offers?notice=deleted"
    assert (await offers.fetch_offer(db, tenant.retailer_id, offer_id, None)).status == 3
    listing = await admin.get("/admin/offers?notice=deleted")
    assert "Offer deleted." in listing.text and "No offers yet" in listing.text
    deleted = await admin.get("/admin/offers?status=3")
    assert "Hello" in deleted.text


async def test_an_impossible_move_is_an_error_page(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    offer_id = await make_offer(db, tenant, clock, publish=False)
    response = await admin.post(f"/admin/offers/{offer_id}/deactivate")
    assert response.status_code == 409
    assert "an offer that is draft cannot be deactivated" in response.text


async def test_list_search_and_filters(admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    await make_offer(db, tenant, clock, title="Coffee morning")
    await make_offer(db, tenant, clock, title="Tea time", publish=False)
    await admin.post("/admin/offers/new", offer_form(**{"text.0.title": "Big coffee deal", "publish": "1"}))

    async def titles(query: str) -> list[str]:
        page = await admin.get(f"/admin/offers{query}")
        assert page.status_code == 200
        return re.findall(r'<a href="/admin/offers/[0-9a-f-]{36}">([^<]+)</a>', page.text)

    assert sorted(await titles("")) == ["Big coffee deal", "Coffee morning", "Tea time"]
    assert sorted(await titles("?search=COFFEE")) == ["Big coffee deal", "Coffee morning"]
    assert await titles("?status=0") == ["Tea time"]
    assert await titles("?type=percent_item_discount") == ["Big coffee deal"]
    assert await titles("?search=coffee&type=manual_fulfillment&status=1") == ["Coffee morning"]
    assert await titles("?status=9&type=bogus") == await titles("")  # unknown filters are ignored
    empty = await admin.get("/admin/offers?search=nothing")
    assert "No offers match these filters." in empty.text


PAGER_LINKS = re.compile(r'<a class="button secondary small" href="([^"]*)" rel="(prev|next)">(\w+)</a>')


async def test_the_list_pages(admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    for n in range(27):
        await make_offer(db, tenant, clock, title=f"Offer {n:02d}")
    first = await admin.get("/admin/offers")
    assert "Page 1 of 2" in first.text and len(OFFER_LINK.findall(first.text)) == 25
    assert PAGER_LINKS.findall(first.text) == [("?page=2", "next", "Next")]
    second = await admin.get("/admin/offers?page=2")
    assert len(OFFER_LINK.findall(second.text)) == 2
    assert PAGER_LINKS.findall(second.text) == [("?page=1", "prev", "Previous")]
    # Filters survive paging.
    filtered = await admin.get("/admin/offers?search=Offer")
    assert PAGER_LINKS.findall(filtered.text) == [("?search=Offer&amp;page=2", "next", "Next")]


async def test_adding_a_row_without_javascript_saves_nothing(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.post(
        "/admin/offers/new",
        offer_form(**{"_rows.time_of_day": "1", "time_of_day.0.start": "07:00", "_add": "time_of_day"}),
    )
    assert response.status_code == 200
    assert 'name="time_of_day.1.start"' in response.text and 'name="time_of_day.2.start"' not in response.text
    assert re.search(r'name="time_of_day.1.start" value=""[^>]* autofocus', response.text)
    assert 'name="time_of_day.0.start" value="07:00"' in response.text
    assert 'name="max_uses.0.period_value" value="" step="any" inputmode="decimal" placeholder="1">' in response.text
    assert await snapshot(db) == before


async def test_another_retailers_offer_is_not_found(
    admin: Browser, db: Database, clock: FrozenClock, other_tenant: Tenant
) -> None:
    theirs = await make_offer(db, other_tenant, clock, title="Not yours")
    before = await snapshot(db)
    for path in (f"/admin/offers/{theirs}", f"/admin/offers/{theirs}/edit", f"/admin/offers/{theirs}/delete"):
        page = await admin.get(path)
        assert page.status_code == 404 and "Not yours" not in page.text
    for path in (
        f"/admin/offers/{theirs}/deactivate",
        f"/admin/offers/{theirs}/delete",
        f"/admin/offers/{theirs}/edit",
    ):
        assert (await admin.post(path, offer_form())).status_code == 404
    assert await snapshot(db) == before
    listing = await admin.get("/admin/offers")
    assert "Not yours" not in listing.text
    assert (await admin.get("/admin/offers/not-a-uuid")).status_code == 404


async def test_everything_is_escaped(admin: Browser, db: Database, tenant: Tenant) -> None:
    evil = '<script>alert("x")</script>'
    await admin.post(
        "/admin/offers/new",
        offer_form(**{"text.0.title": evil, "text.0.description": evil, "channels.0.channels": evil}),
    )
    offer_id = await only_offer_id(db, tenant)
    for path in ("/admin/offers", f"/admin/offers/{offer_id}", f"/admin/offers/{offer_id}/edit"):
        html = (await admin.get(path)).text
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(" in html, path


async def test_detail_page_counts_and_an_honest_empty_chart(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    offer_id = await make_offer(db, tenant, clock)
    page = await admin.get(f"/admin/offers/{offer_id}")
    assert page.status_code == 200
    assert "<dt>Issued</dt><dd>0</dd>" in page.text
    assert "<dt>Inventory</dt><dd>Unlimited</dd>" in page.text
    assert 'role="img" aria-labelledby="activity-title activity-desc"' in page.text
    assert ">No activity yet</text>" in page.text
    assert str(offer_id) in page.text  # ids for integrators


async def test_pages_for_a_missing_thing_are_html(admin: Browser) -> None:
    page = await admin.get("/admin/offers/6f9619ff-8b86-d011-b42d-00cf4fc964ff")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "offer 6f9619ff-8b86-d011-b42d-00cf4fc964ff not found" in page.text


async def test_api_errors_stay_json(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # The admin router's HTML error pages do not leak into the API.
    response = await client.post("/api/2.0/offers/fetch_offer", json={}, headers=tenant.auth)
    assert response.status_code == 400 and response.json()["status"] == "error"


async def test_an_offers_role_key_cannot_use_the_admin_even_with_a_forged_session(
    db: Database, clock: FrozenClock, client: httpx.AsyncClient
) -> None:
    other = await make_tenant(db, clock, name="Offers only", role="offers")
    assert basic(other.key, other.secret)  # it works for the API...
    page = await client.get("/admin/login")
    response = await client.post(
        "/admin/login", data={"csrf_token": csrf_of(page.text), "key": other.key, "secret": other.secret}
    )
    assert response.status_code == 400  # ...but not here


async def test_visiting_the_sign_in_page_first_is_not_an_ended_session(client: httpx.AsyncClient) -> None:
    await client.get("/admin/login")
    response = await client.get("/admin/offers")
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Foffers"


async def test_unknown_admin_pages_are_html(admin: Browser) -> None:
    page = await admin.get("/admin/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no such page." in page.text
