"""send_transaction: open checks, closing (redeem, release, DISCOUNT_MISMATCH), the same check again,
voids, the customer, and points earned through the loyalty engine."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.tables.pos import pos_locks, pos_transactions
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import (
    OFFERS_SEND,
    POS_TABLES,
    REDEEM,
    SEND,
    api,
    as_discount,
    check,
    create_offer,
    create_user,
    customer_with_offer,
    error_of,
    events_of,
    issue,
    line,
    lock,
    lock_body,
    pos,
    status_of,
)


async def stored_check(db: Database, transaction_id: str) -> Any:
    async with db.read() as conn:
        return (
            await conn.execute(select(pos_transactions).where(pos_transactions.c.transaction_id == transaction_id))
        ).first()


async def lock_count(db: Database) -> int:
    async with db.read() as conn:
        return len((await conn.execute(select(pos_locks))).all())


async def refused(
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    payload: dict[str, Any],
    status: int,
    code: str,
    reason: str | None = None,
) -> dict[str, Any]:
    before = await snapshot(db, *POS_TABLES)
    body: dict[str, Any] = await pos(client, tenant, SEND, payload, status)
    assert error_of(body) == (code, reason), body
    assert await snapshot(db, *POS_TABLES) == before
    return body


async def test_an_open_check_is_stored_and_redeems_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo)
    assert (
        await pos(client, tenant, SEND, check(discounts=[as_discount(locked)], open_time="2026-06-15 8:00:00")) is None
    )
    stored = await stored_check(db, "T-1")
    assert (stored.is_closed, stored.is_voided, stored.subtotal, stored.discount_total) == (False, False, 1100, 500)
    # POS times without an offset are the store's (America/New_York): stored in UTC.
    assert stored.check["open_time"] == "2026-06-15T12:00:00Z"
    assert await status_of(db, uo) == 2
    # Sent again with more on it: updated in place.
    bigger = check(items=[line("0", "10"), line("5", "4", item_id="3")], discounts=[as_discount(locked)])
    await pos(client, tenant, SEND, bigger)
    assert (await stored_check(db, "T-1")).subtotal == 1400


async def test_closing_redeems_its_discounts_and_releases_its_other_locks(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    kept, dropped, untouched = [await issue(client, tenant, user_id, offer_id) for _ in range(3)]
    kept_lock = await lock(client, tenant, kept)
    await lock(client, tenant, dropped, check(discounts=[as_discount(kept_lock)]))
    await lock(client, tenant, untouched, check("T-2"))
    clock.advance(minutes=3)

    closed = check(discounts=[as_discount(kept_lock)], is_closed=True)
    response = await client.post(
        OFFERS_SEND,
        json={
            "store_id": str(tenant.store_id),
            "client_id": str(tenant.client_id),
            "request_id": "c1",
            "request_payload": closed,
        },
        headers=tenant.pos_auth,
    )
    assert (response.status_code, response.content) == (200, b'{"status":"OK","payload":null,"errors":null}')
    assert [await status_of(db, u) for u in (kept, dropped, untouched)] == [3, 1, 2]
    assert await events_of(db, kept) == ["issued", "locked", "redeemed"]
    assert await events_of(db, dropped) == ["issued", "locked", "unlocked"]
    assert await lock_count(db) == 1  # T-2's
    stored = await stored_check(db, "T-1")
    assert (stored.is_closed, stored.user_id, stored.redeemed) == (True, UUID(user_id), [kept])
    history = await api(client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [user_id], "take": 10})
    assert {r["user_offer_id"]: r["status_description"] for r in history["results"]}[kept] == "Redeemed"


async def test_an_unlocked_discount_is_locked_and_redeemed_when_the_check_closes(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    user_id, uo = await customer_with_offer(client, tenant)
    discount = {
        "reference_id": uo.upper(),
        "discount_source": "SessionM",
        "amount": "4.50",
        "discounted_line_ids": ["0"],
    }
    await pos(client, tenant, SEND, check(discounts=[discount], is_closed=True))
    assert await status_of(db, uo) == 3
    assert await events_of(db, uo) == ["issued", "locked", "redeemed"]
    assert (await stored_check(db, "T-1")).user_id == UUID(user_id)


async def test_an_amount_above_what_the_offer_allows_is_a_mismatch_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo)
    too_much = check(discounts=[{**as_discount(locked), "amount": "5.01"}], is_closed=True)
    body = await refused(client, db, tenant, too_much, 422, "DISCOUNT_MISMATCH")
    assert body["errors"]["fields"] == {"request_payload.discounts[0].amount": ["at most 5"]}
    # The basket shrank since the lock: what the offer allows is what it allows now.
    smaller = check(items=[line("0", "4")], discounts=[as_discount(locked)], is_closed=True)
    await refused(client, db, tenant, smaller, 422, "DISCOUNT_MISMATCH")
    # Less than allowed is the POS's business.
    await pos(client, tenant, SEND, check(discounts=[{**as_discount(locked), "amount": 2}], is_closed=True))
    assert await status_of(db, uo) == 3


async def test_refusals_at_close_change_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant
) -> None:
    _, held_elsewhere = await customer_with_offer(client, tenant)
    elsewhere = await lock(client, tenant, held_elsewhere, check("T-2"))
    await refused(client, db, tenant, check(discounts=[as_discount(elsewhere)], is_closed=True), 409, "ALREADY_LOCKED")

    _, redeemed = await customer_with_offer(client, tenant)
    done = await pos(client, tenant, REDEEM, lock_body(redeemed, check("T-3")))
    stale = {**as_discount(done), "status": "LOCKED"}
    await refused(client, db, tenant, check(discounts=[stale], is_closed=True), 422, "OFFER_NOT_REDEEMABLE", "REDEEMED")
    missing = {"reference_id": "00000000-0000-4000-8000-000000000000", "discount_source": "sessionm", "amount": 1}
    await refused(
        client, db, tenant, check(discounts=[missing], is_closed=True), 422, "OFFER_NOT_REDEEMABLE", "NOT_FOUND"
    )
    _, theirs = await customer_with_offer(client, other_tenant)
    foreign = {**missing, "reference_id": theirs}
    await refused(
        client, db, tenant, check(discounts=[foreign], is_closed=True), 422, "OFFER_NOT_REDEEMABLE", "NOT_FOUND"
    )
    # An ineligible discount is refused with pricing's reason, and the good one with it stays locked.
    customer, good = await customer_with_offer(client, tenant)
    picky_offer = await create_offer(client, tenant, purchase_restrictions=[{"type": "min_subtotal", "amount": "30"}])
    picky = await issue(client, tenant, customer, picky_offer)
    good_lock = await lock(client, tenant, good, check("T-4"))
    picky_discount = {"reference_id": picky, "discount_source": "sessionm", "amount": 1}
    body = await refused(
        client,
        db,
        tenant,
        check("T-4", discounts=[as_discount(good_lock), picky_discount], is_closed=True),
        422,
        "OFFER_NOT_REDEEMABLE",
        "MIN_SUBTOTAL_NOT_MET",
    )
    assert body["errors"]["fields"] == {"request_payload.discounts[1]": ["MIN_SUBTOTAL_NOT_MET"]}
    # Two customers' offers on one check.
    mixed = check("T-4", discounts=[as_discount(good_lock), {**picky_discount, "reference_id": held_elsewhere}])
    await refused(client, db, tenant, {**mixed, "is_closed": True}, 409, "CONFLICT")
    assert await status_of(db, good) == 2


async def test_the_same_closed_check_again_is_a_no_op_and_other_content_is_refused(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo)
    closed = check(discounts=[as_discount(locked)], is_closed=True)
    await pos(client, tenant, SEND, closed)
    clock.advance(minutes=1)
    before = await snapshot(db, *POS_TABLES)
    await pos(client, tenant, SEND, closed)  # another request_id, the same check: OK, nothing changes
    after = await snapshot(db, *POS_TABLES)
    assert {k: v for k, v in after.items() if k != "pos_requests"} == {
        k: v for k, v in before.items() if k != "pos_requests"
    }
    # Numbers as strings or numbers, keys in any order: the same content.
    reordered = dict(reversed(list(closed.items())))
    reordered["items"] = [{**item, "quantity": 1} for item in closed["items"]]
    await pos(client, tenant, SEND, reordered)
    await refused(client, db, tenant, {**closed, "items": [line("0", "12")]}, 409, "TRANSACTION_CLOSED")
    await refused(client, db, tenant, {**closed, "is_closed": False}, 409, "TRANSACTION_CLOSED")


async def test_voiding_a_closed_check_reinstates_what_it_redeemed_and_takes_the_points_back(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    user_id, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo)
    closed = check(items=[line("0", "20"), line("1", "3.50", item_id="2")], discounts=[as_discount(locked)])
    closed["is_closed"] = True
    # Recomputed on the final basket: still $5.
    await pos(client, tenant, SEND, closed)
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert (balances["available_points"], balances["lifetime_points"]) == (18, 18)  # 23.50 - 5.00 = 18.50

    clock.advance(hours=1)
    await pos(client, tenant, SEND, {**closed, "is_voided": True})
    assert await status_of(db, uo) == 1
    assert await events_of(db, uo) == ["issued", "locked", "redeemed", "voided"]
    stored = await stored_check(db, "T-1")
    assert (stored.is_closed, stored.is_voided) == (True, True)
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert balances["available_points"] == 0
    rolled_back = await api(
        client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [user_id], "rollback_option": 2}
    )
    assert [r["user_offer_id"] for r in rolled_back["results"]] == [uo]
    # Voided again: nothing more happens; anything else is refused.
    before = await snapshot(db, *POS_TABLES)
    await pos(client, tenant, SEND, {**closed, "is_voided": True})
    assert {k: v for k, v in (await snapshot(db, *POS_TABLES)).items() if k != "pos_requests"} == {
        k: v for k, v in before.items() if k != "pos_requests"
    }
    await refused(client, db, tenant, closed, 409, "TRANSACTION_CLOSED")
    # The reinstated offer can be used again.
    assert (await lock(client, tenant, uo, check("T-2")))["status"] == "LOCKED"


async def test_a_closing_check_earns_by_category_when_the_retailer_has_a_catalog(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    # The close reads the catalog only when the retailer has one (the offers' read says so): with one,
    # a line's category doubles its points, whether or not the check redeems an offer of ours.
    await api(
        client,
        tenant,
        "/api/2.0/rules/create",
        {"kind": "earn", "name": "base", "rate": "1", "multipliers": [{"factor": 2, "category_ids": ["coffee"]}]},
    )
    items = [line("0", "20", item_id="latte"), line("1", "10", item_id="cake")]
    user_id, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo, check(items=items))
    closed = check(items=items, discounts=[as_discount(locked)], is_closed=True)
    await pos(client, tenant, SEND, closed)
    # No catalog yet: $30 less the $5 offer spread over both lines (3.33 and 1.67) = 25 points.
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert balances["available_points"] == 25

    await api(client, tenant, "/api/2.0/catalog/import", {"items": [{"item_id": "latte", "category_ids": ["coffee"]}]})
    other, uo2 = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo2, check("T-2", items=items))
    await pos(client, tenant, SEND, check("T-2", items=items, discounts=[as_discount(locked)], is_closed=True))
    assert await status_of(db, uo2) == 3
    # The latte's $20 less its $3.33 share, doubled, plus the cake's $10 less $1.67: 33.34 + 8.33 = 41.
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": other})
    assert balances["available_points"] == 41
    payment = {"payment_id": "p", "amount": "30", "type": "CREDIT", "user_id": other, "user_id_type": "SessionM_ID"}
    await pos(client, tenant, SEND, check("T-3", items=items, payments=[payment], is_closed=True))
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": other})
    assert balances["available_points"] == 41 + 50


async def test_voiding_an_open_check_releases_its_locks(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    await lock(client, tenant, uo)
    await pos(client, tenant, SEND, check(is_voided=True))
    assert await status_of(db, uo) == 1
    assert await events_of(db, uo) == ["issued", "locked", "unlocked"]
    await refused(client, db, tenant, check(is_closed=True), 409, "TRANSACTION_CLOSED")


async def test_the_customer_from_a_payment_or_the_check_earns(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "2"})
    user_id = await create_user(client, tenant)
    payment = {"payment_id": "p", "amount": "11", "type": "CREDIT", "user_id": user_id, "user_id_type": "SessionM_ID"}
    await pos(client, tenant, SEND, check(payments=[payment], is_closed=True))
    assert (await stored_check(db, "T-1")).user_id == UUID(user_id)
    await pos(client, tenant, SEND, check("T-2", is_closed=True, user_id=user_id))
    balances = await api(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert balances["available_points"] == 44
    # An anonymous check closes too, and earns nothing for anyone.
    await pos(client, tenant, SEND, check("T-3", is_closed=True))
    assert (await stored_check(db, "T-3")).user_id is None

    unknown = {**payment, "user_id": "00000000-0000-4000-8000-000000000000"}
    body = await refused(client, db, tenant, check("T-4", payments=[unknown], is_closed=True), 404, "USER_NOT_FOUND")
    assert body["errors"]["fields"] == {"request_payload.payments[0].user_id": ["not found"]}


async def test_stacked_discounts_are_checked_after_the_ones_before_them(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    # PRICING.md example 6 at close: a POS discount of 5.00 on A first, then our $8 (stack_order 1).
    _, uo = await customer_with_offer(client, tenant, discount_config={"amount": 8})
    items = [line("A", "10"), line("B", "10", item_id="2")]
    pos_discount = {"discount_source": "pos", "amount": "5", "discounted_line_ids": ["A"], "stack_order": 0}
    locked = await lock(client, tenant, uo, check(items=items, discounts=[pos_discount]))
    assert (locked["amount"], locked["stack_order"]) == (8, 1)
    # A 10% POS discount added after ours does not change what ours is allowed.
    later = {"discount_source": "pos", "amount": "0.70", "stack_order": 2}
    await pos(
        client, tenant, SEND, check(items=items, discounts=[pos_discount, as_discount(locked), later], is_closed=True)
    )
    assert await status_of(db, uo) == 3


async def test_an_exclusive_offer_refuses_other_discounts_at_close(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, uo = await customer_with_offer(client, tenant, exclusive=True)
    locked = await lock(client, tenant, uo)
    later = {"discount_source": "pos", "amount": "1", "stack_order": 1}
    await refused(
        client,
        db,
        tenant,
        check(discounts=[as_discount(locked), later], is_closed=True),
        422,
        "OFFER_NOT_REDEEMABLE",
        "NOT_STACKABLE",
    )


async def test_a_check_redeems_its_own_expired_lock_but_not_one_taken_over(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, mine = await customer_with_offer(client, tenant)
    _, lost = await customer_with_offer(client, tenant)
    mine_lock = await lock(client, tenant, mine)
    lost_lock = await lock(client, tenant, lost, check("T-5"))
    clock.advance(seconds=901)
    await lock(client, tenant, lost, check("T-6"))  # takes the expired lock over
    await refused(
        client, db, tenant, check("T-5", discounts=[as_discount(lost_lock)], is_closed=True), 409, "ALREADY_LOCKED"
    )
    await pos(client, tenant, SEND, check(discounts=[as_discount(mine_lock)], is_closed=True))
    assert await status_of(db, mine) == 3


async def test_an_expired_lock_of_another_check_is_redeemed_by_the_closing_check(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    first = await lock(client, tenant, uo, check("T-7"))
    clock.advance(seconds=901)
    await pos(client, tenant, SEND, check("T-8", discounts=[as_discount(first)], is_closed=True))
    assert await status_of(db, uo) == 3
    assert await events_of(db, uo) == ["issued", "locked", "lock_expired", "locked", "redeemed"]
    assert await lock_count(db) == 0
