"""Offer definitions over HTTP: every type, discount config and restriction kind of API.md 3.1 round-trips;
an incomplete offer is saved as a draft with per-field reasons; malformed input is a 400 and saves nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.offers.schemas import OFFER_TYPES
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant, basic, offer_body, snapshot

CREATE = "/api/2.0/offers/management/create"
UPDATE = "/api/2.0/offers/management/update"
FETCH = "/api/2.0/offers/fetch_offer"


async def create(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    response = await client.post(CREATE, json=offer_body(tenant.retailer_id, **overrides), headers=tenant.auth)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


async def fetch(client: httpx.AsyncClient, tenant: Tenant, offer_id: str) -> dict[str, Any]:
    response = await client.post(
        FETCH, json={"retailer_id": str(tenant.retailer_id), "offer_id": offer_id}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    offer: dict[str, Any] = response.json()["payload"]["offer"]
    return offer


# Every offer type with its numbers: published, and stored exactly.
TYPES: list[tuple[str, dict[str, Any], dict[str, Any], bool, bool]] = [
    # offer_type, discount_config sent, discount_config fetched, check_level, all_items_eligible
    ("manual_fulfillment", {}, {}, False, False),
    ("fixed_amount_check_discount", {"amount": 5}, {"amount": 5}, True, True),
    ("fixed_amount_check_discount", {"amount": "4.99", "recurrence": 1}, {"amount": 4.99, "recurrence": 1}, True, True),
    (
        "percent_check_discount",
        {"percent": "12.5", "max_discount": 20},
        {"percent": 12.5, "max_discount": 20},
        True,
        True,
    ),
    ("fixed_amount_item_discount", {"amount": ".50", "max_items": "2"}, {"amount": 0.5, "max_items": 2}, False, True),
    ("percent_item_discount", {"percent": 50, "max_items": 1}, {"percent": 50, "max_items": 1}, False, True),
    ("set_price_coupon", {"price": "1.99"}, {"price": 1.99}, False, True),
    ("set_price_coupon", {"price": 0}, {"price": 0}, False, True),
    (
        "buy_x_get_y_fixed",
        {"buy_count": 2, "get_count": 1, "amount": 1, "recurrence": 3},
        {"buy_count": 2, "get_count": 1, "amount": 1, "recurrence": 3},
        False,
        True,
    ),
    (
        "buy_x_get_y_percent",
        {"buy_count": "1", "get_count": "1", "percent": 100, "max_discount": "7.25"},
        {"buy_count": 1, "get_count": 1, "percent": 100, "max_discount": 7.25},
        False,
        True,
    ),
    (
        "buy_x_get_y_set_price",
        {"buy_count": 3, "get_count": 1, "price": 0},
        {"buy_count": 3, "get_count": 1, "price": 0},
        False,
        True,
    ),
]


async def test_every_offer_type_publishes_and_round_trips(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert {case[0] for case in TYPES} == set(OFFER_TYPES)
    for offer_type, sent, fetched, check_level, all_items in TYPES:
        created = await create(
            client, tenant, offer_type=offer_type, offer_config={"type": offer_type}, discount_config=sent
        )
        assert (created["new_status"], created["validation_errors"]) == (1, {}), offer_type
        offer = await fetch(client, tenant, created["offer_id"])
        assert offer["offer_type_id"] == offer_type
        assert offer["discount_config"] == fetched, offer_type
        assert (offer["check_level"], offer["all_items_eligible"]) == (check_level, all_items), offer_type


async def test_offer_config_type_alone_names_the_type(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = offer_body(
        tenant.retailer_id, offer_config={"type": "percent_item_discount"}, discount_config={"percent": 5}
    )
    del body["offer_type"]
    response = await client.post(CREATE, json=body, headers=tenant.auth)
    assert response.json()["payload"]["new_status"] == 1
    offer = await fetch(client, tenant, response.json()["payload"]["offer_id"])
    assert offer["offer_type_id"] == "percent_item_discount"


async def test_every_restriction_kind_round_trips(
    db: Database, clock: FrozenClock, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    second = await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="Airport", now=clock())
    restrictions: dict[str, Any] = {
        "location_restrictions": [
            {"type": "stores", "mode": "exclude", "store_ids": [str(second.id).upper()], "store_tags": ["Airport"]},
            {"type": "stores", "store_tags": ["downtown"]},
        ],
        "catalog_restrictions": [
            {"type": "items", "mode": "include", "item_ids": ["1", "2"], "category_ids": ["coffee"]},
            {"type": "items", "mode": "exclude", "item_ids": ["99"]},
        ],
        "purchase_restrictions": [
            {"type": "min_subtotal", "amount": "10.50"},
            {"type": "min_quantity", "quantity": "2", "item_ids": ["1"]},
            {"type": "required_items", "category_ids": ["pastry"]},
        ],
        "use_restrictions": [
            {"type": "days_of_week", "days": ["monday", "friday"]},
            {"type": "time_of_day", "start": "7:00", "end": "11:30:00"},
            {"type": "channels", "channels": ["STORE", "online"]},
            {"type": "max_uses", "uses": 1, "period_unit": "weeks", "period_value": 2},
        ],
        "issuance_restrictions": [
            {"type": "inventory", "total": 1000},
            {"type": "per_customer", "max": 2},
            {"type": "frequency", "max": 1, "period_unit": "days", "period_value": 7},
        ],
    }
    created = await create(
        client,
        tenant,
        offer_type="percent_item_discount",
        discount_config={"percent": 20, "max_items": 1},
        exclusive=True,
        stack_priority="5",
        common_config={
            "acquisition_start_date": "2026-01-01T00:00:00Z",
            "acquisition_end_date": "2027-01-01T00:00:00Z",
            "does_not_expire": True,
            "valid_after_end_date": "true",
            "reward_store": True,
            "points_cost": "250",
            "custom_data": '{"a": [1, 2, {"b": "c"}]}  ',
        },
        media_config=[{"uri": "https://cdn.example/offer.png", "culture": "en"}],
        **restrictions,
    )
    assert (created["new_status"], created["validation_errors"]) == (1, {})
    offer = await fetch(client, tenant, created["offer_id"])
    assert offer["location_restrictions"] == [
        {"type": "stores", "mode": "exclude", "store_ids": [str(second.id)], "store_tags": ["Airport"]},
        {"type": "stores", "mode": "include", "store_ids": [], "store_tags": ["downtown"]},
    ]
    assert offer["catalog_restrictions"] == [
        {"type": "items", "mode": "include", "item_ids": ["1", "2"], "category_ids": ["coffee"]},
        {"type": "items", "mode": "exclude", "item_ids": ["99"], "category_ids": []},
    ]
    assert offer["purchase_restrictions"] == [
        {"type": "min_subtotal", "amount": 10.5},
        {"type": "min_quantity", "quantity": 2, "item_ids": ["1"], "category_ids": []},
        {"type": "required_items", "item_ids": [], "category_ids": ["pastry"]},
    ]
    assert offer["use_restrictions"] == [
        {"type": "days_of_week", "days": ["monday", "friday"]},
        {"type": "time_of_day", "start": "7:00", "end": "11:30:00"},
        {"type": "channels", "channels": ["STORE", "online"]},
        {"type": "max_uses", "uses": 1, "period_unit": "weeks", "period_value": 2},
    ]
    assert offer["issuance_restrictions"] == restrictions["issuance_restrictions"]
    assert (offer["exclusive"], offer["stack_priority"]) == (True, 5)
    assert (offer["does_not_expire"], offer["valid_after_end_date"]) == (True, True)
    assert (offer["reward_store"], offer["points_cost"]) == (True, 250)
    assert offer["custom_data"] == '{"a": [1, 2, {"b": "c"}]}  '
    assert offer["all_items_eligible"] is False  # a catalog restriction limits the items
    assert [(m["uri"], m["culture"], m["media_type"]) for m in offer["offer_media"]] == [
        ("https://cdn.example/offer.png", "en", "image")
    ]


async def test_a_past_acquisition_window_is_not_an_error(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(
        client,
        tenant,
        common_config={"acquisition_start_date": "2018-03-01 00:00:00.0", "acquisition_end_date": "2019-03-31"},
    )
    assert (created["new_status"], created["validation_errors"]) == (1, {})


UNKNOWN_STORE = "7d1f0e8e-3c4b-4f43-9a5e-2f6e4c1b0a99"

# What publishing needs, per field: saved as a draft, the reasons in validation_errors.
UNPUBLISHABLE: list[tuple[str, dict[str, Any], dict[str, list[str]]]] = [
    ("no text", {"text_config": []}, {"text_config": ["needs at least one text with a title"]}),
    (
        "blank title",
        {"text_config": [{"title": " ", "description": "d"}]},
        {"text_config": ["needs at least one text with a title"]},
    ),
    ("no type", {"offer_type": None}, {"offer_type": ["is required"]}),
    (
        "end before start",
        {"common_config": {"acquisition_start_date": "2026-02-01", "acquisition_end_date": "2026-01-31"}},
        {"common_config.acquisition_end_date": ["must be after acquisition_start_date"]},
    ),
    (
        "end equals start in another zone",
        {
            "common_config": {
                "acquisition_start_date": "2026-02-01T05:00:00Z",
                "acquisition_end_date": "2026-02-01T00:00:00-05:00",
            }
        },
        {"common_config.acquisition_end_date": ["must be after acquisition_start_date"]},
    ),
    (
        "period without unit",
        {"common_config": {"validity_period": 3}},
        {"common_config.validity_period": ["validity_period and validity_unit go together"]},
    ),
    (
        "zero period",
        {"common_config": {"validity_period": 0, "validity_unit": "days"}},
        {"common_config.validity_period": ["must be at least 1"]},
    ),
    (
        "reward store without points",
        {"common_config": {"reward_store": True}},
        {"common_config.points_cost": ["a reward store offer needs a points_cost above 0"]},
    ),
    (
        "fixed amount without amount",
        {"discount_config": {}},
        {"discount_config.amount": ["fixed_amount_check_discount needs an amount above 0"]},
    ),
    (
        "zero amount",
        {"offer_type": "fixed_amount_item_discount", "discount_config": {"amount": 0}},
        {"discount_config.amount": ["fixed_amount_item_discount needs an amount above 0"]},
    ),
    (
        "percent without percent",
        {"offer_type": "percent_check_discount", "discount_config": {"amount": 5}},
        {"discount_config.percent": ["percent_check_discount needs a percent above 0"]},
    ),
    (
        "set price without price",
        {"offer_type": "set_price_coupon", "discount_config": {}},
        {"discount_config.price": ["set_price_coupon needs a price"]},
    ),
    (
        "buy x get y without counts",
        {"offer_type": "buy_x_get_y_percent", "discount_config": {"percent": 100, "buy_count": 0}},
        {"discount_config.buy_count": ["must be at least 1"], "discount_config.get_count": ["must be at least 1"]},
    ),
    (
        "zero recurrence, max items, cap",
        {"discount_config": {"amount": 5, "recurrence": 0, "max_items": 0, "max_discount": 0}},
        {
            "discount_config.recurrence": ["must be at least 1"],
            "discount_config.max_items": ["must be at least 1"],
            "discount_config.max_discount": ["must be above 0 (leave it out for no cap)"],
        },
    ),
    (
        "sub-cent amounts",
        {"discount_config": {"amount": "5.005", "max_discount": "1.001"}},
        {
            "discount_config.amount": ["has more than 2 decimal places for this currency"],
            "discount_config.max_discount": ["has more than 2 decimal places for this currency"],
        },
    ),
    (
        "percent beyond basis points",
        {"offer_type": "percent_check_discount", "discount_config": {"percent": "12.345"}},
        {"discount_config.percent": ["at most 2 decimal places (basis points)"]},
    ),
    (
        "unknown store",
        {"location_restrictions": [{"type": "stores", "store_ids": [UNKNOWN_STORE]}]},
        {"location_restrictions[0].store_ids": [f"unknown store {UNKNOWN_STORE}"]},
    ),
    (
        "empty location",
        {"location_restrictions": [{"type": "stores", "mode": "exclude"}]},
        {"location_restrictions[0]": ["needs store_ids or store_tags"]},
    ),
    (
        "empty catalog",
        {"catalog_restrictions": [{"type": "items"}]},
        {"catalog_restrictions[0]": ["needs item_ids or category_ids"]},
    ),
    (
        "purchase restrictions",
        {
            "purchase_restrictions": [
                {"type": "min_subtotal", "amount": "9.999"},
                {"type": "min_quantity", "quantity": 0},
                {"type": "required_items"},
            ]
        },
        {
            "purchase_restrictions[0].amount": ["has more than 2 decimal places for this currency"],
            "purchase_restrictions[1].quantity": ["must be at least 1"],
            "purchase_restrictions[2]": ["needs item_ids or category_ids"],
        },
    ),
    (
        "use restrictions",
        {
            "use_restrictions": [
                {"type": "time_of_day", "start": "9:00", "end": "09:00:00"},
                {"type": "max_uses", "uses": 0},
                {"type": "max_uses", "uses": 1, "period_value": 0},
            ]
        },
        {
            "use_restrictions[0]": ["start and end must differ"],
            "use_restrictions[1]": ["uses and period_value must be at least 1"],
            "use_restrictions[2]": ["uses and period_value must be at least 1"],
        },
    ),
    (
        "issuance restrictions",
        {
            "issuance_restrictions": [
                {"type": "per_customer", "max": 0},
                {"type": "frequency", "max": 0},
                {"type": "per_customer", "max": 1},
            ]
        },
        {
            "issuance_restrictions[0].max": ["must be at least 1"],
            "issuance_restrictions[1]": ["max and period_value must be at least 1"],
            "issuance_restrictions[2]": ["each issuance restriction kind may appear once"],
        },
    ),
]


async def test_unpublishable_offers_are_saved_as_drafts_with_reasons(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for case, overrides, problems in UNPUBLISHABLE:
        created = await create(client, tenant, **overrides)
        assert created["new_status"] == 0, case
        assert created["state_transition"] == "created_new-(unknown_status>draft)", case
        assert created["validation_errors"] == problems, case
        offer = await fetch(client, tenant, created["offer_id"])
        assert (offer["status"], offer["validation_errors"]) == (0, problems), case


async def test_another_retailers_store_is_unknown(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await create(
        client, tenant, location_restrictions=[{"type": "stores", "store_ids": [str(other_tenant.store_id)]}]
    )
    assert created["new_status"] == 0
    assert created["validation_errors"] == {
        "location_restrictions[0].store_ids": [f"unknown store {other_tenant.store_id}"]
    }


@pytest.mark.parametrize(
    ("currency", "amount", "publishable"),
    [("JPY", "5", True), ("JPY", "5.5", False), ("KWD", "1.125", True), ("KWD", "1.1255", False)],
)
async def test_amount_precision_follows_the_retailers_currency(
    db: Database, clock: FrozenClock, client: httpx.AsyncClient, currency: str, amount: str, publishable: bool
) -> None:
    retailer = await tenancy.create_retailer(db, name=currency, currency=currency, now=clock())
    _, secret = await tenancy.create_api_key(
        db, retailer_id=retailer.id, key=f"k-{currency}", secret="s" * 10, now=clock()
    )
    response = await client.post(
        CREATE,
        json=offer_body(retailer.id, discount_config={"amount": amount}),
        headers=basic(f"k-{currency}", secret),
    )
    payload = response.json()["payload"]
    exponent = {"JPY": 0, "KWD": 3}[currency]
    expected = (
        {}
        if publishable
        else {"discount_config.amount": [f"has more than {exponent} decimal places for this currency"]}
    )
    assert (payload["new_status"], payload["validation_errors"]) == (int(publishable), expected)


# Malformed input: 400 VALIDATION naming the field, and nothing saved.
MALFORMED: list[tuple[str, dict[str, Any], dict[str, list[str]]]] = [
    ("unknown offer_type", {"offer_type": "free_lunch"}, {"offer_type": ["Invalid enum value 'free_lunch'"]}),
    (
        "unknown offer_config.type",
        {"offer_config": {"type": "free_lunch"}},
        {"offer_config.type": ["Invalid enum value 'free_lunch'"]},
    ),
    (
        "disagreeing types",
        {"offer_type": "percent_check_discount", "offer_config": {"type": "manual_fulfillment"}},
        {"offer_config.type": ["must agree with offer_type (percent_check_discount)"]},
    ),
    (
        "unknown use restriction",
        {"use_restrictions": [{"type": "weather", "sunny": True}]},
        {"use_restrictions[0].type": ["Invalid value 'weather'"]},
    ),
    (
        "unknown location restriction",
        {"location_restrictions": [{"type": "regions"}]},
        {"location_restrictions[0].type": ["Invalid value 'regions'"]},
    ),
    (
        "unknown catalog restriction",
        {"catalog_restrictions": [{"type": "brands"}]},
        {"catalog_restrictions[0].type": ["Invalid value 'brands'"]},
    ),
    (
        "unknown purchase restriction",
        {"purchase_restrictions": [{"type": "min_subtotal", "amount": 1}, {"type": "max_subtotal"}]},
        {"purchase_restrictions[1].type": ["Invalid value 'max_subtotal'"]},
    ),
    (
        "unknown issuance restriction",
        {"issuance_restrictions": [{"type": "lottery"}]},
        {"issuance_restrictions[0].type": ["Invalid value 'lottery'"]},
    ),
    (
        "restriction without type",
        {"use_restrictions": [{"days": ["monday"]}]},
        {"use_restrictions[0]": ["Object missing required field `type`"]},
    ),
    ("text_config not a list", {"text_config": "hello"}, {"text_config": ["Expected `array`, got `str`"]}),
    ("publish not a boolean", {"publish": "maybe"}, {"publish": ["Expected `bool`, got `str`"]}),
    (
        "validity_period not a number",
        {"common_config": {"validity_period": "ten"}},
        {"common_config.validity_period": ["Expected `int | null`, got `str`"]},
    ),
    (
        "unknown validity_unit",
        {"common_config": {"validity_unit": "fortnights", "validity_period": 1}},
        {"common_config.validity_unit": ["Invalid enum value 'fortnights'"]},
    ),
    (
        "malformed date",
        {"common_config": {"acquisition_start_date": "31/12/2026"}},
        {"common_config.acquisition_start_date": ["not a date or time: '31/12/2026'"]},
    ),
    (
        "date out of range",
        {"common_config": {"acquisition_end_date": "9999-12-31T23:00:00-05:00"}},
        {"common_config.acquisition_end_date": ["out of range in UTC: '9999-12-31T23:00:00-05:00'"]},
    ),
    (
        "amount not a number",
        {"discount_config": {"amount": "five"}},
        {"discount_config.amount": ["Invalid decimal string"]},
    ),
    (
        "negative amount",
        {"discount_config": {"amount": "-5"}},
        {"discount_config.amount": ["must be between 0 and 1000000000"]},
    ),
    (
        "absurd amount",
        {"discount_config": {"amount": "1000000000.01"}},
        {"discount_config.amount": ["must be between 0 and 1000000000"]},
    ),
    (
        "NaN amount",
        {"discount_config": {"amount": "NaN"}},
        {"discount_config.amount": ["must be a finite number"]},
    ),
    (
        "infinite price",
        {"offer_type": "set_price_coupon", "discount_config": {"price": "Infinity"}},
        {"discount_config.price": ["must be a finite number"]},
    ),
    (
        "negative cap",
        {"discount_config": {"amount": 5, "max_discount": -1}},
        {"discount_config.max_discount": ["must be between 0 and 1000000000"]},
    ),
    (
        "percent over 100",
        {"offer_type": "percent_check_discount", "discount_config": {"percent": "100.01"}},
        {"discount_config.percent": ["must be between 0 and 100"]},
    ),
    (
        "negative percent",
        {"offer_type": "percent_check_discount", "discount_config": {"percent": -10}},
        {"discount_config.percent": ["must be between 0 and 100"]},
    ),
    (
        "NaN percent",
        {"offer_type": "percent_check_discount", "discount_config": {"percent": "sNaN"}},
        {"discount_config.percent": ["must be a finite number"]},
    ),
    (
        "negative min subtotal",
        {"purchase_restrictions": [{"type": "min_subtotal", "amount": "-0.01"}]},
        {"purchase_restrictions[0].amount": ["must be between 0 and 1000000000"]},
    ),
    (
        "negative count",
        {"discount_config": {"amount": 5, "max_items": -1}},
        {"discount_config.max_items": ["Expected `int` >= 0"]},
    ),
    (
        "negative inventory",
        {"issuance_restrictions": [{"type": "inventory", "total": -5}]},
        {"issuance_restrictions[0].total": ["Expected `int` >= 0"]},
    ),
    (
        "malformed store id",
        {"location_restrictions": [{"type": "stores", "store_ids": ["store-1"]}]},
        {"location_restrictions[0].store_ids[0]": ["Invalid UUID"]},
    ),
    (
        "unknown mode",
        {"catalog_restrictions": [{"type": "items", "mode": "sometimes", "item_ids": ["1"]}]},
        {"catalog_restrictions[0].mode": ["Invalid enum value 'sometimes'"]},
    ),
    (
        "unknown day",
        {"use_restrictions": [{"type": "days_of_week", "days": ["someday"]}]},
        {"use_restrictions[0].days[0]": ["Invalid enum value 'someday'"]},
    ),
    (
        "bad clock time",
        {"use_restrictions": [{"type": "time_of_day", "start": "25:00", "end": "26:00"}]},
        {"use_restrictions[0].start": [r"Expected `str` matching regex '^([01]?\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$'"]},
    ),
    (
        "title too long",
        {"text_config": [{"title": "x" * 201}]},
        {"text_config[0].title": ["Expected `str` of length <= 200"]},
    ),
    (
        "bad culture",
        {"text_config": [{"title": "t", "culture": "english!"}]},
        {"text_config[0].culture": ["Expected `str` matching regex '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$'"]},
    ),
    (
        "culture twice",
        {"text_config": [{"title": "a", "culture": "en"}, {"title": "b", "culture": "EN"}]},
        {"text_config[1].culture": ["appears twice"]},
    ),
    ("stack priority out of range", {"stack_priority": 5000}, {"stack_priority": ["Expected `int` <= 1000"]}),
    (
        "guide's malformed retailer id",
        {"retailer_id": "2D5B5A08-BECD-4837-A69A-2AB967C17773A"},
        {"retailer_id": ["Invalid UUID"]},
    ),
]


async def test_malformed_definitions_are_refused_and_save_nothing(
    db: Database, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = await snapshot(db)
    for case, overrides, fields in MALFORMED:
        body = {**offer_body(tenant.retailer_id), **overrides}
        response = await client.post(CREATE, json=body, headers=tenant.auth)
        assert response.status_code == 400, (case, response.text)
        errors = response.json()["errors"]
        assert (errors["code"], errors["fields"]) == ("VALIDATION", fields), case
        assert await snapshot(db) == before, case


async def test_a_malformed_update_changes_nothing(db: Database, client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(client, tenant)
    before = await snapshot(db)
    body = {
        **offer_body(tenant.retailer_id, discount_config={"amount": -1}),
        "offer_id": created["offer_id"],
    }
    response = await client.post(UPDATE, json=body, headers=tenant.auth)
    assert response.status_code == 400
    assert response.json()["errors"]["fields"] == {"discount_config.amount": ["must be between 0 and 1000000000"]}
    assert await snapshot(db) == before


async def test_dates_are_stored_in_utc_and_returned_with_z(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(
        client,
        tenant,
        common_config={
            "acquisition_start_date": "2026-03-01T09:30:00.1234567+05:30",
            "acquisition_end_date": "2026-06-10 9:20:00.000",
        },
    )
    offer = await fetch(client, tenant, created["offer_id"])
    assert (offer["acquisition_start_date"], offer["acquisition_end_date"]) == (
        "2026-03-01T04:00:00.123456Z",
        "2026-06-10T09:20:00Z",
    )
    assert (offer["start_date"], offer["end_date"]) == (offer["acquisition_start_date"], offer["acquisition_end_date"])
    assert datetime.fromisoformat(offer["created_at"]) == datetime.fromisoformat("2026-06-15T12:00:00+00:00")
    assert UUID(offer["id"]) == UUID(created["offer_id"])
