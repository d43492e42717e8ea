"""A seeded programme for the report tests: known issuances, redemptions, checks and points at known
instants around the 2026 spring-forward in America/New_York (Sunday 8 March, 02:00 EST -> 03:00 EDT).

Local days of the tenant (America/New_York):
  Sat 7 March  = [05:00Z 7 Mar, 05:00Z 8 Mar)   24 h, EST
  Sun 8 March  = [05:00Z 8 Mar, 04:00Z 9 Mar)   23 h, the change
  Mon 9 March  = [04:00Z 9 Mar, 04:00Z 10 Mar)  24 h, EDT

Points expire a month after the local day they were earned (turned on 15 January): E1 earned 40 on
Sat 7 Feb 23:30 EST (UTC says the 8th) and spent 15, so 25 expire at midnight ending 7 March (05:00Z
8 March: the 8th's figures); E2 earned 30 on 8 Feb (expiring at 04:00Z 9 March, EDT: the 9th) and 12 on
9 Feb (04:00Z 10 March: after the period, though a fixed -5 h offset would put it on the 9th). The
expiry runs at each step, as the housekeeping would.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from openoffers.kit.db import Database
from openoffers.loyalty import service as loyalty
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant
from tests.pos.pos_support import (
    REDEEM,
    REINSTATE,
    SEND,
    api,
    as_discount,
    check,
    create_offer,
    create_user,
    issue,
    lock,
    lock_body,
    pos,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Programme:
    offer_a: str  # $5 off the check
    offer_b: str  # $3 off the check
    users: list[str]
    uptown: Tenant  # the same tenant at its second store
    rule_id: str
    user_offers: dict[str, str]  # a0, a1, a2, b1, b3, b4 -> user offer id
    expiring: list[str]  # E1, E2: customers whose points expire in the period


async def seed_programme(client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock) -> Programme:
    started = clock.now  # put back at the end: an admin session signed in before stays valid
    clock.now = at("2026-01-15T12:00:00")
    await loyalty.set_loyalty_settings(db, tenant.retailer_id, clock(), expiry_months=1)
    expiring = [await create_user(client, tenant, first_name=f"E{n}", last_name="L") for n in (1, 2)]
    for when, user, amount in (
        ("2026-02-08T04:30:00", expiring[0], 40),
        ("2026-02-08T17:00:00", expiring[1], 30),
        ("2026-02-09T15:00:00", expiring[1], 12),
    ):
        clock.now = at(when)
        await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user, "amount": amount})
    clock.now = at("2026-02-20T15:00:00")
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": expiring[0], "amount": 15})

    clock.now = at("2026-03-01T12:00:00")
    rule = await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    offer_a = await create_offer(client, tenant)
    offer_b = await create_offer(
        client,
        tenant,
        text_config=[{"title": "$3 off", "description": "d", "terms_and_conditions": "t", "culture": "en"}],
        discount_config={"amount": 3},
    )
    users = [await create_user(client, tenant, first_name=f"U{n}", last_name="L") for n in range(5)]
    store = await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="Uptown", now=clock())
    pos_client, secret = await tenancy.create_pos_client(
        db, retailer_id=tenant.retailer_id, store_ids=(store.id,), now=clock()
    )
    uptown = dataclasses.replace(tenant, store_id=store.id, client_id=pos_client.id, client_secret=secret)

    # Fri 6 March 23:30 EST: before the period.
    clock.now = at("2026-03-07T04:30:00")
    a0 = await issue(client, tenant, users[0], offer_a)

    # Sat 7 March 23:30 EST (UTC already says the 8th): issued, and a0 redeemed on a closed check at Main St.
    clock.now = at("2026-03-08T04:30:00")
    assert await loyalty.expire_points(db, clock()) == 0  # E1's points last until midnight
    a1 = await issue(client, tenant, users[1], offer_a)
    locked = await lock(client, tenant, a0, check("T-1"))
    await pos(client, tenant, SEND, check("T-1", discounts=[as_discount(locked)], is_closed=True, user_id=users[0]))

    # Sun 8 March 11:00 EDT: a redemption that is given back (reinstated) does not count.
    clock.now = at("2026-03-08T15:00:00")
    assert await loyalty.expire_points(db, clock()) == 1
    a2 = await issue(client, tenant, users[2], offer_a)
    await pos(client, tenant, REDEEM, lock_body(a2, check("T-R")))
    await pos(client, tenant, REINSTATE, {"user_offer_id": a2, "employee_id": "e1", "transaction_id": "T-R"})
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": users[0], "amount": 2, "reason": "gift"})

    # Mon 9 March 00:30 EDT (with a fixed -5 h offset it would still be the 8th): B issued; a1 redeemed
    # on a closed check at Uptown.
    clock.now = at("2026-03-09T04:30:00")
    assert await loyalty.expire_points(db, clock()) == 1
    b1 = await issue(client, tenant, users[1], offer_b)
    locked = await lock(client, uptown, a1, check("U-1"))
    await pos(client, uptown, SEND, check("U-1", discounts=[as_discount(locked)], is_closed=True, user_id=users[1]))

    # Mon 9 March 23:30 EDT (UTC says the 10th): still in the period. b1 redeemed at Uptown without a
    # closed check (the /redeem call), and a closed check with no offer.
    clock.now = at("2026-03-10T03:30:00")
    b3 = await issue(client, tenant, users[3], offer_b)
    await pos(client, uptown, REDEEM, lock_body(b1, check("U-2")))
    await pos(client, tenant, SEND, check("T-2", is_closed=True, user_id=users[3]))

    # Tue 10 March 00:30 EDT: after the period.
    clock.now = at("2026-03-10T04:30:00")
    assert await loyalty.expire_points(db, clock()) == 1
    b4 = await issue(client, tenant, users[4], offer_b)
    locked = await lock(client, tenant, b4, check("T-3"))
    await pos(client, tenant, SEND, check("T-3", discounts=[as_discount(locked)], is_closed=True, user_id=users[4]))
    clock.now = started
    held = {"a0": a0, "a1": a1, "a2": a2, "b1": b1, "b3": b3, "b4": b4}
    return Programme(offer_a, offer_b, users, uptown, str(rule["rule_id"]), held, expiring)
