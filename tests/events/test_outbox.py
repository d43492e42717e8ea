"""The transactional outbox: every change the outside hears about writes its event in the same
transaction, so an event exists exactly when its change committed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.loyalty.points import ledger
from openoffers.offers import service as offers_service
from openoffers.tables.events import outbox_events
from openoffers.wallet import lifecycle
from tests.conftest import FrozenClock, Tenant, offer_body, snapshot
from tests.pos.pos_support import SEND, api, as_discount, check, customer_with_offer, line, lock, pos, status_of


async def outbox(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(select(outbox_events).order_by(outbox_events.c.seq))
    return [dict(row._mapping) for row in rows]


async def types(db: Database) -> list[str]:
    return [e["type"] for e in await outbox(db)]


async def test_a_customer_journey_publishes_each_change_once_in_order(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    user_id, uo = await customer_with_offer(client, tenant)
    assert await types(db) == ["offer.published", "user.created", "user_offer.issued"]

    locked = await lock(client, tenant, uo)
    closed = check(items=[line("0", "20"), line("1", "3.50", item_id="2")], discounts=[as_discount(locked)])
    closed["is_closed"] = True
    await pos(client, tenant, SEND, closed)
    await pos(client, tenant, SEND, closed)  # the same closed check again: nothing happens twice
    clock.advance(hours=1)
    await pos(client, tenant, SEND, {**closed, "is_voided": True})
    await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": user_id, "amount": 10, "kind": "adjust"})
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 4})
    await api(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": uo, "reason": "goodwill"})

    events = await outbox(db)
    assert [e["type"] for e in events] == [
        "offer.published",
        "user.created",
        "user_offer.issued",
        "user_offer.locked",
        "user_offer.redeemed",
        "points.earned",
        "transaction.closed",
        "user_offer.voided",
        "points.reversed",
        "transaction.voided",
        "points.adjusted",
        "points.spent",
        "user_offer.revoked",
    ]
    assert {e["retailer_id"] for e in events} == {tenant.retailer_id}
    assert len({e["id"] for e in events}) == len(events)
    # Every customer event keeps the customer's order; the offer's keeps the offer's.
    offer_id = events[0]["data"]["root_offer_id"]
    assert [e["ordering_key"] for e in events] == [offer_id] + [user_id] * 12

    issued, redeemed, earned, closed_event = events[2]["data"], events[4]["data"], events[5]["data"], events[6]["data"]
    assert issued["user_offer_id"] == uo and issued["user_id"] == user_id
    assert (issued["status"], issued["status_description"], issued["event"]["kind"]) == (1, "Issued", "issued")
    assert (redeemed["status"], redeemed["status_description"]) == (3, "Redeemed")
    assert redeemed["event"]["detail"]["transaction_id"] == "T-1"
    # 23.50 - 5.00 earns 18 points.
    assert (earned["amount"], earned["available_balance"], earned["lifetime_value"]) == (18, 18, 18)
    assert closed_event["transaction_id"] == "T-1" and closed_event["user_id"] == user_id
    assert closed_event["redeemed_user_offer_ids"] == [uo]
    assert closed_event["check"]["discounts"][0]["reference_id"] == uo
    user_created = events[1]["data"]
    assert (user_created["user_id"], user_created["first_name"]) == (user_id, "Ada")


async def test_offer_changes_publish_published_revised_and_deactivated(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    draft = await api(client, tenant, "/api/2.0/offers/management/create", {"publish": False, **_offer_fields(tenant)})
    assert await types(db) == []  # a draft is nobody else's business
    offer_id = draft["offer_id"]
    await api(client, tenant, "/api/2.0/offers/management/publish", {"offer_id": offer_id})
    await api(client, tenant, "/api/2.0/offers/management/publish", {"offer_id": offer_id})  # already: no-op
    await api(
        client,
        tenant,
        "/api/2.0/offers/management/update",
        {**_offer_fields(tenant), "offer_id": offer_id, "discount_config": {"amount": 6}},
    )
    await api(client, tenant, "/api/2.0/offers/management/deactivate", {"offer_id": offer_id})
    events = await outbox(db)
    assert [e["type"] for e in events] == ["offer.published", "offer.revised", "offer.deactivated"]
    assert [e["data"]["new_status"] for e in events] == [1, 1, 2]  # Published, Published, Deactivated
    assert {e["ordering_key"] for e in events} == {offer_id}


def _offer_fields(tenant: Tenant) -> dict[str, Any]:
    body = offer_body(tenant.retailer_id)
    body.pop("publish")
    return body


async def test_a_refused_change_publishes_nothing(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    user_id, _ = await customer_with_offer(client, tenant)
    before = await snapshot(db)
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 1}, status=409)
    assert await snapshot(db) == before


class Boom(Exception):
    pass


@pytest.mark.parametrize("commit", [False, True])
async def test_a_lifecycle_event_exists_exactly_when_its_change_committed(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, commit: bool
) -> None:
    _, uo = await customer_with_offer(client, tenant)
    before = await snapshot(db)
    with pytest.raises(Boom) if not commit else _nothing():
        async with db.write() as conn:
            write = lifecycle.RowWrite(conn, tenant.retailer_id, clock())
            assert await lifecycle.revoke(write, UUID(uo), "test")
            if not commit:
                raise Boom  # after the change, in the same transaction
    if commit:
        assert await status_of(db, uo) == 5
        assert (await types(db))[-1] == "user_offer.revoked"
        assert len(await outbox(db)) == len(before["outbox_events"]) + 1
    else:
        assert await snapshot(db) == before


@pytest.mark.parametrize("commit", [False, True])
async def test_a_points_event_exists_exactly_when_its_entry_committed(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock, commit: bool
) -> None:
    user_id, _ = await customer_with_offer(client, tenant)
    before = await snapshot(db)
    with pytest.raises(Boom) if not commit else _nothing():
        async with db.write() as conn:
            await ledger.post(
                conn,
                retailer_id=tenant.retailer_id,
                user_id=UUID(user_id),
                account_id=None,
                kind="earn",
                amount=7,
                now=clock(),
                actor="test",
            )
            if not commit:
                raise Boom
    if commit:
        [event] = [e for e in await outbox(db) if e["type"] == "points.earned"]
        assert (event["data"]["amount"], event["data"]["available_balance"]) == (7, 7)
    else:
        assert await snapshot(db) == before


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def test_an_offer_event_exists_exactly_when_its_change_committed(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = (await api(client, tenant, "/api/2.0/offers/management/create", _offer_fields(tenant)))["offer_id"]
    before = await snapshot(db)
    with pytest.raises(Boom):
        async with db.write() as conn:
            change = await offers_service.change_status_in(
                conn, tenant.retailer_id, UUID(offer_id), "published", clock()
            )
            assert change.changed
            raise Boom
    assert await snapshot(db) == before
    async with db.write() as conn:
        await offers_service.change_status_in(conn, tenant.retailer_id, UUID(offer_id), "published", clock())
    assert await types(db) == ["offer.published"]
