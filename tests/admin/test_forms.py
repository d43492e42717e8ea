from datetime import UTC, datetime
from uuid import UUID

import msgspec

from openoffers.admin.forms import (
    Form,
    OfferForm,
    decode_offer,
    field_id,
    form_from_definition,
    label_of,
    map_errors,
    map_path,
    new_offer_form,
    offer_body,
    parse_offer_form,
    split_list,
)
from openoffers.kit import wire
from openoffers.offers.schemas import CreateOfferRequest, OfferDefinition, UpdateOfferRequest

RETAILER = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
STORE = "136b6d16-1317-4ac6-b551-19540d53bd6c"
NY = "America/New_York"

FULL = {
    "offer_type": "percent_item_discount",
    "text_config": [
        {
            "title": "20% off coffee",
            "description": "Mornings\nonly",
            "terms_and_conditions": "One a visit",
            "culture": "en",
        },
        {"title": "20 % sur le café", "description": "", "terms_and_conditions": "", "culture": "fr-CA"},
    ],
    "media_config": [{"uri": "https://img.example/coffee.png", "culture": "", "media_type": "image"}],
    "common_config": {
        "acquisition_start_date": "2026-07-01T13:00:00Z",
        "acquisition_end_date": "2026-12-31T23:59:30Z",
        "does_not_expire": False,
        "valid_after_end_date": True,
        "reward_store": True,
        "points_cost": 250,
        "validity_unit": "days",
        "validity_period": 30,
        "custom_data": '{"CustomAttribute": "CustomValue"}',
    },
    "discount_config": {"percent": "12.5", "max_discount": "10.50", "max_items": 2},
    "location_restrictions": [{"type": "stores", "mode": "include", "store_ids": [STORE], "store_tags": ["downtown"]}],
    "catalog_restrictions": [
        {"type": "items", "mode": "exclude", "item_ids": ["sku-1", "sku-2"], "category_ids": ["alcohol"]}
    ],
    "purchase_restrictions": [
        {"type": "min_subtotal", "amount": "5.00"},
        {"type": "min_quantity", "quantity": 2, "item_ids": [], "category_ids": ["coffee"]},
        {"type": "required_items", "item_ids": ["sku-9"], "category_ids": []},
    ],
    "use_restrictions": [
        {"type": "days_of_week", "days": ["monday", "friday"]},
        {"type": "time_of_day", "start": "7:00", "end": "11:30"},
        {"type": "time_of_day", "start": "17:00", "end": "19:00:30"},
        {"type": "channels", "channels": ["pos", "online"]},
        {"type": "max_uses", "uses": 1, "period_unit": "weeks", "period_value": 2},
    ],
    "issuance_restrictions": [
        {"type": "inventory", "total": 100},
        {"type": "per_customer", "max": 1},
        {"type": "frequency", "max": 1, "period_unit": "days", "period_value": 7},
    ],
    "exclusive": True,
    "stack_priority": 5,
}


def definition_part(request: CreateOfferRequest) -> OfferDefinition:
    return OfferDefinition(**{name: getattr(request, name) for name in OfferDefinition.__struct_fields__})


def test_every_field_survives_definition_to_form_to_request() -> None:
    definition = wire.convert(FULL, OfferDefinition)
    form, stored_rows = form_from_definition(definition, timezone=NY, default_culture="en")
    # Dates are shown in the retailer's time zone (EDT in July, EST in December).
    assert form.value("common_config.acquisition_start_date") == "2026-07-01T09:00"
    assert form.value("common_config.acquisition_end_date") == "2026-12-31T18:59:30"
    assert form.value("time_of_day.0.start") == "07:00"  # what <input type=time> accepts
    assert form.value("time_of_day.1.end") == "19:00:30"
    assert form.values("stores.0.store_ids") == [STORE]
    assert form.value("items.0.item_ids") == "sku-1, sku-2"
    assert form.values("days_of_week.0.days") == ["monday", "friday"]
    assert form.value("discount_config.max_discount") == "10.50"
    assert form.checked("exclusive") and form.checked("common_config.reward_store")
    assert not form.checked("common_config.does_not_expire")
    assert form.rows["time_of_day"] == 2 and form.rows["media"] == 1 and form.rows["text"] == 2
    assert stored_rows["use_restrictions"] == [
        "days_of_week.0",
        "time_of_day.0",
        "time_of_day.1",
        "channels.0",
        "max_uses.0",
    ]
    body, rows = offer_body(form, retailer_id=RETAILER, timezone=NY, default_culture="en", publish=True)
    assert rows == stored_rows
    request, errors = decode_offer(body, CreateOfferRequest, rows)
    assert errors == {}
    assert request is not None and request.publish is True and request.retailer_id == RETAILER
    # The same offer; only the clock time is written the way a time input writes it ("7:00" -> "07:00").
    expected = msgspec.structs.replace(
        definition,
        use_restrictions=[
            msgspec.structs.replace(r, start="07:00") if getattr(r, "start", "") == "7:00" else r
            for r in definition.use_restrictions
        ],
    )
    assert definition_part(request) == expected


