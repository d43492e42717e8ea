"""The loyalty engine applied inside the event's transaction: earning, every trigger, caps, windows,
voids, duplicates and rollbacks, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from openoffers import rules
from openoffers.kit.db import Database
from openoffers.loyalty.points import repository as points_repo
from openoffers.loyalty.rules import engine
from openoffers.tables.rules import loyalty_rule_counters
from openoffers.tables.wallet import user_offer_events
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet.lifecycle import ISSUED, REDEEMED, REVOKED
from openoffers.wallet.repository import Event
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.loyalty.rules_support import (
    ACTOR,
    RULE_TABLES,
    balance,
    check,
    close,
    create_rule,
    earn_rule,
    five_dollar_offer,
    issuance_rows,
    issuance_rule,
    threshold_rule,
    user_offer_rows,
    void,
)
from tests.wallet.wallet_support import create_offer, create_user, deposit, post


async def _counter(db: Database, rule_id: str, user_id: str) -> int:
    async with db.read() as conn:
        found = await conn.execute(
            select(loyalty_rule_counters.c.issued).where(
                loyalty_rule_counters.c.rule_id == UUID(rule_id), loyalty_rule_counters.c.user_id == UUID(user_id)
            )
        )
        return int(found.scalar_one_or_none() or 0)


async def test_earn_and_every_time_threshold_199_to_601_issues_three(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    earn = await earn_rule(client, tenant)
    rule = await threshold_rule(client, tenant, offer_id, 200)
    first = await close(db, tenant, check(tenant, user_id, 10000, 9999, transaction_id="a", at=clock()), clock())
    # $199.99 earns 199: the floor is taken once, of the check's exact sum.
    assert first.effects == (rules.EarnPoints(earn["point_account_id"], 199, earn["rule_id"]),)
    assert [(n.rule_id, n.reason) for n in first.not_fired] == [(rule["rule_id"], rules.Reason.BELOW_THRESHOLD)]
    clock.advance(minutes=5)
    second = await close(db, tenant, check(tenant, user_id, 40200, transaction_id="b", at=clock()), clock())
    assert second.effects == (
        rules.EarnPoints(earn["point_account_id"], 402, earn["rule_id"]),
        rules.IssueOffer(offer_id, rule["rule_id"], 3),
    )
    assert await balance(db, tenant, user_id) == (601, 601)
    rows = await user_offer_rows(db, tenant, user_id)
    assert [(r.source, r.status, str(r.root_offer_id)) for r in rows] == [("rule", ISSUED, offer_id)] * 3
    links = await issuance_rows(db, tenant)
    assert {(str(i.rule_id), i.event_key) for i in links} == {(rule["rule_id"], f"check:{tenant.store_id}:b")}
    assert await _counter(db, rule["rule_id"], user_id) == 3
    history = await post(client, tenant, "/api/2.0/user_points/history", {"user_id": user_id})
    assert [(e["kind"], e["amount"], e["reference_id"]) for e in history["results"]] == [
        ("earn", 402, f"check:{tenant.store_id}:b|{earn['rule_id']}"),
        ("earn", 199, f"check:{tenant.store_id}:a|{earn['rule_id']}"),
    ]
    detail = await post(client, tenant, "/api/2.0/offers/get_user_offer", {"user_offer_id": str(rows[0].id)})
    assert detail["events"][0]["kind"] == "issued"


async def test_once_threshold_fires_once(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    rule = await threshold_rule(client, tenant, offer_id, 200, recurrence="once")
    outcome = await close(db, tenant, check(tenant, user_id, 45000, transaction_id="a", at=clock()), clock())
    assert outcome.offers_issued() == (rules.IssueOffer(offer_id, rule["rule_id"], 1),)
    clock.advance(minutes=1)
    again = await close(db, tenant, check(tenant, user_id, 45000, transaction_id="b", at=clock()), clock())
    assert again.offers_issued() == ()
    assert [n.reason for n in again.not_fired] == [rules.Reason.THRESHOLD_NOT_CROSSED]
    assert len(await user_offer_rows(db, tenant, user_id)) == 1


async def test_per_user_cap_limits_every_time(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    rule = await threshold_rule(client, tenant, offer_id, 100)
    capped = await post(
        client,
        tenant,
        "/api/2.0/rules/update",
        {
            "rule_id": rule["rule_id"],
            "kind": "issuance",
            "offer_id": offer_id,
            "trigger": {"type": "points_threshold", "threshold": 100},
            "recurrence": "every_time",
            "per_user_cap": 2,
        },
    )
    assert (capped["per_user_cap"], capped["revision"]) == (2, 2)
    outcome = await close(db, tenant, check(tenant, user_id, 50000, transaction_id="a", at=clock()), clock())
    assert outcome.offers_issued() == (rules.IssueOffer(offer_id, rule["rule_id"], 2),)
    later = await close(db, tenant, check(tenant, user_id, 50000, transaction_id="b", at=clock()), clock())
    assert [n.reason for n in later.not_fired] == [rules.Reason.CAP_REACHED]
    assert len(await user_offer_rows(db, tenant, user_id)) == 2
    assert await _counter(db, rule["rule_id"], user_id) == 2


async def test_visit_count_every_third_check(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    rule = await issuance_rule(client, tenant, offer_id, {"type": "visit_count", "every": 3}, recurrence="every_time")
    issued = []
    for number in range(1, 7):
        clock.advance(minutes=1)
        outcome = await close(db, tenant, check(tenant, user_id, 500, transaction_id=f"v{number}", at=clock()), clock())
        issued.append(sum(e.quantity for e in outcome.offers_issued()))
    assert issued == [0, 0, 1, 0, 0, 1]
    assert await _counter(db, rule["rule_id"], user_id) == 2
    # A voided check is no longer a visit: the next one is the 6th again, not the 7th.
    await void(db, tenant, user_id, "v6", clock())
    outcome = await close(db, tenant, check(tenant, user_id, 500, transaction_id="v7", at=clock()), clock())
    assert sum(e.quantity for e in outcome.offers_issued()) == 1


async def test_transaction_closed_trigger_conditions(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    trigger = {
        "type": "transaction_closed",
        "min_spend": "20.00",
        "required_category_ids": ["coffee"],
        "channels": ["store"],
        "store_tags": ["downtown"],
    }
    rule = await issuance_rule(client, tenant, offer_id, trigger, recurrence="every_time")
    small = await close(db, tenant, check(tenant, user_id, 1999, transaction_id="a", at=clock()), clock())
    assert [n.reason for n in small.not_fired] == [rules.Reason.MIN_SPEND_NOT_MET]
    no_coffee = await close(db, tenant, check(tenant, user_id, 2500, transaction_id="b", at=clock()), clock())
    assert [n.reason for n in no_coffee.not_fired] == [rules.Reason.REQUIRED_ITEMS_MISSING]
    online = check(tenant, user_id, 2500, transaction_id="c", at=clock(), categories=[["coffee"]], channel="ONLINE")
    assert [n.reason for n in (await close(db, tenant, online, clock())).not_fired] == [
        rules.Reason.CHANNEL_NOT_ELIGIBLE
    ]
    good = check(tenant, user_id, 2000, transaction_id="d", at=clock(), categories=[["coffee", "hot"]])
    assert (await close(db, tenant, good, clock())).offers_issued() == (rules.IssueOffer(offer_id, rule["rule_id"], 1),)


async def test_user_enrolled_welcome_offer(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    offer_id = await five_dollar_offer(client, tenant)
    rule = await issuance_rule(client, tenant, offer_id, {"type": "user_enrolled"})
    user_id = await create_user(client, tenant, external_customer_id="42")
    [row] = await user_offer_rows(db, tenant, user_id)
    assert (row.source, str(row.root_offer_id)) == ("rule", offer_id)
    [link] = await issuance_rows(db, tenant)
    assert (str(link.rule_id), link.event_key) == (rule["rule_id"], f"enrolled:{user_id}")
    wallet = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert wallet["total_records"] == 1
    # Enrolling again (the engine called twice) issues nothing more.
    async with db.write() as conn:
        again = await engine.on_user_enrolled(
            conn, retailer_id=tenant.retailer_id, user_id=UUID(user_id), now=clock(), actor=ACTOR
        )
    assert not again.applied
    assert len(await user_offer_rows(db, tenant, user_id)) == 1


async def test_custom_event_conditions_and_event_id(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    trigger = {
        "type": "custom_event",
        "event_name": "App Review",
        "conditions": [
            {"property": "tier", "operator": "in", "values": ["gold", "platinum"]},
            {"property": "stars", "operator": "gte", "value": 4},
        ],
    }
    rule = await issuance_rule(client, tenant, offer_id, trigger, recurrence="every_time", per_user_cap=5)
    other = await issuance_rule(
        client, tenant, offer_id, {"type": "custom_event", "event_name": "birthday"}, recurrence="every_time"
    )
    path = "/api/2.0/user_events/trigger"
    silver = await post(
        client, tenant, path, {"user_id": user_id, "event_name": "app review", "properties": {"tier": "silver"}}
    )
    assert silver["offers"] == []
    assert [(n["rule_id"], n["reason"]) for n in silver["not_fired"]] == [(rule["rule_id"], "CONDITIONS_NOT_MET")]
    body = {"user_id": user_id, "event_name": " APP REVIEW ", "properties": {"tier": "gold", "stars": "4.5"}}
    gold = await post(client, tenant, path, {**body, "event_id": "review-1"})
    assert gold["applied"] is True
    [offer] = gold["offers"]
    assert (offer["rule_id"], offer["offer_id"], offer["quantity"], offer["fail_reason"]) == (
        rule["rule_id"],
        offer_id,
        1,
        None,
    )
    [user_offer_id] = offer["user_offer_ids"]
    before = await snapshot(db, *RULE_TABLES)
    repeat = await post(client, tenant, path, {**body, "event_id": "review-1"})
    assert (repeat["applied"], repeat["offers"]) == (False, [])
    assert await snapshot(db, *RULE_TABLES) == before
    assert [str(r.id) for r in await user_offer_rows(db, tenant, user_id)] == [user_offer_id]
    assert other["rule_id"] not in {n["rule_id"] for n in gold["not_fired"]}
    error = await post(client, tenant, path, {"user_id": user_id, "event_name": "x", "properties": {"a": [1]}}, 400)
    assert error["errors"]["fields"] == {"properties.a": ["must be a string, number, boolean or null"]}
    missing = await post(client, tenant, path, {"user_id": str(UUID(int=7)), "event_name": "x"}, status=404)
    assert missing["errors"]["code"] == "USER_NOT_FOUND"


async def test_active_windows_and_multipliers(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    now = clock()
    # The clock is a Monday, 08:00 in New York: breakfast on Mondays earns triple on coffee.
    base = await earn_rule(
        client,
        tenant,
        "1",
        multipliers=[
            {
                "factor": 3,
                "category_ids": ["coffee"],
                "days_of_week": ["monday"],
                "time_windows": [{"start": "06:00", "end": "10:00"}],
            },
            {"factor": "1.5", "channels": ["online"]},
        ],
    )
    later = await earn_rule(client, tenant, "10", starts_at=(now + timedelta(days=1)).isoformat())
    ended = await threshold_rule(client, tenant, offer_id, 1)
    await post(
        client,
        tenant,
        "/api/2.0/rules/update",
        {
            "rule_id": ended["rule_id"],
            "kind": "issuance",
            "offer_id": offer_id,
            "trigger": {"type": "points_threshold", "threshold": 1},
            "ends_at": "2026-06-15 11:00:00",
        },
    )
    event = check(tenant, user_id, 1000, 1000, transaction_id="a", at=now, categories=[["coffee"], []])
    outcome = await close(db, tenant, event, now)
    # Coffee $10 x 3 + other $10 x 1; the rule starting tomorrow and the ended one are not even loaded.
    assert outcome.effects == (rules.EarnPoints(base["point_account_id"], 40, base["rule_id"]),)
    assert {n.rule_id for n in outcome.not_fired} == set()
    simulated = await post(
        client,
        tenant,
        "/api/2.0/rules/simulate",
        {
            "user_id": user_id,
            "store_id": str(tenant.store_id),
            "transaction": {"transaction_id": "sim", "items": [{"line_id": 1, "item_id": "x", "subtotal": "10"}]},
        },
    )
    assert {(n["rule_id"], n["reason"]) for n in simulated["not_fired"]} == {
        (later["rule_id"], "INACTIVE"),
        (ended["rule_id"], "INACTIVE"),
    }


async def test_void_reverses_points_and_revokes_unredeemed_offers(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    rule = await threshold_rule(client, tenant, offer_id, 100)
    await close(db, tenant, check(tenant, user_id, 25000, transaction_id="a", at=clock()), clock())
    assert await balance(db, tenant, user_id) == (250, 250)
    redeemed, kept = await user_offer_rows(db, tenant, user_id)
    async with db.write() as conn:
        event = Event("redeemed", clock(), ACTOR)
        assert await wallet_repo.transition(conn, tenant.retailer_id, redeemed.id, ISSUED, REDEEMED, event)
    clock.advance(hours=1)
    await void(db, tenant, user_id, "a", clock())
    assert await balance(db, tenant, user_id) == (0, 0)
    statuses = {r.id: r.status for r in await user_offer_rows(db, tenant, user_id)}
    assert statuses == {redeemed.id: REDEEMED, kept.id: REVOKED}
    async with db.read() as conn:
        [revoked] = await conn.execute(
            select(user_offer_events).where(
                user_offer_events.c.user_offer_id == kept.id, user_offer_events.c.kind == "revoked"
            )
        )
    assert (revoked.reason, revoked.actor, revoked.detail["rule_id"]) == ("check voided", ACTOR, rule["rule_id"])
    assert await _counter(db, rule["rule_id"], user_id) == 1  # the redeemed one still counts
    history = await post(client, tenant, "/api/2.0/user_points/history", {"user_id": user_id})
    assert [(e["kind"], e["amount"]) for e in history["results"]] == [("reverse", 250), ("earn", 250)]
    before = await snapshot(db, *RULE_TABLES)
    await void(db, tenant, user_id, "a", clock())
    await void(db, tenant, user_id, "never-closed", clock())
    assert await snapshot(db, *RULE_TABLES) == before
    # Closing the same check again after its void is still a duplicate: nothing is earned twice.
    assert await close(db, tenant, check(tenant, user_id, 25000, transaction_id="a", at=clock()), clock()) == (
        rules.Outcome()
    )


async def test_spending_threshold_and_its_void(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    earn = await earn_rule(client, tenant)
    rule = await threshold_rule(client, tenant, offer_id, 100, balance="available", spend_points=True)
    outcome = await close(db, tenant, check(tenant, user_id, 25000, transaction_id="a", at=clock()), clock())
    account = earn["point_account_id"]
    assert outcome.effects == (
        rules.EarnPoints(account, 250, earn["rule_id"]),
        rules.SpendPoints(account, 200, rule["rule_id"]),
        rules.IssueOffer(offer_id, rule["rule_id"], 2),
    )
    assert await balance(db, tenant, user_id) == (50, 250)
    await void(db, tenant, user_id, "a", clock())
    # 250 earned taken back, 200 spent on the two revoked offers given back.
    assert await balance(db, tenant, user_id) == (0, 0)
    assert {r.status for r in await user_offer_rows(db, tenant, user_id)} == {REVOKED}


async def test_duplicate_and_rolled_back_checks_apply_once(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    await threshold_rule(client, tenant, offer_id, 200)
    event = check(tenant, user_id, 25000, transaction_id="a", at=clock())

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.write() as conn:
            applied = await engine.on_transaction_closed(
                conn, retailer_id=tenant.retailer_id, event=event, now=clock(), actor=ACTOR
            )
            assert applied.points_earned() == 250
            raise Boom  # the POS's transaction fails after the engine ran: everything rolls back
    assert await balance(db, tenant, user_id) == (0, 0)
    assert await user_offer_rows(db, tenant, user_id) == []
    first = await close(db, tenant, event, clock())
    assert (first.points_earned(), len(first.offers_issued())) == (250, 1)
    before = await snapshot(db, *RULE_TABLES)
    assert await close(db, tenant, event, clock()) == rules.Outcome()
    assert await snapshot(db, *RULE_TABLES) == before


async def test_deposits_fire_threshold_rules(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await five_dollar_offer(client, tenant)
    stars = (await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "Stars"}))["point_account_id"]
    rule = await threshold_rule(client, tenant, offer_id, 200)
    await threshold_rule(client, tenant, offer_id, 1, point_account_id=stars)
    result = await deposit(client, tenant, user_id, 450, reference_id="d1")
    assert (result["applied"], result["lifetime_value"]) == (True, 450)
    assert len(await user_offer_rows(db, tenant, user_id)) == 2
    assert await _counter(db, rule["rule_id"], user_id) == 2
    repeat = await deposit(client, tenant, user_id, 450, reference_id="d1")
    assert repeat["applied"] is False
    await deposit(client, tenant, user_id, 500, kind="adjust")  # a correction fires no rule
    assert len(await user_offer_rows(db, tenant, user_id)) == 2
    await deposit(client, tenant, user_id, 1, point_account_id=stars)
    assert len(await user_offer_rows(db, tenant, user_id)) == 3


async def test_restrictions_of_the_offer_and_a_deleted_offer_never_fail_the_check(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    limited = await create_offer(client, tenant, issuance=[{"type": "per_customer", "max": 1}])
    doomed = await five_dollar_offer(client, tenant)
    await earn_rule(client, tenant)
    rule = await threshold_rule(client, tenant, limited, 100)
    gone = await threshold_rule(client, tenant, doomed, 100)
    await post(client, tenant, "/api/2.0/offers/management/delete", {"offer_id": doomed})
    async with db.write() as conn:
        applied = await engine.apply_check(
            conn,
            retailer_id=tenant.retailer_id,
            event=check(tenant, user_id, 30000, transaction_id="a", at=clock()),
            now=clock(),
            actor=ACTOR,
        )
    assert applied.outcome.points_earned() == 300
    assert {(i.rule_id, len(i.user_offer_ids), i.fail_reason) for i in applied.issues} == {
        (rule["rule_id"], 1, "PER_CUSTOMER_LIMIT"),
        (gone["rule_id"], 0, "OFFER_NOT_FOUND"),
    }
    assert await _counter(db, rule["rule_id"], user_id) == 1
    assert await _counter(db, gone["rule_id"], user_id) == 0
    assert len(await user_offer_rows(db, tenant, user_id)) == 1


async def test_only_rules_listening_to_the_event_are_loaded(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    offer_id = await five_dollar_offer(client, tenant)
    stars = (await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "Stars"}))["point_account_id"]
    earn = await earn_rule(client, tenant)
    closed = await issuance_rule(client, tenant, offer_id, {"type": "transaction_closed"})
    threshold = await threshold_rule(client, tenant, offer_id, 100)
    for number in range(20):
        await issuance_rule(client, tenant, offer_id, {"type": "custom_event", "event_name": f"e{number}"})
        await threshold_rule(client, tenant, offer_id, 100, point_account_id=stars)
    await issuance_rule(client, tenant, offer_id, {"type": "user_enrolled"})
    deactivated = await issuance_rule(client, tenant, offer_id, {"type": "visit_count", "every": 2})
    await post(client, tenant, "/api/2.0/rules/deactivate", {"rule_id": deactivated["rule_id"]})
    async with db.read() as conn:
        for_check = await engine.rules_for_check(conn, tenant.retailer_id, clock())
        for_custom = await engine.rules_for_custom(conn, tenant.retailer_id, "E7", clock())
        for_points = await engine.rules_for_points(conn, tenant.retailer_id, UUID(stars), clock())
    assert {str(r.id) for r in for_check} == {earn["rule_id"], closed["rule_id"], threshold["rule_id"]}
    assert [r.name for r in for_custom] == ["on custom_event"] and len(for_custom) == 1
    assert len(for_points) == 20
    assert str(points_repo.default_account_id(tenant.retailer_id)) == earn["point_account_id"]


async def test_engine_needs_a_known_user(tenant: Tenant, db: Database, clock: FrozenClock) -> None:
    from openoffers.kit.errors import UserNotFound

    with pytest.raises(UserNotFound):
        await close(db, tenant, check(tenant, UUID(int=1), 100, at=clock()), clock())
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(user_offer_events))).scalar_one() == 0


async def test_create_rule_is_used_by_the_pure_core(client: httpx.AsyncClient, tenant: Tenant) -> None:
    rule = await create_rule(client, tenant, {"kind": "earn", "rate": "1.5"})
    assert (rule["rate"], rule["kind"], rule["active"]) == (1.5, "earn", True)
