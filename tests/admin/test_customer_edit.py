"""Editing a customer's profile from the admin: the `users/update` service with its validation and
normalisation, field errors next to the fields, and nothing saved when anything is wrong."""

from __future__ import annotations

import html
import re
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.wallet import service as wallet
from openoffers.wallet.schemas import GetUserRequest, UserOut
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import api, create_user

FORM = {
    "external_customer_id": "C-1",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "",
    "profile_fields": "",
}


async def ada(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> str:
    values = {"external_customer_id": "C-1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    return await create_user(client, tenant, **(values | fields))


async def stored(db: Database, tenant: Tenant, user_id: str) -> UserOut:
    return await wallet.get_user(db, GetUserRequest(retailer_id=tenant.retailer_id, user_id=UUID(user_id)))


def value_of(page: str, name: str) -> str:
    match = re.search(rf'<input type="[a-z]+" id="[^"]+" name="{name}" value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


def textarea_of(page: str, name: str) -> str:
    match = re.search(rf'<textarea id="[^"]+" name="{name}"[^>]*>([^<]*)</textarea>', page)
    assert match, name
    return html.unescape(match.group(1))


async def test_the_form_shows_the_profile_and_saves_every_field(
    admin: Browser, client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    user_id = await ada(client, tenant, phone="440 273 702", profile_fields={"tier": "gold", "visits": 3})
    detail = await admin.get(f"/admin/customers/{user_id}")
    assert f'<a class="button secondary" href="/admin/customers/{user_id}/edit">Edit profile</a>' in detail.text
    page = await admin.get(f"/admin/customers/{user_id}/edit")
    assert page.status_code == 200
    assert [value_of(page.text, n) for n in ("external_customer_id", "first_name", "last_name", "email", "phone")] == [
        "C-1",
        "Ada",
        "Lovelace",
        "ada@example.com",
        "440 273 702",
    ]
    assert textarea_of(page.text, "profile_fields") == '{\n  "tier": "gold",\n  "visits": 3\n}'
    for label in ("External id", "First name", "Last name", "Email", "Phone", "Profile fields"):
        assert f">{label}</label>" in page.text

    clock.advance(hours=1)
    response = await admin.post(
        f"/admin/customers/{user_id}/edit",
        {
            "external_customer_id": " C-77 ",
            "first_name": " Augusta ",
            "last_name": "King",
            "email": " Augusta@Example.COM ",
            "phone": "+1 (555) 010-9999",
            "profile_fields": '{"tier": "platinum", "pets": ["cat"]}',
        },
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/admin/customers/{user_id}?notice=customer_saved",
    )
    user = await stored(db, tenant, user_id)
    assert (user.external_customer_id, user.first_name, user.last_name, user.email, user.phone) == (
        "C-77",
        "Augusta",
        "King",
        "Augusta@Example.COM",
        "+1 (555) 010-9999",
    )
    assert user.profile_fields == {"tier": "platinum", "pets": ["cat"]}
    assert user.updated_at == "2026-06-15T13:00:00Z"
    shown = await admin.get(response.headers["location"])
    assert "Profile saved." in shown.text and "Augusta King" in shown.text
    assert "<div><dt>Phone</dt><dd>+1 (555) 010-9999</dd></div>" in shown.text
    assert "<div><dt>tier</dt><dd>platinum</dd></div>" in shown.text
    # Normalised as the API normalises: email in any case, phone by its digits.
    for key in ({"email": "augusta@example.com"}, {"phone": "15550109999"}, {"external_customer_id": "C-77"}):
        assert (await api(client, tenant, "/api/2.0/users/get", key))["user_id"] == user_id


async def test_blank_fields_clear_the_optional_ones(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    user_id = await ada(client, tenant, phone="555 0100", profile_fields={"tier": "gold"})
    blank = {name: "  " for name in FORM}
    response = await admin.post(f"/admin/customers/{user_id}/edit", blank)
    assert response.status_code == 303
    user = await stored(db, tenant, user_id)
    assert (user.external_customer_id, user.first_name, user.last_name, user.email, user.phone) == (
        None,
        "",
        "",
        None,
        None,
    )
    assert user.profile_fields == {}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"email": "not an email"}, "email", "Enter an e-mail address such as name@example.com."),
        ({"phone": "call me"}, "phone", "Enter a phone number: digits, spaces and + ( ) . - / only."),
        ({"first_name": "x" * 201}, "first-name", "Use at most 200 characters."),
        ({"external_customer_id": "x" * 101}, "external-customer-id", "Use at most 100 characters."),
        ({"external_customer_id": "C-2"}, "external-customer-id", "This already exists."),
        ({"profile_fields": '["a list"]'}, "profile-fields", "This must be a JSON object"),
        ({"profile_fields": '{"tier": '}, "profile-fields", "This must be a JSON object"),
        ({"profile_fields": "tier=gold"}, "profile-fields", "This must be a JSON object"),
    ],
)
async def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(
    admin: Browser,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    user_id = await ada(client, tenant)
    await ada(client, tenant, external_customer_id="C-2", email="bob@example.com", first_name="Bob")
    before = await snapshot(db)
    sent = FORM | {"first_name": "Changed"} | values
    response = await admin.post(f"/admin/customers/{user_id}/edit", sent)
    assert response.status_code in (400, 409)
    assert response.status_code == (409 if message == "This already exists." else 400)
    error = re.search(rf'<p class="field-error" id="f-{field}-error"><span>([^<]*)</span></p>', response.text)
    assert error and message in error.group(1), response.text
    assert 'aria-invalid="true"' in response.text
    assert "The profile was not saved" in response.text
    # What was typed is kept, so it can be corrected.
    assert value_of(response.text, "first_name") == sent["first_name"]
    assert value_of(response.text, "email") == sent["email"]
    assert textarea_of(response.text, "profile_fields") == sent["profile_fields"]
    assert await snapshot(db) == before


async def test_several_bad_fields_are_all_shown(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    user_id = await ada(client, tenant)
    before = await snapshot(db)
    response = await admin.post(
        f"/admin/customers/{user_id}/edit",
        FORM | {"email": "nope", "phone": "nope", "profile_fields": "[]"},
    )
    assert response.status_code == 400
    for field in ("email", "phone", "profile-fields"):
        assert f'id="f-{field}-error"' in response.text, field
    assert await snapshot(db) == before


async def test_another_retailers_customer_is_not_found(
    admin: Browser, client: httpx.AsyncClient, db: Database, other_tenant: Tenant
) -> None:
    theirs = await ada(client, other_tenant, first_name="Theirs")
    before = await snapshot(db)
    page = await admin.get(f"/admin/customers/{theirs}/edit")
    assert page.status_code == 404 and "Theirs" not in page.text
    response = await admin.post(f"/admin/customers/{theirs}/edit", FORM)
    assert response.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert await snapshot(db) == before


async def test_without_the_csrf_token_nothing_changes(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    user_id = await ada(client, tenant)
    before = await snapshot(db)
    response = await admin.http.post(f"/admin/customers/{user_id}/edit", data=FORM | {"first_name": "Mallory"})
    assert response.status_code == 403 and "This form has expired" in response.text
    assert await snapshot(db) == before


async def test_signed_out_the_edit_page_asks_to_sign_in(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await ada(client, tenant)
    page = await client.get(f"/admin/customers/{user_id}/edit")
    assert page.status_code == 303
    assert page.headers["location"] == f"/admin/login?next=%2Fadmin%2Fcustomers%2F{user_id}%2Fedit"


async def test_one_submit_of_an_edit_shows_decode_and_service_problems_together(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    user_id = await ada(client, tenant)
    await ada(client, tenant, external_customer_id="C-2", email="bob@example.com", first_name="Bob")
    before = await snapshot(db)
    sent = FORM | {"external_customer_id": "C-2", "email": "not an email", "profile_fields": "tier=gold"}
    response = await admin.post(f"/admin/customers/{user_id}/edit", sent)
    assert response.status_code == 400
    shown = dict(re.findall(r'<p class="field-error" id="f-([a-z-]+)-error"><span>([^<]*)</span></p>', response.text))
    assert shown == {
        "external-customer-id": "This already exists.",
        "email": "Enter an e-mail address such as name@example.com.",
        "profile-fields": "This must be a JSON object, such as {&#34;tier&#34;: &#34;gold&#34;}, or left blank.",
    }
    assert await snapshot(db) == before