def test_offer_body_is_the_api_body_and_skips_blank_rows() -> None:
    form, adding = parse_offer_form(
        {
            "csrf_token": ["ignored"],
            "_rows.text": ["2"],
            "_rows.time_of_day": ["2"],
            "offer_type": ["fixed_amount_check_discount"],
            "text.0.culture": ["en"],
            "text.0.title": ["$5 off"],
            "text.0.description": ["Line one\r\nline two"],
            "text.0.terms_and_conditions": [""],
            "text.1.culture": ["fr"],  # a culture alone is a blank row
            "text.1.title": [""],
            "discount_config.amount": [" 5 "],
            "discount_config.percent": [""],
            "common_config.acquisition_start_date": ["2026-07-01T09:00"],
            "common_config.validity_period": ["30"],
            "common_config.validity_unit": ["days"],
            "common_config.does_not_expire": ["1"],
            "time_of_day.0.start": [""],
            "time_of_day.0.end": [""],
            "time_of_day.1.start": ["07:00"],
            "time_of_day.1.end": ["11:00"],
            "stores.0.mode": ["include"],  # a mode alone is a blank row
            "items.0.mode": ["exclude"],
            "items.0.category_ids": ["beer,\nwine , "],
            "max_uses.0.period_unit": ["days"],
            "stack_priority": ["0"],
        }
    )
    assert not adding
    body, rows = offer_body(form, retailer_id=RETAILER, timezone=NY, default_culture="en", publish=False)
    assert body == {
        "retailer_id": str(RETAILER),
        "publish": False,
        "offer_type": "fixed_amount_check_discount",
        "text_config": [
            {"culture": "en", "title": "$5 off", "description": "Line one\nline two", "terms_and_conditions": ""}
        ],
        "media_config": [],
        "location_restrictions": [],
        "catalog_restrictions": [
            {"type": "items", "mode": "exclude", "item_ids": [], "category_ids": ["beer", "wine"]}
        ],
        "purchase_restrictions": [],
        "use_restrictions": [{"type": "time_of_day", "start": "07:00", "end": "11:00"}],
        "issuance_restrictions": [],
        "common_config": {
            "acquisition_start_date": "2026-07-01T09:00:00-04:00",
            "validity_unit": "days",
            "validity_period": "30",
            "does_not_expire": True,
            "valid_after_end_date": False,
            "reward_store": False,
        },
        "discount_config": {"amount": "5"},
        "exclusive": False,
        "stack_priority": "0",
    }
    assert rows["use_restrictions"] == ["time_of_day.1"]
    assert rows["catalog_restrictions"] == ["items.0"]
    request, errors = decode_offer(body, CreateOfferRequest, rows)
    assert errors == {} and request is not None
    start = request.common_config.acquisition_start_date
    assert start is not None and start == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def test_update_body_names_the_offer_and_a_blank_culture_takes_the_default() -> None:
    offer_id = UUID("d94c7c36-0d65-4cda-9c9b-20b484c08866")
    form = OfferForm(data={"text.0.title": ["Hi"], "text.0.culture": [""]})
    body, _ = offer_body(
        form, retailer_id=RETAILER, timezone="UTC", default_culture="fr", publish=True, offer_id=offer_id
    )
    assert body["offer_id"] == str(offer_id)
    assert body["text_config"] == [{"title": "Hi", "description": "", "terms_and_conditions": "", "culture": "fr"}]
    request, errors = decode_offer(body, UpdateOfferRequest, {})
    assert errors == {} and request is not None and request.offer_id == offer_id


