"""Customer pages on both engines: search, create, the profile with wallet, history and points, and
the forms that issue an offer, revoke one and adjust points (each calls the API's service)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.loyalty import service as loyalty
from openoffers.loyalty import service as points
from openoffers.loyalty.schemas import PointsHistoryRequest
from openoffers.wallet import history
from openoffers.wallet.schemas import UserOfferRequest, WalletRequest
from tests.admin.conftest import Browser, csrf_of
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import api, check, create_offer, create_user, issue, line, pos

EVENTS = re.compile(r"<strong>([A-Z][a-z ]+)</strong>")


async def customer(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> str:
    values = {"external_customer_id": "C-1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    return await create_user(client, tenant, **(values | fields))


async def wallet_ids(db: Database, tenant: Tenant, user_id: str, clock: FrozenClock) -> list[UUID]:
    held = await loyalty.get_user_offers(
        db, WalletRequest(retailer_id=tenant.retailer_id, user_id=UUID(user_id)), clock()
    )
    return [o.user_offer_id for o in held.user_offers]


# --- Search and create ------------------------------------------------------------------------


async def test_search_by_any_key(admin: Browser, client: httpx.AsyncClient, tenant: Tenant) -> None:
    ada = await customer(client, tenant, phone="+1 (440) 273-702")
    await customer(client, tenant, external_customer_id="C-2", first_name="Bob", email="bob@example.com")
    blank = await admin.get("/admin/customers")
    assert blank.status_code == 200 and "Find a customer" in blank.text
    assert "2 customers, newest first." in blank.text  # with nothing typed, everyone, to browse
    for query in ("C-1", " ADA@example.com ", "1440273702", ada, ada.upper()):
        page = await admin.get("/admin/customers", params={"q": query})
        assert f'href="/admin/customers/{ada}"' in page.text, query
        assert "Bob" not in page.text, query
        assert "1 customer matches" in page.text
    none = await admin.get("/admin/customers", params={"q": "nobody"})
    assert "No customer matches “nobody”" in none.text


async def test_search_by_part_of_a_name_email_or_phone_and_browse_pages(
    admin: Browser, client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    ada = await customer(client, tenant, phone="+1 (440) 273-702")
    clock.advance(seconds=1)
    bob = await customer(client, tenant, external_customer_id="C-2", first_name="Bob", email="bob@Example.com")
    for query, expected in (
        ("lovel", {ada, bob}),  # the last name, any case
        ("bob lov", {bob}),  # first and last name together
        ("EXAMPLE.COM", {ada, bob}),
        ("273-7", {ada}),  # digits of a phone, written any way
        ("c-", {ada, bob}),
        ("100%", set()),  # % is a character here, not a wildcard
        ("_", set()),
    ):
        page = await admin.get("/admin/customers", params={"q": query})
        listed = set(re.findall(r'href="/admin/customers/([0-9a-f-]{36})"', page.text))
        assert listed == expected, query
    for n in range(26):
        clock.advance(seconds=1)
        await customer(client, tenant, external_customer_id=f"P-{n:02d}", first_name=f"Page{n:02d}")
    first = await admin.get("/admin/customers")
    assert "28 customers, newest first." in first.text and "Page 1 of 2" in first.text
    assert first.text.index("Page25 Lovelace") < first.text.index("Page01 Lovelace")  # newest first
    second = await admin.get("/admin/customers", params={"page": "2"})
    names = re.findall(r'<a href="/admin/customers/[0-9a-f-]{36}">([^<]+)</a>', second.text)
    assert names == ["Page00 Lovelace", "Bob Lovelace", "Ada Lovelace"]
    narrowed = await admin.get("/admin/customers", params={"q": "page1"})
    assert "10 customers match “page1”." in narrowed.text and "Page 1 of" not in narrowed.text


async def test_search_lists_every_customer_sharing_an_email(
    admin: Browser, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await customer(client, tenant, external_customer_id="A", email="family@example.com", first_name="One")
    await customer(client, tenant, external_customer_id="B", email="family@example.com", first_name="Two")
    page = await admin.get("/admin/customers", params={"q": "family@example.com"})
    assert page.status_code == 200  # two matches: a list, not the API's CONFLICT
    assert "One Lovelace" in page.text and "Two Lovelace" in page.text


async def test_create_a_customer(admin: Browser, db: Database, tenant: Tenant) -> None:
    page = await admin.get("/admin/customers/new")
    assert page.status_code == 200 and 'name="external_customer_id"' in page.text
    response = await admin.post(
        "/admin/customers/new",
        {"external_customer_id": " X-9 ", "first_name": "Grace", "last_name": "Hopper", "email": "", "phone": ""},
    )
    assert response.status_code == 303
    target = response.headers["location"]
    assert target.endswith("?notice=customer_created")
    detail = await admin.get(target)
    assert "Customer created." in detail.text and "Grace Hopper" in detail.text and "X-9" in detail.text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"email": "not an email"}, "email", "Enter an e-mail address such as name@example.com."),
        ({"phone": "call me"}, "phone", "Enter a phone number: digits, spaces and + ( ) . - / only."),
        ({"first_name": "x" * 201}, "first-name", "Use at most 200 characters."),
        ({"external_customer_id": "C-1"}, "external-customer-id", "This already exists."),
    ],
)
async def test_a_bad_customer_form_shows_the_api_message_and_saves_nothing(
    admin: Browser,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    await customer(client, tenant)
    before = await snapshot(db)
    response = await admin.post("/admin/customers/new", {"external_customer_id": "new-one", **values})
    assert response.status_code == 400
    assert f'id="f-{field}-error"' in response.text and message in response.text
    assert await snapshot(db) == before


# --- The customer page ------------------------------------------------------------------------


async def test_the_customer_page_shows_wallet_history_and_points(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await customer(client, tenant)
    user_offer_id = await issue(client, tenant, user_id, offer_id)
    await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 40, "reason": "signup"})
    page = await admin.get(f"/admin/customers/{user_id}")
    assert page.status_code == 200
    html = page.text
    for text in ("Ada Lovelace", "C-1", "ada@example.com", "$5 off", "Issued", "signup", "+40", user_offer_id):
        assert text in html, text
    assert "<div><dt>Available</dt><dd>40</dd></div>" in html
    assert f'href="/admin/customers/{user_id}/offers/{user_offer_id}/revoke"' in html
    assert "Issued</strong>" in html  # the history lists each user offer's events
    # The offer select lists published offers only.
    assert f'<option value="{offer_id}">$5 off</option>' in html


async def test_another_retailers_customer_is_not_found(
    admin: Browser, client: httpx.AsyncClient, db: Database, other_tenant: Tenant
) -> None:
    theirs = await customer(client, other_tenant)
    before = await snapshot(db)
    assert (await admin.get(f"/admin/customers/{theirs}")).status_code == 404
    assert (await admin.get("/admin/customers/not-a-uuid")).status_code == 404
    assert "Ada" not in (await admin.get("/admin/customers", params={"q": "C-1"})).text
    response = await admin.post(f"/admin/customers/{theirs}/points", {"amount": "5", "reason": "x", "reference": "r"})
    assert response.status_code == 404
    assert await snapshot(db) == before


async def test_issue_an_offer(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await customer(client, tenant)
    response = await admin.post(f"/admin/customers/{user_id}/issue", {"offer_id": offer_id, "quantity": "1"})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/admin/customers/{user_id}?notice=issued&n=1&of=1")
    [held] = await wallet_ids(db, tenant, user_id, clock)
    detail = await history.get_user_offer(
        db, UserOfferRequest(retailer_id=tenant.retailer_id, user_offer_id=held), clock()
    )
    assert [(e.kind, e.actor) for e in detail.events] == [("issued", f"api_key:{tenant.key}")]
    page = await admin.get(response.headers["location"])
    assert "Offer issued." in page.text and str(held) in page.text


async def test_issuing_more_copies_than_allowed_says_what_happened(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant, issuance_restrictions=[{"type": "per_customer", "max": 2}])
    user_id = await customer(client, tenant)
    response = await admin.post(f"/admin/customers/{user_id}/issue", {"offer_id": offer_id, "quantity": "3"})
    page = await admin.get(response.headers["location"])
    assert "2 of 3 copies issued. The others were refused: the customer already has as many" in page.text
    assert len(await wallet_ids(db, tenant, user_id, clock)) == 2
    # Now every copy is refused: an error next to the offer, and nothing changes.
    before = await snapshot(db)
    refused = await admin.post(f"/admin/customers/{user_id}/issue", {"offer_id": offer_id, "quantity": "1"})
    assert refused.status_code == 409
    assert 'id="f-offer-id-error"' in refused.text and "(PER_CUSTOMER_LIMIT)" in refused.text
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"quantity": "0"}, "quantity", "Enter 1 or more."),
        ({"quantity": "lots"}, "quantity", "Enter a whole number, such as 10."),
        ({"offer_id": "nope"}, "offer-id", "Enter an id such as 136b6d16-1317-4ac6-b551-19540d53bd6c."),
        ({"offer_id": ""}, "offer-id", "This is required."),
        (
            {"offer_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"},
            "offer-id",
            "There is no such one. Pick one from the list.",
        ),
    ],
)
async def test_a_bad_issue_form_shows_the_api_message_and_saves_nothing(
    admin: Browser,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await customer(client, tenant)
    before = await snapshot(db)
    response = await admin.post(f"/admin/customers/{user_id}/issue", {"offer_id": offer_id, "quantity": "1", **values})
    assert response.status_code in (400, 404)
    assert f'id="f-{field}-error"' in response.text and message in response.text
    assert "The offer was not issued" in response.text
    assert await snapshot(db) == before


async def test_a_draft_offer_is_not_issued(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    draft = await create_offer(client, tenant, publish=False)
    user_id = await customer(client, tenant)
    page = await admin.get(f"/admin/customers/{user_id}")
    assert draft not in page.text  # not offered in the select
    before = await snapshot(db)
    response = await admin.post(f"/admin/customers/{user_id}/issue", {"offer_id": draft, "quantity": "1"})
    assert response.status_code == 409 and "the offer is not published (OFFER_NOT_PUBLISHED)" in response.text
    assert await snapshot(db) == before


async def test_revoke_an_offer_with_a_reason(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await customer(client, tenant)
    user_offer_id = await issue(client, tenant, user_id, offer_id)
    path = f"/admin/customers/{user_id}/offers/{user_offer_id}/revoke"
    page = await admin.get(path)
    assert page.status_code == 200 and "Revoke “$5 off”?" in page.text
    before = await snapshot(db)
    blank = await admin.post(path, {"reason": "  "})
    assert blank.status_code == 400 and 'id="f-reason-error"' in blank.text and "This must not be blank." in blank.text
    assert await snapshot(db) == before
    response = await admin.post(path, {"reason": "issued by mistake"})
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/customers/{user_id}?notice=revoked")
    detail = await history.get_user_offer(
        db, UserOfferRequest(retailer_id=tenant.retailer_id, user_offer_id=UUID(user_offer_id)), clock()
    )
    assert detail.status == 5
    assert (detail.events[-1].kind, detail.events[-1].reason) == ("revoked", "issued by mistake")
    assert detail.events[-1].actor == f"api_key:{tenant.key}"
    shown = await admin.get(response.headers["location"])
    assert "Offer revoked." in shown.text and "issued by mistake" in shown.text
    assert await wallet_ids(db, tenant, user_id, clock) == []


async def test_a_redeemed_offer_cannot_be_revoked(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await customer(client, tenant)
    user_offer_id = await issue(client, tenant, user_id, offer_id)
    discount = {"reference_id": user_offer_id, "discount_source": "sessionm", "amount": "5"}
    await pos(
        client,
        tenant,
        "/api/2.0/send_transaction",
        check("T-9", [line("1", "20")], discounts=[discount], is_closed=True),
    )
    before = await snapshot(db)
    response = await admin.post(f"/admin/customers/{user_id}/offers/{user_offer_id}/revoke", {"reason": "oops"})
    assert response.status_code == 409 and "a redeemed user offer cannot be revoked" in response.text
    assert await snapshot(db) == before


async def test_revoke_needs_the_customers_own_offer(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    ada = await customer(client, tenant)
    bob = await customer(client, tenant, external_customer_id="C-2")
    user_offer_id = await issue(client, tenant, ada, offer_id)
    before = await snapshot(db)
    assert (await admin.get(f"/admin/customers/{bob}/offers/{user_offer_id}/revoke")).status_code == 404
    assert (
        await admin.post(f"/admin/customers/{bob}/offers/{user_offer_id}/revoke", {"reason": "x"})
    ).status_code == 404
    assert await snapshot(db) == before


async def ledger(db: Database, tenant: Tenant, user_id: str) -> list[tuple[str, int, str, str]]:
    entries = await points.history(db, PointsHistoryRequest(retailer_id=tenant.retailer_id, user_id=UUID(user_id)))
    return [(e.kind, e.available_delta, e.reason, e.actor) for e in entries.results]


async def test_adjust_points_up_and_down_with_a_recorded_reason(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    user_id = await customer(client, tenant)
    page = await admin.get(f"/admin/customers/{user_id}")
    reference = re.search(r'name="reference" value="([^"]+)"', page.text)
    assert reference
    response = await admin.post(
        f"/admin/customers/{user_id}/points", {"amount": "50", "reason": "goodwill", "reference": reference.group(1)}
    )
    assert response.headers["location"] == f"/admin/customers/{user_id}?notice=points_adjusted"
    # The same form sent again (a double click, the back button) applies once.
    again = await admin.post(
        f"/admin/customers/{user_id}/points", {"amount": "50", "reason": "goodwill", "reference": reference.group(1)}
    )
    assert again.headers["location"] == f"/admin/customers/{user_id}?notice=points_already"
    await admin.post(
        f"/admin/customers/{user_id}/points", {"amount": " -20 ", "reason": "correction", "reference": "b"}
    )
    actor = f"api_key:{tenant.key}"
    assert await ledger(db, tenant, user_id) == [
        ("spend", -20, "correction", actor),
        ("adjust", 50, "goodwill", actor),
    ]
    shown = await admin.get(f"/admin/customers/{user_id}?notice=points_adjusted")
    assert "<div><dt>Available</dt><dd>30</dd></div>" in shown.text
    assert "<div><dt>Lifetime</dt><dd>0</dd></div>" in shown.text  # an adjustment is not lifetime points
    assert "Adjustment: goodwill" in shown.text and "Spent: correction" in shown.text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": "-500"}, "amount", "This exceeds balance"),
        ({"amount": "5", "reason": " "}, "reason", "This must not be blank."),
        ({"amount": "ten"}, "amount", "Enter a whole number, such as 10."),
        ({"amount": "0"}, "amount", "Enter 1 or more."),
        ({"amount": "1.5"}, "amount", "Enter a whole number, such as 10."),
        ({"amount": ""}, "amount", "This is required."),
        (
            {"point_account_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"},
            "point-account-id",
            "There is no such one. Pick one from the list.",
        ),
    ],
)
async def test_a_bad_points_form_shows_the_message_and_saves_nothing(
    admin: Browser,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    user_id = await customer(client, tenant)
    await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 40})
    before = await snapshot(db)
    response = await admin.post(
        f"/admin/customers/{user_id}/points", {"amount": "5", "reason": "why", "reference": "r1", **values}
    )
    assert response.status_code in (400, 404, 409)
    assert f'id="f-{field}-error"' in response.text and message in response.text
    assert "The points were not changed" in response.text
    assert 'name="reference" value="r1"' in response.text  # the same form, so a retry is still applied once
    assert await snapshot(db) == before


async def test_every_customer_form_checks_the_csrf_token(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await customer(client, tenant)
    user_offer_id = await issue(client, tenant, user_id, offer_id)
    before = await snapshot(db)
    data = {"offer_id": offer_id, "quantity": "1", "amount": "5", "reason": "x", "external_customer_id": "Z"}
    for path in (
        "/admin/customers/new",
        f"/admin/customers/{user_id}/issue",
        f"/admin/customers/{user_id}/points",
        f"/admin/customers/{user_id}/offers/{user_offer_id}/revoke",
    ):
        for token in (None, "forged"):
            response = await admin.http.post(path, data=data | ({"csrf_token": token} if token else {}))
            assert response.status_code == 403, path
    assert await snapshot(db) == before
    assert csrf_of((await admin.get(f"/admin/customers/{user_id}")).text) == admin.csrf


async def test_history_and_ledger_page_on_their_own(admin: Browser, client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await customer(client, tenant)
    offer_id = await create_offer(client, tenant)
    for _ in range(11):  # one more than a history page
        await issue(client, tenant, user_id, offer_id)
    for n in range(16):  # one more than a ledger page
        await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 1, "reason": f"r{n}"})
    first = await admin.get(f"/admin/customers/{user_id}")
    links = re.findall(r'href="(\?[^"]*)" rel="(prev|next)">(\w+)<', first.text)
    assert links == [("?history=2#history", "next", "Older"), ("?ledger=2#ledger", "next", "Older")]
    older = await admin.get(f"/admin/customers/{user_id}?history=2")
    links = re.findall(r'href="(\?[^"]*)" rel="(prev|next)">(\w+)<', older.text)
    assert links == [("?history=1#history", "prev", "Newer"), ("?ledger=2#ledger", "next", "Older")]


async def test_one_submit_of_a_new_customer_shows_decode_and_service_problems_together(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await customer(client, tenant)
    before = await snapshot(db)
    form = {"external_customer_id": "C-1", "first_name": "x" * 201, "email": "not an email", "phone": "call me"}
    response = await admin.post("/admin/customers/new", form)
    assert response.status_code == 400
    shown = dict(re.findall(r'<p class="field-error" id="f-([a-z-]+)-error"><span>([^<]*)</span></p>', response.text))
    assert shown == {
        "external-customer-id": "This already exists.",
        "first-name": "Use at most 200 characters.",
        "email": "Enter an e-mail address such as name@example.com.",
        "phone": "Enter a phone number: digits, spaces and + ( ) . - / only.",
    }
    assert await snapshot(db) == before


async def test_the_customer_list_sorts_by_a_column_across_pages(
    admin: Browser, client: httpx.AsyncClient, clock: FrozenClock, tenant: Tenant
) -> None:
    # 27 customers: names in the reverse order of creation, external ids in a third order.
    for n in range(27):
        clock.advance(seconds=1)
        await customer(
            client, tenant, external_customer_id=f"X-{(n * 7) % 27:02d}", first_name=f"N{26 - n:02d}", email=None
        )
    names = re.compile(r'<a href="/admin/customers/[0-9a-f-]{36}">([^<]+)</a>')

    async def listed(**params: str) -> list[str]:
        page = await admin.get("/admin/customers", params=params)
        assert page.status_code == 200
        return [name.removesuffix(" Lovelace") for name in names.findall(page.text)]

    assert await listed(sort="name") == [f"N{n:02d}" for n in range(25)]
    # The sort is kept by the pager: page 2 goes on where page 1 stopped.
    first = await admin.get("/admin/customers", params={"sort": "name"})
    assert 'href="?page=2&amp;sort=name"' in first.text or 'href="?sort=name&amp;page=2"' in first.text
    assert "27 customers." in first.text and 'aria-sort="ascending"' in first.text
    assert await listed(sort="name", page="2") == ["N25", "N26"]
    assert await listed(sort="-name", page="2") == ["N01", "N00"]
    by_id = await listed(sort="external_id")
    assert by_id[:3] == ["N26", "N22", "N18"]  # X-00 (n=0), X-01 (n=4), X-02 (n=8); named N{26 - n}
    assert await listed(sort="-created") == await listed() == [f"N{n:02d}" for n in range(25)]
    assert await listed(sort="created", page="2") == ["N01", "N00"]
    # An unknown key is the default order.
    assert await listed(sort="password") == await listed()
