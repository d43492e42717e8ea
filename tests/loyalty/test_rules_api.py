"""api/2.0/rules/*: every endpoint, validation that changes nothing, and a simulator that changes nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.loyalty.points import repository as points_repo
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.loyalty.rules_support import (
    RULE_TABLES,
    check,
    close,
    create_rule,
    earn_rule,
    five_dollar_offer,
    issuance_rule,
    threshold_rule,
)
from tests.wallet.wallet_support import create_user, post


async def test_create_get_list_update_deactivate_activate(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await five_dollar_offer(client, tenant)
    default = str(points_repo.default_account_id(tenant.retailer_id))
    earn = await create_rule(
        client,
        tenant,
        {
            "kind": "earn",
            "name": " 1 point per $1 ",
            "rate": 1,
            "priority": "2",
            "multipliers": [
                {"factor": "2.5", "store_tags": ["downtown"], "days_of_week": ["saturday", "sunday"]},
                {"factor": 2, "time_windows": [{"start": "22:00", "end": "02:00"}]},
            ],
            "starts_at": "2026-01-01 00:00:00.0",
        },
    )
    assert {k: earn[k] for k in ("kind", "name", "active", "priority", "rate", "point_account_id", "revision")} == {
        "kind": "earn",
        "name": "1 point per $1",
        "active": True,
        "priority": 2,
        "rate": 1,
        "point_account_id": default,
        "revision": 1,
    }
    assert earn["starts_at"] == "2026-01-01T00:00:00Z"
    assert earn["multipliers"][0]["factor"] == 2.5
    assert earn["multipliers"][1]["time_windows"] == [{"start": "22:00", "end": "02:00"}]
    assert (earn["offer_id"], earn["trigger"], earn["recurrence"]) == (None, None, None)
    clock.advance(seconds=1)  # the list is in creation order
    issuance = await threshold_rule(client, tenant, offer_id, 200)
    assert issuance["trigger"] == {
        "type": "points_threshold",
        "threshold": 200,
        "point_account_id": default,
        "balance": "lifetime",
        "spend_points": False,
    }
    assert (issuance["recurrence"], issuance["per_user_cap"], issuance["offer_id"]) == ("every_time", None, offer_id)

    got = await post(client, tenant, "/api/2.0/rules/get", {"rule_id": earn["rule_id"].upper()})
    assert got == earn
    listing = await post(client, tenant, "/api/2.0/rules/list", {})
    assert [r["rule_id"] for r in listing["results"]] == [earn["rule_id"], issuance["rule_id"]]
    only = await post(client, tenant, "/api/2.0/rules/list", {"kind": "issuance"})
    assert [r["rule_id"] for r in only["results"]] == [issuance["rule_id"]]
    page = await post(client, tenant, "/api/2.0/rules/list", {"skip": 1, "take": 1})
    assert (page["total_records"], [r["rule_id"] for r in page["results"]]) == (2, [issuance["rule_id"]])

    clock.advance(minutes=1)
    updated = await post(
        client,
        tenant,
        "/api/2.0/rules/update",
        {"rule_id": earn["rule_id"], "kind": "earn", "name": "double", "rate": "2"},
    )
    assert (updated["name"], updated["rate"], updated["revision"], updated["multipliers"]) == ("double", 2, 2, [])
    assert (updated["created_at"], updated["updated_at"]) == (earn["created_at"], "2026-06-15T12:01:01Z")

    off = await post(client, tenant, "/api/2.0/rules/deactivate", {"rule_id": earn["rule_id"]})
    assert off["active"] is False
    assert (await post(client, tenant, "/api/2.0/rules/deactivate", {"rule_id": earn["rule_id"]}))["active"] is False
    inactive = await post(client, tenant, "/api/2.0/rules/list", {"active": False})
    assert [r["rule_id"] for r in inactive["results"]] == [earn["rule_id"]]
    on = await post(client, tenant, "/api/2.0/rules/activate", {"rule_id": earn["rule_id"]})
    assert on["active"] is True


async def test_custom_transaction_and_visit_triggers_round_trip(client: httpx.AsyncClient, tenant: Tenant) -> None:
    offer_id = await five_dollar_offer(client, tenant)
    custom = await issuance_rule(
        client,
        tenant,
        offer_id,
        {
            "type": "custom_event",
            "event_name": "survey",
            "conditions": [
                {"property": "score", "operator": "gt", "value": 7.5},
                {"property": "source", "operator": "not_in", "values": ["spam", 3]},
                {"property": "verified", "operator": "equals", "value": "true"},
            ],
        },
        per_user_cap="3",
        recurrence="every_time",
    )
    assert custom["trigger"]["conditions"][0] == {"property": "score", "operator": "gt", "value": 7.5, "values": []}
    assert custom["per_user_cap"] == 3
    closed = await issuance_rule(
        client,
        tenant,
        offer_id,
        {"type": "transaction_closed", "min_spend": ".77", "store_ids": [str(tenant.store_id).upper()]},
    )
    assert closed["trigger"]["min_spend"] == 0.77
    assert closed["trigger"]["store_ids"] == [str(tenant.store_id)]
    visits = await issuance_rule(client, tenant, offer_id, {"type": "visit_count", "every": "5"})
    assert visits["trigger"] == {"type": "visit_count", "every": 5}


BAD: list[tuple[dict[str, Any], str]] = [
    ({"kind": "points"}, "kind"),
    ({"kind": "earn"}, "rate"),
    ({"kind": "earn", "rate": "-1"}, "rate"),
    ({"kind": "earn", "rate": "one"}, "rate"),
    ({"kind": "earn", "rate": 1, "offer_id": "OFFER"}, "offer_id"),
    (
        {"kind": "earn", "rate": 1, "multipliers": [{"factor": 2, "days_of_week": ["funday"]}]},
        "multipliers[0].days_of_week[0]",
    ),
    (
        {
            "kind": "earn",
            "rate": 1,
            "multipliers": [{"factor": 2, "time_windows": [{"start": "10:00", "end": "10:00"}]}],
        },
        "multipliers[0].time_windows[0]",
    ),
    ({"kind": "earn", "rate": 1, "starts_at": "2026-02-01", "ends_at": "2026-01-01"}, "ends_at"),
    ({"kind": "earn", "rate": 1, "starts_at": "soon"}, "starts_at"),
    ({"kind": "issuance", "trigger": {"type": "user_enrolled"}}, "offer_id"),
    ({"kind": "issuance", "offer_id": "OFFER"}, "trigger"),
    ({"kind": "issuance", "offer_id": "OFFER", "trigger": {"type": "birthday"}}, "trigger.type"),
    (
        {"kind": "issuance", "offer_id": "OFFER", "trigger": {"type": "points_threshold", "threshold": 0}},
        "trigger.threshold",
    ),
    ({"kind": "issuance", "offer_id": "OFFER", "trigger": {"type": "visit_count"}}, "trigger"),
    (
        {"kind": "issuance", "offer_id": "OFFER", "trigger": {"type": "transaction_closed", "min_spend": "1.005"}},
        "trigger.min_spend",
    ),
    (
        {
            "kind": "issuance",
            "offer_id": "OFFER",
            "trigger": {
                "type": "custom_event",
                "event_name": "x",
                "conditions": [{"property": "a", "operator": "gte", "value": "high"}],
            },
        },
        "trigger.conditions[0]",
    ),
    (
        {"kind": "issuance", "offer_id": "OFFER", "trigger": {"type": "user_enrolled"}, "recurrence": "always"},
        "recurrence",
    ),
    (
        {"kind": "issuance", "offer_id": "OFFER", "trigger": {"type": "user_enrolled"}, "per_user_cap": 0},
        "per_user_cap",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[f for _, f in BAD])
async def test_malformed_rules_are_refused_and_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, body: dict[str, Any], field: str
) -> None:
    offer_id = await five_dollar_offer(client, tenant)
    body = {k: (offer_id if v == "OFFER" else v) for k, v in body.items()}
    before = await snapshot(db, *RULE_TABLES)
    error = await create_rule(client, tenant, body, status=400)
    assert error["errors"]["code"] == "VALIDATION"
    assert field in error["errors"]["fields"], error
    assert await snapshot(db, *RULE_TABLES) == before


async def test_every_problem_of_a_rule_in_one_answer_and_nothing_saved(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    """Three independent mistakes in an earn rule: one VALIDATION naming exactly those three, each at its
    field, as the offers API names several problems (one coded error, every field in `fields`)."""
    before = await snapshot(db)
    error = await create_rule(
        client,
        tenant,
        {
            "kind": "earn",
            "rate": "-1",
            "starts_at": "2030-02-01T00:00:00Z",
            "ends_at": "2030-01-01T00:00:00Z",
            "multipliers": [{"factor": 2}, {"factor": 3, "time_windows": [{"start": "09:00", "end": "09:00"}]}],
        },
        status=400,
    )
    assert error["errors"] == {
        "code": "VALIDATION",
        "message": "ends_at: must be after starts_at; rate: must not be negative; "
        "multipliers[1].time_windows[0]: a time window must not start where it ends",
        "fields": {
            "ends_at": ["must be after starts_at"],
            "rate": ["must not be negative"],
            "multipliers[1].time_windows[0]": ["a time window must not start where it ends"],
        },
    }
    # An issuance rule: a missing offer, an earn-only field, a blank event name and a condition the core
    # refuses, with a good condition between them.
    body = {
        "kind": "issuance",
        "rate": 1,
        "trigger": {
            "type": "custom_event",
            "event_name": "  ",
            "conditions": [
                {"property": "tier", "operator": "equals", "value": "gold"},
                {"property": "age", "operator": "gte", "value": "high"},
            ],
        },
    }
    error = await create_rule(client, tenant, body, status=400)
    assert (error["errors"]["code"], error["errors"]["fields"]) == (
        "VALIDATION",
        {
            "offer_id": ["is required for an issuance rule"],
            "rate": ["is only for earn rules"],
            "trigger.event_name": ["must not be blank"],
            "trigger.conditions[1]": ["gte needs a number (int or Decimal)"],
        },
    )
    # One problem still reads as before.
    error = await create_rule(client, tenant, {"kind": "earn", "rate": "-1"}, status=400)
    assert error["errors"] == {
        "code": "VALIDATION",
        "message": "rate: must not be negative",
        "fields": {"rate": ["must not be negative"]},
    }
    assert await snapshot(db) == before


async def test_every_problem_of_an_update_in_one_answer_and_nothing_changed(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    rule = await earn_rule(client, tenant)
    before = await snapshot(db)
    body = {
        "rule_id": rule["rule_id"],
        "kind": "earn",
        "rate": "1000001",
        "offer_id": str(UUID(int=3)),
        "multipliers": [{"factor": "-2"}],
    }
    error = await post(client, tenant, "/api/2.0/rules/update", body, status=400)
    assert (error["errors"]["code"], error["errors"]["fields"]) == (
        "VALIDATION",
        {
            "offer_id": ["is only for issuance rules"],
            "rate": ["must be at most 1000000"],
            "multipliers[0].factor": ["must not be negative"],
        },
    )
    assert await snapshot(db) == before


async def test_unknown_offers_accounts_and_rules(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    theirs = await five_dollar_offer(client, other_tenant)
    mine = await five_dollar_offer(client, tenant)
    await post(client, tenant, "/api/2.0/offers/management/delete", {"offer_id": mine})
    before = await snapshot(db, *RULE_TABLES)
    for offer_id in (theirs, mine, str(UUID(int=5))):
        error = await create_rule(
            client, tenant, {"kind": "issuance", "offer_id": offer_id, "trigger": {"type": "user_enrolled"}}, status=404
        )
        assert (error["errors"]["code"], error["errors"]["fields"]) == ("OFFER_NOT_FOUND", {"offer_id": ["not found"]})
    error = await create_rule(client, tenant, {"kind": "earn", "rate": 1, "point_account_id": str(UUID(int=9))}, 404)
    assert (error["errors"]["code"], error["errors"]["fields"]) == ("NOT_FOUND", {"point_account_id": ["not found"]})
    live = await five_dollar_offer(client, tenant)
    before = await snapshot(db, *RULE_TABLES)
    error = await create_rule(
        client,
        tenant,
        {
            "kind": "issuance",
            "offer_id": live,
            "trigger": {"type": "points_threshold", "threshold": 5, "point_account_id": str(UUID(int=9))},
        },
        status=404,
    )
    assert error["errors"]["fields"] == {"trigger.point_account_id": ["not found"]}
    assert await snapshot(db, *RULE_TABLES) == before
    their_rule = await earn_rule(client, other_tenant)
    for path in ("get", "deactivate", "activate"):
        error = await post(client, tenant, f"/api/2.0/rules/{path}", {"rule_id": their_rule["rule_id"]}, status=404)
        assert error["errors"]["code"] == "NOT_FOUND"
    error = await post(
        client,
        tenant,
        "/api/2.0/rules/update",
        {"rule_id": their_rule["rule_id"], "kind": "earn", "rate": 5},
        status=404,
    )
    assert error["errors"]["code"] == "NOT_FOUND"
    assert (await post(client, other_tenant, "/api/2.0/rules/get", {"rule_id": their_rule["rule_id"]}))["rate"] == 1
    wrong = await client.post(
        "/api/2.0/rules/list", json={"retailer_id": str(other_tenant.retailer_id)}, headers=tenant.auth
    )
    assert (wrong.status_code, wrong.json()["errors"]["code"]) == (404, "NOT_FOUND")


async def test_simulate_shows_what_would_happen_and_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    earn = await earn_rule(client, tenant, multipliers=[{"factor": 2, "category_ids": ["coffee"]}])
    threshold = await threshold_rule(client, tenant, offer_id, 200)
    visits = await issuance_rule(client, tenant, offer_id, {"type": "visit_count", "every": 2})
    welcome = await issuance_rule(client, tenant, offer_id, {"type": "user_enrolled"})
    custom = await issuance_rule(
        client,
        tenant,
        offer_id,
        {
            "type": "custom_event",
            "event_name": "quiz",
            "conditions": [{"property": "score", "operator": "gte", "value": 5}],
        },
    )
    await post(client, tenant, "/api/2.0/catalog/import", {"items": [{"item_id": "latte", "category_ids": ["coffee"]}]})
    await close(db, tenant, check(tenant, user_id, 5000, transaction_id="earlier", at=clock()), clock())
    before = await snapshot(db)
    transaction = {
        "transaction_id": "sim-1",
        "channel": "STORE",
        "items": [
            {"line_id": "1", "item_id": "latte", "quantity": 2, "unit_price": "4.00", "subtotal": "8.00"},
            {"line_id": "2", "item_id": "cake", "subtotal": "200.00"},
        ],
        "discounts": [{"discount_source": "pos", "amount": "5.00", "discounted_line_ids": ["2"]}],
        "subtotal": "208.00",
    }
    result = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {"user_id": user_id, "store_id": str(tenant.store_id), "transaction": transaction},
    )
    # latte $8 x 2 + cake ($200 - $5) = 211 points; 50 + 211 crosses 200 once; the 2nd visit.
    assert result["applied"] is False
    assert [(p["rule_id"], p["points"]) for p in result["points_earned"]] == [(earn["rule_id"], 211)]
    assert sorted((o["rule_id"], o["quantity"]) for o in result["offers"]) == sorted(
        [(threshold["rule_id"], 1), (visits["rule_id"], 1)]
    )
    assert result["not_fired"] == []
    assert await snapshot(db) == before

    small = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {
            "user_id": user_id,
            "store_id": str(tenant.store_id),
            "transaction": {"transaction_id": "s2", "items": [{"line_id": 1, "item_id": "x", "subtotal": ".50"}]},
        },
    )
    assert {(n["rule_id"], n["reason"]) for n in small["not_fired"]} == {
        (earn["rule_id"], "NO_POINTS"),
        (threshold["rule_id"], "BELOW_THRESHOLD"),
    }
    assert small["offers"] == [
        {
            "rule_id": visits["rule_id"],
            "rule_name": "on visit_count",
            "offer_id": offer_id,
            "quantity": 1,
            "user_offer_ids": [],
            "fail_reason": None,
        }
    ]
    enrolled = await post(
        client, tenant, "/api/2.0/rules/simulate", {"user_id": user_id, "event": {"type": "user_enrolled"}}
    )
    assert [(o["rule_id"], o["quantity"]) for o in enrolled["offers"]] == [(welcome["rule_id"], 1)]
    quiz = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {"user_id": user_id, "event": {"type": "custom_event", "event_name": "QUIZ", "properties": {"score": 3}}},
    )
    assert [(n["rule_id"], n["reason"]) for n in quiz["not_fired"]] == [(custom["rule_id"], "CONDITIONS_NOT_MET")]
    deposit = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {"user_id": user_id, "event": {"type": "points_deposit", "amount": 400}},
    )
    assert [(o["rule_id"], o["quantity"]) for o in deposit["offers"]] == [(threshold["rule_id"], 2)]
    assert await snapshot(db) == before

    both = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {
            "user_id": user_id,
            "store_id": str(tenant.store_id),
            "transaction": transaction,
            "event": {"type": "user_enrolled"},
        },
        status=400,
    )
    assert both["errors"]["fields"] == {"transaction": ["give exactly one of transaction or event"]}
    no_store = await post(
        client, tenant, "/api/2.0/rules/simulate", {"user_id": user_id, "transaction": transaction}, 400
    )
    assert "store_id" in no_store["errors"]["fields"]
    unknown = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {"user_id": str(UUID(int=3)), "event": {"type": "user_enrolled"}},
        404,
    )
    assert unknown["errors"]["code"] == "USER_NOT_FOUND"
    assert await snapshot(db) == before


async def test_roles(client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock) -> None:
    from openoffers.tenancy import service as tenancy

    key, secret = await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, role="pos", now=clock())
    from tests.conftest import basic

    headers = basic(key.key, secret)
    base = {"retailer_id": str(tenant.retailer_id)}
    listed = await client.post("/api/2.0/rules/list", json=base, headers=headers)
    assert listed.status_code == 200
    created = await client.post("/api/2.0/rules/create", json={**base, "kind": "earn", "rate": 1}, headers=headers)
    assert (created.status_code, created.json()["errors"]["code"]) == (403, "ACCESS_DENIED")
