"""Loyalty rule pages on both engines: list, create and edit through the forms (decoded as the API
decodes its bodies), deactivate, and the simulator, which changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.loyalty.points.repository import default_account_id
from openoffers.loyalty.rules import service as rules_service
from openoffers.loyalty.rules.schemas import ListRulesRequest, RuleOut, RuleRef
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import api, create_offer, create_user

RULE_LINK = re.compile(r'href="/admin/rules/([0-9a-f-]{36})/edit"')


async def rules_of(db: Database, tenant: Tenant) -> list[RuleOut]:
    return (await rules_service.list_rules(db, ListRulesRequest(retailer_id=tenant.retailer_id))).results


async def only_rule(db: Database, tenant: Tenant) -> RuleOut:
    [rule] = await rules_of(db, tenant)
    return rule


def earn_form(**values: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "kind": "earn",
        "name": "1 point per dollar",
        "priority": "0",
        "starts_at": "",
        "ends_at": "",
        "rate": "1",
        "point_account_id": "",
        "_rows.multipliers": "1",
    }
    form.update(values)
    return form


def issuance_form(offer_id: str, trigger: str, /, **values: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "kind": "issuance",
        "name": "Reward",
        "priority": "0",
        "offer_id": offer_id,
        "trigger.type": trigger,
        "recurrence": "once",
        "per_user_cap": "",
        "points_threshold.balance": "lifetime",
        "conditions.0.operator": "equals",
        "_rows.conditions": "1",
        "_rows.multipliers": "1",
    }
    form.update(values)
    return form


# --- List -------------------------------------------------------------------------------------


async def test_an_empty_list_explains_the_two_kinds(admin: Browser) -> None:
    page = await admin.get("/admin/rules")
    assert page.status_code == 200
    assert "No rules yet" in page.text and 'href="/admin/rules/new?kind=earn"' in page.text
    chooser = await admin.get("/admin/rules/new")
    assert "Earn points" in chooser.text and "Issue an offer" in chooser.text


async def test_list_filters_and_describes_rules(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    await admin.post("/admin/rules/new", earn_form())
    await admin.post(
        "/admin/rules/new",
        issuance_form(
            offer_id, "visit_count", name="Tenth visit", **{"visit_count.every": "10", "recurrence": "every_time"}
        ),
    )
    listing = await admin.get("/admin/rules")
    assert "1 point per $1.00 spent, into Points" in listing.text
    assert "Issues “$5 off” when every 10 visits (every time)" in listing.text
    earn_only = await admin.get("/admin/rules?kind=earn")
    assert len(RULE_LINK.findall(earn_only.text)) == 1 and "Tenth visit" not in earn_only.text
    tenth = next(r for r in await rules_of(db, tenant) if r.name == "Tenth visit")
    response = await admin.post(f"/admin/rules/{tenth.rule_id}/deactivate")
    assert response.headers["location"] == "/admin/rules?notice=rule_deactivated"
    inactive = await admin.get("/admin/rules?active=0")
    assert "Tenth visit" in inactive.text and "1 point per dollar" not in inactive.text
    assert "Rule deactivated" in (await admin.get(response.headers["location"])).text
    active = await admin.post(f"/admin/rules/{tenth.rule_id}/activate?back=edit")
    assert active.headers["location"] == f"/admin/rules/{tenth.rule_id}/edit?notice=rule_activated"
    assert all(r.active for r in await rules_of(db, tenant))


# --- Create and edit --------------------------------------------------------------------------


async def test_create_an_earn_rule_with_multipliers(admin: Browser, db: Database, tenant: Tenant) -> None:
    page = await admin.get("/admin/rules/new?kind=earn")
    assert page.status_code == 200 and "New earn rule" in page.text
    response = await admin.post(
        "/admin/rules/new",
        earn_form(
            **{
                "rate": "0.5",
                "starts_at": "2026-07-01T09:00",
                "_rows.multipliers": "2",
                "multipliers.0.factor": "2",
                "multipliers.0.category_ids": "coffee, tea",
                "multipliers.0.days_of_week": ["monday", "friday"],
                "multipliers.0.time_windows": "07:00-11:00, 17:00 - 19:30",
                "multipliers.0.store_ids": str(tenant.store_id),
                "multipliers.1.factor": "",  # a blank row is left out
            }
        ),
    )
    assert (response.status_code, response.headers["location"]) == (303, "/admin/rules?notice=rule_created")
    rule = await only_rule(db, tenant)
    assert (rule.kind, rule.name, rule.rate) == ("earn", "1 point per dollar", Decimal("0.5"))
    assert rule.point_account_id == default_account_id(tenant.retailer_id)
    assert rule.starts_at == "2026-07-01T13:00:00Z"  # typed in New York time
    assert rule.multipliers == [
        {
            "factor": Decimal(2),
            "store_ids": [str(tenant.store_id)],
            "store_tags": [],
            "channels": [],
            "item_ids": [],
            "category_ids": ["coffee", "tea"],
            "days_of_week": ["monday", "friday"],
            "time_windows": [{"start": "07:00", "end": "11:00"}, {"start": "17:00", "end": "19:30"}],
        }
    ]
    # The editor shows it back as it was typed.
    editor = await admin.get(f"/admin/rules/{rule.rule_id}/edit")
    html = editor.text
    assert 'name="rate" value="0.5"' in html and 'name="starts_at" value="2026-07-01T09:00"' in html
    assert 'name="multipliers.0.time_windows" value="07:00-11:00, 17:00-19:30"' in html
    assert 'name="multipliers.0.days_of_week" value="friday" checked' in html


async def test_create_issuance_rules_of_every_trigger(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "points_threshold",
            {"points_threshold.threshold": "200", "points_threshold.spend_points": "1"},
            {
                "type": "points_threshold",
                "threshold": 200,
                "point_account_id": str(default_account_id(tenant.retailer_id)),
                "balance": "lifetime",
                "spend_points": True,
            },
        ),
        (
            "transaction_closed",
            {
                "transaction_closed.min_spend": "12.50",
                "transaction_closed.required_item_ids": "latte",
                "transaction_closed.store_ids": str(tenant.store_id),
            },
            {
                "type": "transaction_closed",
                "min_spend": Decimal("12.50"),
                "required_item_ids": ["latte"],
                "required_category_ids": [],
                "channels": [],
                "store_ids": [str(tenant.store_id)],
                "store_tags": [],
            },
        ),
        ("visit_count", {"visit_count.every": "5"}, {"type": "visit_count", "every": 5}),
        ("user_enrolled", {}, {"type": "user_enrolled"}),
        (
            "custom_event",
            {
                "custom_event.event_name": "birthday",
                "_rows.conditions": "2",
                "conditions.0.property": "age",
                "conditions.0.operator": "gte",
                "conditions.0.value": "18.5",
                "conditions.1.property": "tier",
                "conditions.1.operator": "in",
                "conditions.1.values": 'gold\r\n"123"\r\n7',
            },
            {
                "type": "custom_event",
                "event_name": "birthday",
                "conditions": [
                    {"property": "age", "operator": "gte", "value": 18.5, "values": []},
                    {"property": "tier", "operator": "in", "value": None, "values": ["gold", "123", 7]},
                ],
            },
        ),
    ]
    for trigger, fields, expected in cases:
        response = await admin.post("/admin/rules/new", issuance_form(offer_id, trigger, name=trigger, **fields))
        assert response.status_code == 303, (trigger, response.text)
        rule = next(r for r in await rules_of(db, tenant) if r.name == trigger)
        assert rule.trigger == expected, trigger
        assert rule.offer_id == UUID(offer_id)
        # What the editor shows saves back to the same rule.
        editor = await admin.get(f"/admin/rules/{rule.rule_id}/edit")
        assert editor.status_code == 200
        values = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', editor.text))
        assert values.get("kind") == "issuance"
    custom = next(r for r in await rules_of(db, tenant) if r.name == "custom_event")
    editor = await admin.get(f"/admin/rules/{custom.rule_id}/edit")
    assert 'name="conditions.0.value" value="18.5"' in editor.text
    assert "gold\n&#34;123&#34;\n7</textarea>" in editor.text  # text that looks like a number stays quoted


async def test_edit_a_rule(admin: Browser, db: Database, tenant: Tenant) -> None:
    await admin.post("/admin/rules/new", earn_form())
    rule = await only_rule(db, tenant)
    editor = await admin.get(f"/admin/rules/{rule.rule_id}/edit")
    assert f'action="/admin/rules/{rule.rule_id}/edit"' in editor.text and "Save changes" in editor.text
    assert f'action="/admin/rules/{rule.rule_id}/deactivate?back=edit"' in editor.text
    response = await admin.post(f"/admin/rules/{rule.rule_id}/edit", earn_form(name="Double points", rate="2"))
    assert response.headers["location"] == "/admin/rules?notice=rule_saved"
    saved = await only_rule(db, tenant)
    assert (saved.name, saved.rate, saved.revision) == ("Double points", Decimal(2), 2)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"rate": "lots"}, "rate", "Enter a number, such as 4.99."),
        ({"rate": ""}, "rate", "This is required for an earn rule."),
        ({"rate": "-1"}, "rate", "This must not be negative."),
        ({"priority": "first"}, "priority", "Enter a whole number, such as 10."),
        ({"ends_at": "2026-01-01T00:00", "starts_at": "2026-02-01T00:00"}, "ends-at", "This must be after the start."),
        ({"multipliers.0.category_ids": "coffee"}, "multipliers-0-factor", "This is required."),
        (
            {"multipliers.0.factor": "2", "multipliers.0.time_windows": "7:00"},
            "multipliers-0-time-windows",
            "This is required.",
        ),
        (
            {"multipliers.0.factor": "2", "multipliers.0.time_windows": "25:00-26:00"},
            "multipliers-0-time-windows",
            "Enter store times like 07:00-11:00, separated by commas.",
        ),
        (
            {"point_account_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"},
            "point-account-id",
            "There is no such one. Pick one from the list.",
        ),
        ({"name": "x" * 201}, "name", "Use at most 200 characters."),
    ],
)
async def test_a_bad_earn_rule_shows_the_api_message_and_saves_nothing(
    admin: Browser, db: Database, values: dict[str, Any], field: str, message: str
) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/rules/new", earn_form(**values))
    assert response.status_code == 400
    assert f'id="f-{field}-error"' in response.text, response.text
    assert message in response.text
    assert "This could not be saved" in response.text
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("trigger", "values", "field", "message"),
    [
        ("transaction_closed", {"transaction_closed.min_spend": "1.234"}, "transaction-closed-min-spend", "decimals"),
        (
            "transaction_closed",
            {"offer_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"},
            "offer-id",
            "There is no such one. Pick one from the list.",
        ),
        ("transaction_closed", {"offer_id": ""}, "offer-id", "is required for an issuance rule"),
        ("visit_count", {"visit_count.every": "0"}, "visit-count-every", "Enter 1 or more."),
        (
            "points_threshold",
            {"points_threshold.threshold": ""},
            "points-threshold-threshold",
            "This is required.",
        ),
        ("custom_event", {"custom_event.event_name": ""}, "custom-event-event-name", "This is required."),
        (
            "custom_event",
            {"custom_event.event_name": "x", "conditions.0.property": "age", "conditions.0.operator": "sometimes"},
            "conditions-0-operator",
            "Choose one of the options.",
        ),
        ("bogus", {}, "trigger-type", "Invalid value &#39;bogus&#39;"),
        ("transaction_closed", {"per_user_cap": "none"}, "per-user-cap", "Expected `int | null`, got `str`"),
    ],
)
async def test_a_bad_issuance_rule_shows_the_api_message_and_saves_nothing(
    admin: Browser,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    trigger: str,
    values: dict[str, Any],
    field: str,
    message: str,
) -> None:
    offer_id = await create_offer(client, tenant)
    before = await snapshot(db)
    response = await admin.post("/admin/rules/new", issuance_form(offer_id, trigger, **values))
    assert response.status_code == 400
    assert f'id="f-{field}-error"' in response.text, response.text
    assert message in response.text
    assert await snapshot(db) == before


async def test_a_refused_edit_changes_nothing(admin: Browser, db: Database, tenant: Tenant) -> None:
    await admin.post("/admin/rules/new", earn_form())
    rule = await only_rule(db, tenant)
    before = await snapshot(db)
    response = await admin.post(f"/admin/rules/{rule.rule_id}/edit", earn_form(rate="-2"))
    assert response.status_code == 400 and "This must not be negative." in response.text
    assert await snapshot(db) == before


async def test_adding_a_row_saves_nothing(admin: Browser, db: Database) -> None:
    before = await snapshot(db)
    response = await admin.post("/admin/rules/new", earn_form(**{"multipliers.0.factor": "2", "_add": "multipliers"}))
    assert response.status_code == 200
    assert 'name="multipliers.1.factor"' in response.text
    assert re.search(r'name="multipliers.1.factor" value=""[^>]* autofocus', response.text)
    assert 'name="multipliers.0.factor" value="2"' in response.text
    assert await snapshot(db) == before


async def test_another_retailers_rule_is_not_found(
    admin: Browser, client: httpx.AsyncClient, db: Database, other_tenant: Tenant
) -> None:
    theirs = await api(client, other_tenant, "/api/2.0/rules/create", {"kind": "earn", "rate": 1, "name": "Theirs"})
    before = await snapshot(db)
    assert (await admin.get(f"/admin/rules/{theirs['rule_id']}/edit")).status_code == 404
    assert (await admin.post(f"/admin/rules/{theirs['rule_id']}/edit", earn_form())).status_code == 404
    assert (await admin.post(f"/admin/rules/{theirs['rule_id']}/deactivate")).status_code == 404
    assert (await admin.get("/admin/rules/not-a-uuid/edit")).status_code == 404
    assert "Theirs" not in (await admin.get("/admin/rules")).text
    assert await snapshot(db) == before
    ref = RuleRef(retailer_id=other_tenant.retailer_id, rule_id=UUID(theirs["rule_id"]))
    assert (await rules_service.get_rule(db, ref)).active


async def test_every_rule_form_checks_the_csrf_token(admin: Browser, db: Database, tenant: Tenant) -> None:
    await admin.post("/admin/rules/new", earn_form())
    rule = await only_rule(db, tenant)
    before = await snapshot(db)
    for path in (
        "/admin/rules/new",
        f"/admin/rules/{rule.rule_id}/edit",
        f"/admin/rules/{rule.rule_id}/deactivate",
        f"/admin/rules/{rule.rule_id}/activate",
    ):
        for token in (None, "forged"):
            data = earn_form(name="Forged") | ({"csrf_token": token} if token else {})
            assert (await admin.http.post(path, data=data)).status_code == 403, path
    assert await snapshot(db) == before


# --- Simulate ---------------------------------------------------------------------------------


async def test_simulate_a_check_changes_nothing(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant)
    await create_user(client, tenant, external_customer_id="C-1", first_name="Ada", last_name="L")
    await admin.post("/admin/rules/new", earn_form(**{"multipliers.0.factor": "3", "multipliers.0.item_ids": "latte"}))
    await admin.post(
        "/admin/rules/new",
        issuance_form(offer_id, "transaction_closed", name="Big spender", **{"transaction_closed.min_spend": "20"}),
    )
    await admin.post(
        "/admin/rules/new", issuance_form(offer_id, "visit_count", name="Fifth visit", **{"visit_count.every": "5"})
    )
    blank = await admin.get("/admin/rules/simulate?customer=C-1")
    assert blank.status_code == 200 and 'name="customer" value="C-1"' in blank.text
    assert "Fill in the check" in blank.text and 'name="items.2.item_id"' in blank.text
    before = await snapshot(db)
    params = {
        "customer": "C-1",
        "store_id": str(tenant.store_id),
        "items.0.item_id": "latte",
        "items.0.quantity": "2",
        "items.0.unit_price": "4.50",
        "items.1.item_id": "bagel",
        "items.1.quantity": "1",
        "items.1.unit_price": "3",
        "run": "1",
    }
    page = await admin.get("/admin/rules/simulate", params=params)
    assert page.status_code == 200, page.text
    html = page.text
    assert "For <strong>Ada L</strong>" in html
    assert "<div><dt>Points earned</dt><dd>30</dd></div>" in html  # 9 x 3 + 3
    assert "<div><dt>Offers issued</dt><dd>0</dd></div>" in html
    assert "<strong>Big spender</strong>: Minimum spend not met" in html
    assert "<strong>Fifth visit</strong>: Not the right visit" in html
    assert await snapshot(db) == before  # simulating records nothing

    params["items.0.quantity"] = "5"
    bigger = await admin.get("/admin/rules/simulate", params=params)
    assert "1 ×</strong> “$5 off” from “Big spender”" in bigger.text
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"customer": "nobody"}, "customer", "user not found"),
        ({"customer": ""}, "customer", "This is required."),
        ({"items.0.quantity": "two"}, "items-0-quantity", "Enter a number, such as 4.99."),
        ({"items.0.unit_price": "x", "items.1.unit_price": "y"}, "items-1-unit-price", "Enter a number, such as 4.99."),
        ({"store_id": ""}, "store-id", "is required with a transaction"),
        ({"occurred_at": "yesterday"}, "occurred-at", "This is not a date or time"),
    ],
)
async def test_a_bad_simulation_shows_field_errors(
    admin: Browser,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    await create_user(client, tenant, external_customer_id="C-1")
    before = await snapshot(db)
    params = {
        "customer": "C-1",
        "store_id": str(tenant.store_id),
        "items.0.item_id": "latte",
        "items.0.quantity": "1",
        "items.0.unit_price": "4",
        "items.1.item_id": "bagel",
        "items.1.unit_price": "3",
        "run": "1",
        **values,
    }
    page = await admin.get("/admin/rules/simulate", params=params)
    assert page.status_code == 400
    assert f'id="f-{field}-error"' in page.text, page.text
    assert message in page.text
    assert "Fill in the check" in page.text  # no result shown
    assert await snapshot(db) == before


async def test_simulate_adds_a_line_without_running(admin: Browser, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create_user(client, tenant, external_customer_id="C-1")
    page = await admin.get(
        "/admin/rules/simulate",
        params={"customer": "C-1", "_rows.items": "3", "items.0.item_id": "latte", "_add": "items"},
    )
    assert 'name="items.3.item_id"' in page.text and 'name="items.0.item_id" value="latte"' in page.text
    assert "Fill in the check" in page.text


def field_error(text: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{field}-error"><span>([^<]*)</span></p>', text)
    assert found, f"no error at {field}"
    return found.group(1)


async def test_one_submit_of_a_new_rule_shows_decode_and_service_problems_together(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await create_offer(client, tenant)
    before = await snapshot(db)
    form = issuance_form(
        "6f9619ff-8b86-d011-b42d-00cf4fc964ff",  # no such offer: the service's lookup
        "transaction_closed",
        per_user_cap="none",  # does not decode
        starts_at="2030-02-01T00:00",
        ends_at="2030-01-01T00:00",  # before the start: the service's shape check
    )
    response = await admin.post("/admin/rules/new", form)
    assert response.status_code == 400
    assert "Expected `int | null`, got `str`" in field_error(response.text, "per-user-cap")
    assert field_error(response.text, "offer-id") == "There is no such one. Pick one from the list."
    assert "after" in field_error(response.text, "ends-at")
    assert await snapshot(db) == before


async def test_one_submit_of_an_edited_rule_shows_decode_and_service_problems_together(
    admin: Browser, db: Database, tenant: Tenant
) -> None:
    await admin.post("/admin/rules/new", earn_form())
    rule = await only_rule(db, tenant)
    before = await snapshot(db)
    form = earn_form(
        name="x" * 201,  # does not decode
        point_account_id="6f9619ff-8b86-d011-b42d-00cf4fc964ff",  # no such account: the service's lookup
        starts_at="2030-02-01T00:00",
        ends_at="2030-01-01T00:00",  # before the start: the service's shape check
    )
    response = await admin.post(f"/admin/rules/{rule.rule_id}/edit", form)
    assert response.status_code == 400
    assert field_error(response.text, "name") == "Use at most 200 characters."
    assert field_error(response.text, "point-account-id") == "There is no such one. Pick one from the list."
    assert "after" in field_error(response.text, "ends-at")
    assert await snapshot(db) == before


FIELD_ERRORS = re.compile(r'<p class="field-error" id="f-([a-z0-9-]+)-error">((?:<span>[^<]*</span>)+)</p>')


def field_errors(text: str) -> dict[str, list[str]]:
    """Every error shown next to a field: field id -> its messages."""
    return {f: re.findall(r"<span>([^<]*)</span>", spans) for f, spans in FIELD_ERRORS.findall(text)}


def summary_of(text: str) -> list[str]:
    """The error summary above the form, as its lines read."""
    block = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', text, re.S)
    assert block, "no error summary"
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


async def test_three_mistakes_in_the_rules_core_are_three_problems_in_one_answer(
    admin: Browser, db: Database, tenant: Tenant
) -> None:
    """The core's shape check names every problem: three independent mistakes, each next to its field
    and in the summary, in one submit; nothing saved, on create and on edit."""
    mistakes = {
        "rate": "-2",
        "starts_at": "2030-02-01T00:00",
        "ends_at": "2030-01-01T00:00",
        "multipliers.0.factor": "2",
        "multipliers.0.time_windows": "07:00-11:00, 09:00-09:00",
    }
    expected = {
        "rate": ["This must not be negative."],
        "ends-at": ["This must be after the start."],
        "multipliers-0-time-windows": ["A time window must not start where it ends."],
    }
    before = await snapshot(db)
    response = await admin.post("/admin/rules/new", earn_form(**mistakes))
    assert response.status_code == 400
    assert field_errors(response.text) == expected
    assert summary_of(response.text) == [
        "Active until: This must be after the start.",
        "Points per currency unit: This must not be negative.",
        "Multiplier 1, time windows: A time window must not start where it ends.",
    ]
    assert await snapshot(db) == before

    await admin.post("/admin/rules/new", earn_form())
    rule = await only_rule(db, tenant)
    before = await snapshot(db)
    response = await admin.post(f"/admin/rules/{rule.rule_id}/edit", earn_form(**mistakes))
    assert response.status_code == 400
    assert field_errors(response.text) == expected
    assert await snapshot(db) == before


async def test_an_issuance_rule_with_core_decode_and_lookup_problems_shows_them_all(
    admin: Browser, db: Database
) -> None:
    before = await snapshot(db)
    form = issuance_form(
        "6f9619ff-8b86-d011-b42d-00cf4fc964ff",  # no such offer: the lookup
        "custom_event",
        per_user_cap="none",  # does not decode
        starts_at="2030-02-01T00:00",
        ends_at="2030-01-01T00:00",  # the core: before the start
        **{
            "custom_event.event_name": "signed_up",
            "_rows.conditions": "2",
            "conditions.0.property": "tier",
            "conditions.0.value": "gold",
            "conditions.1.property": "age",
            "conditions.1.operator": "gte",
            "conditions.1.value": "high",  # the core: an ordering needs a number
        },
    )
    response = await admin.post("/admin/rules/new", form)
    assert response.status_code == 400
    assert field_errors(response.text) == {
        "ends-at": ["This must be after the start."],
        "offer-id": ["There is no such one. Pick one from the list."],
        "per-user-cap": ["Expected `int | null`, got `str`."],
        "conditions-1": ["This comparison needs a number, such as 50."],
    }
    # A trigger left out for a field that does not decode is not also "required" at the trigger.
    response = await admin.post(
        "/admin/rules/new", issuance_form("6f9619ff-8b86-d011-b42d-00cf4fc964ff", "custom_event")
    )
    assert field_errors(response.text) == {
        "offer-id": ["There is no such one. Pick one from the list."],
        "custom-event-event-name": ["This is required."],
    }
    assert await snapshot(db) == before


async def test_the_rule_list_sorts_by_a_column_across_pages(
    admin: Browser, clock: FrozenClock, db: Database, tenant: Tenant
) -> None:
    # 27 rules: names in the reverse order of creation, priorities 0, 1, 2, 0, 1, 2, ...
    for n in range(27):
        clock.advance(seconds=1)
        response = await admin.post("/admin/rules/new", earn_form(name=f"R{26 - n:02d}", priority=str(n % 3)))
        assert response.status_code == 303
    ids = {rule.name: str(rule.rule_id) for rule in await rules_of(db, tenant)}
    names = {rule_id: name for name, rule_id in ids.items()}

    async def listed(**params: str) -> list[str]:
        page = await admin.get("/admin/rules", params=params)
        assert page.status_code == 200
        return [names[rule_id] for rule_id in RULE_LINK.findall(page.text)]

    creation = [f"R{26 - n:02d}" for n in range(27)]
    assert await listed() == await listed(sort="created") == creation[:25]
    assert await listed(sort="name") == [f"R{n:02d}" for n in range(25)]
    # The sort is kept by the pager, and the filters by the column headers.
    first = await admin.get("/admin/rules", params={"sort": "-name", "kind": "earn"})
    assert "27 rules match the filters." in first.text and 'aria-sort="descending"' in first.text
    assert 'href="?kind=earn&amp;sort=-name&amp;page=2"' in first.text
    assert 'href="?kind=earn&amp;sort=name"' in first.text
    assert await listed(sort="-name", page="2") == ["R01", "R00"]
    assert await listed(sort="name", page="2") == ["R25", "R26"]
    # Priority, then the id: the nine rules of priority 2 last, in id order.
    by_priority = await listed(sort="priority", page="2")
    assert by_priority == sorted(creation[2::3], key=lambda name: ids[name])[-2:]
    assert await listed(sort="-created", page="2") == ["R25", "R26"]
    assert await listed(sort="secret") == creation[:25]