def test_decode_reports_every_malformed_field_with_the_apis_messages() -> None:
    form, _ = parse_offer_form(
        {
            "_rows.min_subtotal": ["2"],
            "offer_type": ["percent_item_discount"],
            "text.0.culture": ["en"],
            "text.0.title": ["20% off"],
            "discount_config.percent": ["abc"],
            "discount_config.max_items": ["-1"],
            "min_subtotal.0.amount": ["zz"],
            "min_subtotal.1.amount": ["5"],
            "days_of_week.0.days": ["monday", "funday"],
            "time_of_day.0.start": ["07:00"],
            "common_config.validity_unit": ["fortnights"],
        }
    )
    body, rows = offer_body(form, retailer_id=RETAILER, timezone=NY, default_culture="en", publish=True)
    request, errors = decode_offer(body, CreateOfferRequest, rows)
    assert request is None
    assert errors == {
        "min_subtotal.0.amount": ["Invalid decimal string"],
        "days_of_week.0.days": ["Invalid enum value 'funday'"],
        "time_of_day.0": ["Object missing required field `end`"],
        "common_config.validity_unit": [
            "Invalid enum value 'fortnights'",
        ],
        "discount_config.percent": ["Invalid decimal string"],
        "discount_config.max_items": ["Expected `int` >= 0"],
    }
    # The body itself was not changed by collecting the errors.
    assert body["purchase_restrictions"][0] == {"type": "min_subtotal", "amount": "zz"}


def test_map_path() -> None:
    rows = {"use_restrictions": ["days_of_week.0", "time_of_day.3"], "text_config": ["text.1"]}
    assert map_path("use_restrictions[1]", rows) == "time_of_day.3"
    assert map_path("use_restrictions[1].start", rows) == "time_of_day.3.start"
    assert map_path("use_restrictions[0].days[2]", rows) == "days_of_week.0.days"
    assert map_path("use_restrictions[5]", rows) == "use_restrictions"
    assert map_path("text_config[0].culture", rows) == "text.1.culture"
    assert map_path("text_config", rows) == "text_config"
    assert map_path("discount_config.amount", rows) == "discount_config.amount"
    assert map_path("offer_config.type", rows) == "offer_type"
    for general in ("body", "retailer_id", "offer_id", "publish", ""):
        assert map_path(general, rows) == ""
    assert map_errors({"use_restrictions[1]": ["a"], "use_restrictions[1].start": ["b"]}, rows) == {
        "time_of_day.3": ["a"],
        "time_of_day.3.start": ["b"],
    }


def test_stored_problems_land_on_the_rows_an_api_created_offer_shows() -> None:
    # Created through the API in another order than the form's: errors still find their rows.
    definition = wire.convert(
        {
            "use_restrictions": [
                {"type": "time_of_day", "start": "09:00", "end": "09:00"},
                {"type": "days_of_week", "days": ["monday"]},
            ]
        },
        OfferDefinition,
    )
    form, rows = form_from_definition(definition, timezone="UTC", default_culture="en")
    form.place_errors(map_errors({"use_restrictions[0]": ["start and end must differ"]}, rows))
    assert form.errors == {"time_of_day.0": ["Start and end must differ."]}
    assert form.summary() == [("f-time-of-day-0", "Time window 1", "Start and end must differ.")]


def test_add_row_asks_for_one_more_row_and_focuses_it() -> None:
    form, adding = parse_offer_form({"_rows.time_of_day": ["1"], "_add": ["time_of_day"]})
    assert adding and form.rows["time_of_day"] == 2 and form.focus == "time_of_day.1.start"
    form, adding = parse_offer_form({"_add": ["text"], "_rows.text": ["1"]})
    assert adding and form.focus == "text.1.title"
    form, adding = parse_offer_form({"_add": ["nonsense"], "_rows.text": ["500"]})
    assert not adding and form.rows["text"] == 50  # the API's limit
    form, _ = parse_offer_form({"_rows.stores": ["x"]})
    assert form.rows["stores"] == 1


def test_new_form_defaults() -> None:
    form = new_offer_form(timezone=NY, default_culture="en-us")
    assert form.data == {"stack_priority": ["0"], "text.0.culture": ["en-us"]}
    assert all(count == 1 for count in form.rows.values())
    assert not form.has_content("stores", "items")


def test_errors_without_a_field_go_to_the_top() -> None:
    form = Form(data={"name": ["x"]}, fields=frozenset({"timezone"}))
    form.place_errors({"name": ["too long"], "timezone": ["unknown"], "id": ["already exists"], "": ["boom"]})
    # In plain words: a sentence, and the field's name instead of its key.
    assert form.errors == {"name": ["Too long."], "timezone": ["Unknown."]}
    assert form.general == ["Id: This already exists.", "Boom."]
    assert form.error_count == 4


def test_labels_ids_and_lists() -> None:
    assert field_id("text.0.title") == "f-text-0-title"
    assert field_id("discount_config.amount") == "f-discount-config-amount"
    assert label_of("discount_config.amount") == "Amount off"
    assert label_of("time_of_day.1.start") == "Time window 2, start"
    assert label_of("stores.0") == "Stores rule 1"
    assert label_of("store_ids") == "Store ids"
    assert split_list(" a, b\nc ,,\n") == ["a", "b", "c"]
