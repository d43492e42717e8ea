"""Lock, re-lock, expiry, ttlcodes, unlock, immediate redeem, reinstate: every refusal with its code and
reason, and nothing changed after it."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, update

from openoffers.kit.db import Database
from openoffers.pos import service
from openoffers.tables.pos import pos_locks
from openoffers.tables.wallet import user_offers
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant, basic, snapshot
from tests.pos.pos_support import (
    CLAIM_CODE,
    LOCK,
    POS_TABLES,
    REDEEM,
    REDEMPTION_LOCK,
    REINSTATE,
    SEND,
    UNLOCK,
    api,
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

MISSING = "00000000-0000-4000-8000-000000000000"


async def lock_row(db: Database, user_offer_id: str) -> Any:
    async with db.read() as conn:
        return (await conn.execute(select(pos_locks).where(pos_locks.c.user_offer_id == UUID(user_offer_id)))).first()


async def refused(
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    path: str,
    payload: dict[str, Any],
    status: int,
    code: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """The call is refused with this code and reason, and nothing changed."""
    before = await snapshot(db, *POS_TABLES)
    body: dict[str, Any] = await pos(client, tenant, path, payload, status)
    assert error_of(body) == (code, reason), body
    assert await snapshot(db, *POS_TABLES) == before
    return body


async def test_lock_answers_the_discount_object_and_locks_the_offer(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo)
    assert locked == {
        "reference_id": uo,
        "user_id": user_id,
        "reference_id_type": "userofferid",
        "pos_discount_id": None,
        "status": "LOCKED",
        "display_name": "$5 off",
        "image_url": None,
        "discounted_line_ids": ["0", "1"],
        "discounted_line_id_quantities": [1, 1],
        "discount_source": "sessionm",
        "amount": 5,
        "stack_order": 0,
        "applied_time": "2026-06-15T12:00:00Z",
    }
    assert await status_of(db, uo) == 2
    assert await events_of(db, uo) == ["issued", "locked"]
    row = await lock_row(db, uo)
    assert (row.transaction_id, row.amount, row.store_id) == ("T-1", 500, tenant.store_id)
    assert [(s["line_id"], s["amount"]) for s in row.line_shares] == [("0", 455), ("1", 45)]
    assert row.expires_at.replace(tzinfo=UTC) == clock.now + timedelta(seconds=900)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_both_lock_paths_and_methods(client: httpx.AsyncClient, tenant: Tenant, method: str) -> None:
    _, first = await customer_with_offer(client, tenant)
    _, second = await customer_with_offer(client, tenant)
    assert (await pos(client, tenant, LOCK, lock_body(first), method=method))["status"] == "LOCKED"
    assert (await pos(client, tenant, REDEMPTION_LOCK, lock_body(second), method=method))["status"] == "LOCKED"
    # The guide's mixed-case path.
    _, third = await customer_with_offer(client, tenant)
    assert (await pos(client, tenant, "/API/2.0/Lock/", lock_body(third), method=method))["status"] == "LOCKED"


async def test_relocking_on_the_same_transaction_recomputes(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    small = check(items=[line("0", "3")])
    assert (await lock(client, tenant, uo, small))["amount"] == 3
    clock.advance(minutes=5)
    bigger = check(items=[line("0", "3"), line("7", "4", item_id="9")])
    again = await lock(client, tenant, uo, bigger)
    assert (again["amount"], again["discounted_line_ids"], again["applied_time"]) == (
        5,
        ["0", "7"],
        "2026-06-15T12:05:00Z",
    )
    row = await lock_row(db, uo)
    assert (row.amount, [(s["line_id"], s["amount"]) for s in row.line_shares]) == (500, [("0", 214), ("7", 286)])
    # Recomputing is not a new lock: the history has one `locked`, and the lock's time starts over.
    assert await events_of(db, uo) == ["issued", "locked"]
    clock.advance(seconds=899)
    await refused(client, db, tenant, LOCK, lock_body(uo, check("T-2")), 409, "ALREADY_LOCKED")


async def test_another_transaction_is_refused_until_the_lock_expires(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, uo = await customer_with_offer(client, tenant)
    await lock(client, tenant, uo)
    await refused(client, db, tenant, LOCK, lock_body(uo, check("T-2")), 409, "ALREADY_LOCKED")
    await refused(client, db, tenant, REDEEM, lock_body(uo, check("T-2")), 409, "ALREADY_LOCKED")

    clock.advance(seconds=901)
    # Readers already see the offer back in the wallet.
    [found] = await pos(client, tenant, "/api/2.0/lookup", {"user_id": user_id})
    assert [(o["reference_id"], o["status"]) for o in found["offers"]] == [(uo, "INFO")]
    wallet = await api(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert [(o["user_offer_id"], o["status"]) for o in wallet["user_offers"]] == [(uo, 1)]

    taken = await lock(client, tenant, uo, check("T-2"))
    assert (taken["status"], taken["applied_time"]) == ("LOCKED", "2026-06-15T12:15:01Z")
    assert (await lock_row(db, uo)).transaction_id == "T-2"
    assert await events_of(db, uo) == ["issued", "locked", "lock_expired", "locked"]
    # The first check lost it.
    await refused(client, db, tenant, LOCK, lock_body(uo), 409, "ALREADY_LOCKED")


async def test_the_sweep_returns_expired_locks_to_the_wallet(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, first = await customer_with_offer(client, tenant)
    _, second = await customer_with_offer(client, tenant)
    await lock(client, tenant, first)
    clock.advance(seconds=600)
    await lock(client, tenant, second, check("T-2"))
    clock.advance(seconds=301)
    assert await service.expire_locks(db, clock()) == 1
    assert (await status_of(db, first), await status_of(db, second)) == (1, 2)
    assert await events_of(db, first) == ["issued", "locked", "lock_expired"]
    assert await lock_row(db, first) is None
    assert await service.expire_locks(db, clock()) == 0


async def test_a_lock_on_its_own_expired_lock_is_kept_by_the_same_check(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    await lock(client, tenant, uo)
    clock.advance(seconds=1000)
    assert (await lock(client, tenant, uo))["status"] == "LOCKED"
    assert await events_of(db, uo) == ["issued", "locked"]


async def offer_in(client: httpx.AsyncClient, tenant: Tenant, **offer: Any) -> str:
    return (await customer_with_offer(client, tenant, **offer))[1]


@pytest.mark.parametrize(
    ("offer", "transaction", "reason"),
    [
        (
            {"location_restrictions": [{"type": "stores", "mode": "include", "store_tags": ["uptown"]}]},
            None,
            "STORE_NOT_ELIGIBLE",
        ),
        ({"use_restrictions": [{"type": "channels", "channels": ["ONLINE"]}]}, None, "CHANNEL_NOT_ELIGIBLE"),
        # 12:00 UTC is 08:00 in the store's zone (America/New_York).
        ({"use_restrictions": [{"type": "time_of_day", "start": "11:00", "end": "14:00"}]}, None, "OUTSIDE_VALID_TIME"),
        ({"use_restrictions": [{"type": "days_of_week", "days": ["sunday"]}]}, None, "OUTSIDE_VALID_TIME"),
        ({"purchase_restrictions": [{"type": "min_subtotal", "amount": "20"}]}, None, "MIN_SUBTOTAL_NOT_MET"),
        ({"purchase_restrictions": [{"type": "min_quantity", "quantity": 3}]}, None, "MIN_QUANTITY_NOT_MET"),
        ({"purchase_restrictions": [{"type": "required_items", "item_ids": ["99"]}]}, None, "REQUIRED_ITEMS_MISSING"),
        (
            {
                "offer_type": "fixed_amount_item_discount",
                "catalog_restrictions": [{"type": "items", "mode": "include", "item_ids": ["99"]}],
            },
            None,
            "NO_ELIGIBLE_ITEMS",
        ),
        (
            {"exclusive": True},
            check(discounts=[{"discount_source": "pos", "amount": "1", "discounted_line_ids": ["0"]}]),
            "NOT_STACKABLE",
        ),
    ],
)
async def test_pricing_refusals_carry_their_reason(
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    offer: dict[str, Any],
    transaction: dict[str, Any] | None,
    reason: str,
) -> None:
    uo = await offer_in(client, tenant, **offer)
    await refused(client, db, tenant, LOCK, lock_body(uo, transaction), 422, "OFFER_NOT_REDEEMABLE", reason)
    await refused(client, db, tenant, REDEEM, lock_body(uo, transaction), 422, "OFFER_NOT_REDEEMABLE", reason)
    assert await status_of(db, uo) == 1


async def test_use_limit_counts_this_customers_redemptions_of_the_same_offer(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(
        client, tenant, use_restrictions=[{"type": "max_uses", "uses": 1, "period_unit": "days", "period_value": 1}]
    )
    user_id = await create_user(client, tenant)
    first, second = [await issue(client, tenant, user_id, offer_id) for _ in range(2)]
    other_user = await create_user(client, tenant)
    others = await issue(client, tenant, other_user, offer_id)
    assert (await pos(client, tenant, REDEEM, lock_body(first)))["status"] == "REDEEMED"
    limit = ("OFFER_NOT_REDEEMABLE", "USE_LIMIT_REACHED")
    await refused(client, db, tenant, LOCK, lock_body(second, check("T-2")), 422, *limit)
    # Another customer is not limited by it.
    assert (await lock(client, tenant, others, check("T-3")))["status"] == "LOCKED"
    # A reinstated redemption no longer counts.
    await pos(client, tenant, REINSTATE, {"user_offer_id": first})
    assert (await lock(client, tenant, second, check("T-2")))["status"] == "LOCKED"
    await pos(client, tenant, UNLOCK, {"user_offer_id": second})
    await pos(client, tenant, REDEEM, lock_body(first, check("T-4")))
    # The period is rolling: a day after the redemption it is still inside, a second later it is not.
    clock.advance(days=1)
    await refused(client, db, tenant, LOCK, lock_body(second, check("T-2")), 422, *limit)
    clock.advance(seconds=1)
    assert (await lock(client, tenant, second, check("T-2")))["status"] == "LOCKED"


async def test_status_refusals_carry_their_reason(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock
) -> None:
    await refused(client, db, tenant, LOCK, lock_body(MISSING), 422, "OFFER_NOT_REDEEMABLE", "NOT_FOUND")
    # Another retailer's user offer is not found either.
    _, theirs = await customer_with_offer(client, other_tenant)
    await refused(client, db, tenant, LOCK, lock_body(theirs), 422, "OFFER_NOT_REDEEMABLE", "NOT_FOUND")

    revoked = await offer_in(client, tenant)
    await api(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": revoked, "reason": "test"})
    await refused(client, db, tenant, LOCK, lock_body(revoked), 422, "OFFER_NOT_REDEEMABLE", "REVOKED")

    redeemed = await offer_in(client, tenant)
    await pos(client, tenant, REDEEM, lock_body(redeemed))
    await refused(client, db, tenant, LOCK, lock_body(redeemed, check("T-2")), 422, "OFFER_NOT_REDEEMABLE", "REDEEMED")

    later = await offer_in(client, tenant)
    async with db.write() as conn:
        await conn.execute(
            update(user_offers)
            .where(user_offers.c.id == UUID(later))
            .values(redemption_start=clock.now.replace(year=2027))
        )
    await refused(client, db, tenant, LOCK, lock_body(later), 422, "OFFER_NOT_REDEEMABLE", "NOT_YET_VALID")

    expiring = await offer_in(client, tenant, common_config={"validity_unit": "days", "validity_period": 1})
    clock.advance(days=1)
    body = await pos(client, tenant, LOCK, lock_body(expiring), 422)
    assert error_of(body) == ("OFFER_NOT_REDEEMABLE", "EXPIRED")
    # The refused lock rolled back the expiry it recorded on the way too: reads do not depend on it.
    assert await status_of(db, expiring) == 1


async def test_lock_validation_errors(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    uo = await offer_in(client, tenant)
    bad_code = await refused(client, db, tenant, LOCK, lock_body("not-a-uuid"), 400, "VALIDATION")
    assert bad_code["errors"]["fields"] == {"request_payload.offer_lookup_code": ["is not a user offer id (a UUID)"]}
    await refused(client, db, tenant, LOCK, lock_body(uo, offer_lookup_type="coupon"), 400, "VALIDATION")
    twice = check(items=[line("0", "1"), line("0", "2")])
    await refused(client, db, tenant, LOCK, lock_body(uo, twice), 400, "VALIDATION")
    no_transaction = {"offer_lookup_code": uo, "offer_lookup_type": "userofferid"}
    body = await refused(client, db, tenant, LOCK, no_transaction, 400, "VALIDATION")
    assert "request_payload" in body["errors"]["message"]


async def test_a_closed_transaction_takes_no_more_locks(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    uo = await offer_in(client, tenant)
    await pos(client, tenant, SEND, check("T-9", is_closed=True))
    await refused(client, db, tenant, LOCK, lock_body(uo, check("T-9")), 409, "TRANSACTION_CLOSED")


async def test_pos_credentials_and_envelope(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock
) -> None:
    uo = await offer_in(client, tenant)
    payload = lock_body(uo)
    base = {"store_id": str(tenant.store_id), "client_id": str(tenant.client_id), "request_id": "1"}
    before = await snapshot(db, *POS_TABLES)

    async def attempt(headers: dict[str, str], status: int, code: str, **changes: Any) -> None:
        response = await client.post(LOCK, json={**base, **changes, "request_payload": payload}, headers=headers)
        assert (response.status_code, response.json()["errors"]["code"]) == (status, code), response.text

    await attempt({}, 401, "INVALID_API_KEY")
    await attempt(basic(str(tenant.client_id), "wrong-secret"), 401, "INVALID_API_KEY")
    await attempt(tenant.auth, 403, "ACCESS_DENIED")  # an API key is not a POS client
    await attempt(tenant.pos_auth, 403, "ACCESS_DENIED", client_id=str(other_tenant.client_id))
    await attempt(tenant.pos_auth, 404, "NOT_FOUND", store_id=str(other_tenant.store_id))
    elsewhere = await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="Elsewhere", now=clock())
    await attempt(tenant.pos_auth, 403, "ACCESS_DENIED", store_id=str(elsewhere.id))
    await attempt(tenant.pos_auth, 400, "VALIDATION", store_id="nope")
    assert await snapshot(db, *POS_TABLES) == before


async def test_ttlcode_locks_by_claim_code(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    claimed = await api(client, tenant, CLAIM_CODE, {"user_offer_id": uo})
    code = claimed["code"]
    assert len(code) == 8 and set(code) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    assert (claimed["user_offer_id"], claimed["expires_at"]) == (uo, "2026-06-15T12:10:00Z")
    typed = f"{code[:4].lower()}-{code[4:]}"
    locked = await pos(client, tenant, LOCK, lock_body(typed, offer_lookup_type="TTLCode"))
    assert (locked["reference_id"], locked["status"]) == (uo, "LOCKED")
    # The same code locks again on the same check (the basket changed) while it is valid.
    again = await pos(client, tenant, LOCK, lock_body(code, check(items=[line("0", "3")]), offer_lookup_type="ttlcode"))
    assert again["amount"] == 3

    _, other = await customer_with_offer(client, tenant)
    other_code = (await api(client, tenant, CLAIM_CODE, {"user_offer_id": other}))["code"]
    clock.advance(seconds=601)
    await refused(
        client,
        db,
        tenant,
        LOCK,
        lock_body(other_code, offer_lookup_type="ttlcode"),
        422,
        "OFFER_NOT_REDEEMABLE",
        "NOT_FOUND",
    )
    await refused(
        client,
        db,
        tenant,
        LOCK,
        lock_body("ZZZZZZZZ", offer_lookup_type="ttlcode"),
        422,
        "OFFER_NOT_REDEEMABLE",
        "NOT_FOUND",
    )


async def test_claim_code_refusals(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant
) -> None:
    missing = await api(client, tenant, CLAIM_CODE, {"user_offer_id": MISSING}, 404)
    assert missing["errors"]["code"] == "NOT_FOUND"
    _, theirs = await customer_with_offer(client, other_tenant)
    assert (await api(client, tenant, CLAIM_CODE, {"user_offer_id": theirs}, 404))["errors"]["code"] == "NOT_FOUND"
    redeemed = await offer_in(client, tenant)
    await pos(client, tenant, REDEEM, lock_body(redeemed))
    body = await api(client, tenant, CLAIM_CODE, {"user_offer_id": redeemed}, 422)
    assert error_of(body) == ("OFFER_NOT_REDEEMABLE", "REDEEMED")
    # A POS client cannot mint codes.
    response = await client.post(
        CLAIM_CODE, json={"retailer_id": str(tenant.retailer_id), "user_offer_id": redeemed}, headers=tenant.pos_auth
    )
    assert (response.status_code, response.json()["errors"]["code"]) == (403, "ACCESS_DENIED")


async def test_unlock(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    uo = await offer_in(client, tenant)
    await lock(client, tenant, uo)
    await refused(
        client,
        db,
        tenant,
        UNLOCK,
        {"user_offer_id": uo, "employee_id": "7", "transaction_id": "T-2"},
        409,
        "ALREADY_LOCKED",
    )
    unlocked = await pos(client, tenant, UNLOCK, {"user_offer_id": uo, "employee_id": "7"})
    assert (unlocked["reference_id"], unlocked["status"], unlocked["amount"]) == (uo, "INFO", 0)
    assert await status_of(db, uo) == 1
    assert await lock_row(db, uo) is None
    assert await events_of(db, uo) == ["issued", "locked", "unlocked"]
    # Already in the wallet: nothing to do, nothing changes (but the call succeeds).
    before = await snapshot(db, "user_offers", "user_offer_events", "pos_locks")
    await pos(client, tenant, UNLOCK, {"user_offer_id": uo})
    assert await snapshot(db, "user_offers", "user_offer_events", "pos_locks") == before
    # Another check can lock it now.
    assert (await lock(client, tenant, uo, check("T-2")))["status"] == "LOCKED"
    await pos(client, tenant, UNLOCK, {"user_offer_id": uo, "transaction_id": "T-2"})

    await pos(client, tenant, REDEEM, lock_body(uo))
    await refused(client, db, tenant, UNLOCK, {"user_offer_id": uo}, 409, "CONFLICT", "REDEEMED")
    await refused(client, db, tenant, UNLOCK, {"user_offer_id": MISSING}, 404, "NOT_FOUND")


async def test_immediate_redeem_and_reinstate(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    uo = await offer_in(client, tenant)
    redeemed = await pos(client, tenant, REDEEM, lock_body(uo))
    assert (redeemed["status"], redeemed["amount"], redeemed["discounted_line_ids"]) == ("REDEEMED", 5, ["0", "1"])
    assert await status_of(db, uo) == 3
    assert await lock_row(db, uo) is None
    assert await events_of(db, uo) == ["issued", "locked", "redeemed"]

    reinstated = await pos(client, tenant, REINSTATE, {"user_offer_id": uo, "employee_id": 12})
    assert (reinstated["status"], reinstated["amount"]) == ("INFO", 0)
    assert await status_of(db, uo) == 1
    assert await events_of(db, uo) == ["issued", "locked", "redeemed", "reinstated"]
    before = await snapshot(db, "user_offers", "user_offer_events")
    await pos(client, tenant, REINSTATE, {"user_offer_id": uo})  # already Issued: nothing changes
    assert await snapshot(db, "user_offers", "user_offer_events") == before

    await lock(client, tenant, uo)
    await refused(client, db, tenant, REINSTATE, {"user_offer_id": uo}, 409, "CONFLICT", "LOCKED")
    await refused(client, db, tenant, REINSTATE, {"user_offer_id": MISSING}, 404, "NOT_FOUND")
    # A locked offer is redeemed on the spot by the check that holds it.
    assert (await pos(client, tenant, REDEEM, lock_body(uo)))["status"] == "REDEEMED"


async def test_locks_of_another_retailers_pos_client_are_separate(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant
) -> None:
    uo = await offer_in(client, tenant)
    await lock(client, tenant, uo)
    body = await pos(client, other_tenant, UNLOCK, {"user_offer_id": uo}, 404)
    assert error_of(body) == ("NOT_FOUND", None)
    assert await status_of(db, uo) == 2
