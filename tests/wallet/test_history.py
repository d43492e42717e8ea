"""Wallet reads: user_offer_history (the guide's request verbatim), get_user_offers, get_user_offer;
expiry, revoke and culture fallback, each with the clock passed in."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID, uuid4

import httpx

from openoffers.kit.db import Database
from openoffers.tenancy import service as tenancy
from openoffers.wallet import history as wallet_history
from openoffers.wallet import repository as wallet_repo
from openoffers.wallet import service as wallet
from openoffers.wallet.repository import Event
from openoffers.wallet.schemas import UserOfferRequest
from tests.conftest import FrozenClock, Tenant, basic, snapshot
from tests.wallet.wallet_support import (
    WALLET_TABLES,
    create_offer,
    create_user,
    deposit,
    issue_one,
    post,
    user_offer,
)

GUIDE_RETAILER = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
GUIDE_USER = "7802673c-0c37-11e8-8ca7-2605c0686dd6"
# Verbatim from the partner guide (offer-management-api-workflow.txt, "User Offer History").
GUIDE_HISTORY_REQUEST = (
    '{"retailer_id":"2D5B5A08-BECD-4837-A69A-2AB967C7773A","user_ids":["7802673c-0c37-11e8-8ca7-26'
    '05c0686dd6"],"rollback_option":0,"skip":0,"take":1}'
)
# The guide's response entry, whose fields (names and order) ours must match.
GUIDE_RESULT_FIELDS = [
    "title",
    "description",
    "terms",
    "user_offer_id",
    "offer_id",
    "offer_type",
    "user_id",
    "acquire_date",
    "redemption_start_date",
    "redemption_end_date",
    "status",
    "status_description",
    "culture",
    "media_uri",
    "media_culture",
    "skip",
    "take",
]
GUIDE_OFFER = {
    "offer_type": "manual_fulfillment",
    "publish": "true",
    "text_config": [
        {
            "title": "Test Image URL",
            "description": "Session M Test Offer - KY",
            "terms_and_conditions": "Subject to availability, XXX reserves the right to to void any offer.",
            "culture": "en",
        }
    ],
    "media_config": [],
    "common_config": {
        "acquisition_start_date": "2018-03-01 00:00:00.0",
        "acquisition_end_date": "2019-03-31 23:59:00.0",
        "does_not_expire": False,
        "valid_after_end_date": False,
        "reward_store": False,
        "validity_unit": "years",
        "validity_period": 100,
        "custom_data": '{"CustomAttribute":"CustomValue"}',
    },
    "discount_config": {},
    "offer_config": {"type": "manual_fulfillment"},
}


async def _guide_tenant(db: Database, clock: FrozenClock) -> Tenant:
    retailer = await tenancy.create_retailer(db, name="Guide", retailer_id=GUIDE_RETAILER, now=clock())
    key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, now=clock())
    return Tenant(retailer.id, key.key, secret, retailer.id, retailer.id, "")


async def test_guide_user_offer_history_request_verbatim(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock
) -> None:
    # Issued inside the guide offer's acquisition window (2018-03-01 .. 2019-03-31 23:59).
    clock.now = clock.now.replace(year=2018, month=9, day=4, hour=19, minute=47, second=28, microsecond=347581)
    tenant = await _guide_tenant(db, clock)
    offer_id = (await post(client, tenant, "/api/2.0/offers/management/create", GUIDE_OFFER))["offer_id"]
    await create_user(client, tenant, user_id=GUIDE_USER.upper())
    older = await issue_one(client, tenant, GUIDE_USER, offer_id)
    clock.advance(minutes=5)
    newest = await issue_one(client, tenant, GUIDE_USER, offer_id)
    response = await client.post(
        "/api/2.0/offers/user_offer_history",
        content=GUIDE_HISTORY_REQUEST,
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["status", "payload"]
    assert body["status"] == "ok"
    assert list(body["payload"]) == ["total_records", "results"]
    assert body["payload"]["total_records"] == 2
    [entry] = body["payload"]["results"]  # take 1: the newest only
    assert list(entry) == GUIDE_RESULT_FIELDS
    assert entry == {
        "title": "Test Image URL",
        "description": "Session M Test Offer - KY",
        "terms": "Subject to availability, XXX reserves the right to to void any offer.",
        "user_offer_id": newest,
        "offer_id": offer_id,
        "offer_type": "manual_fulfillment",
        "user_id": GUIDE_USER,
        "acquire_date": "2018-09-04T19:52:28.347581Z",
        "redemption_start_date": "2018-09-04T19:52:28.347581Z",
        # 100 years of validity, cut by the acquisition end (valid_after_end_date is false).
        "redemption_end_date": "2019-03-31T23:59:00Z",
        "status": 1,
        "status_description": "Issued",
        "culture": "en",
        "media_uri": "",
        "media_culture": "",
        "skip": 0,
        "take": 1,
    }
    second_page = json.loads(GUIDE_HISTORY_REQUEST) | {"skip": 1}
    page = await post(client, tenant, "/api/2.0/offers/user_offer_history", second_page)
    assert [(r["user_offer_id"], r["skip"], r["take"]) for r in page["results"]] == [(older, 1, 1)]


async def test_history_lists_every_status_newest_first_for_several_users(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant, common={"validity_unit": "hours", "validity_period": 1})
    ann, bob = await create_user(client, tenant), await create_user(client, tenant)
    first = await issue_one(client, tenant, ann, offer_id)
    clock.advance(minutes=1)
    second = await issue_one(client, tenant, bob, offer_id)
    clock.advance(minutes=1)
    third = await issue_one(client, tenant, ann, offer_id)
    await post(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": third, "reason": "oops"})
    clock.advance(minutes=58)  # the first one's window has just ended; the second has a minute left
    page = await post(client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [ann, bob], "take": 10})
    assert page["total_records"] == 3
    assert [(r["user_offer_id"], r["status"], r["status_description"]) for r in page["results"]] == [
        (third, 5, "Revoked"),
        (second, 1, "Issued"),
        (first, 4, "Expired"),
    ]


async def test_rollback_option(client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    plain = await issue_one(client, tenant, user_id, offer_id)
    rolled = await issue_one(client, tenant, user_id, offer_id)
    voided = await issue_one(client, tenant, user_id, offer_id)
    # What the POS issue's reinstate and void will append.
    async with db.write() as conn:
        await wallet_repo.add_event(conn, tenant.retailer_id, UUID(rolled), Event("reinstated", clock(), "pos"))
        await wallet_repo.add_event(conn, tenant.retailer_id, UUID(voided), Event("voided", clock(), "pos"))

    async def ids(option: int) -> set[str]:
        body = {"user_ids": [user_id], "rollback_option": option, "take": 10}
        page = await post(client, tenant, "/api/2.0/offers/user_offer_history", body)
        assert page["total_records"] == len(page["results"])
        return {r["user_offer_id"] for r in page["results"]}

    assert await ids(0) == {plain, rolled, voided}
    assert await ids(1) == {plain}
    assert await ids(2) == {rolled, voided}
    error = await post(
        client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [user_id], "rollback_option": 3}, status=400
    )
    assert "rollback_option" in error["errors"]["fields"]


async def test_history_errors(client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant) -> None:
    mine = await create_user(client, tenant)
    theirs = await create_user(client, other_tenant)
    error = await post(client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [mine, theirs]}, status=404)
    assert error["errors"]["code"] == "USER_NOT_FOUND"
    assert error["errors"]["fields"] == {"user_ids[1]": ["not found"]}
    error = await post(client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": []}, status=400)
    assert "user_ids" in error["errors"]["fields"]
    error = await post(
        client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [mine], "take": 0}, status=400
    )
    assert "take" in error["errors"]["fields"]


async def test_wallet_lists_redeemable_offers_with_points(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    short = await create_offer(client, tenant, title="short", common={"validity_unit": "days", "validity_period": 1})
    long = await create_offer(client, tenant, title="long", common={"does_not_expire": True})
    user_id = await create_user(client, tenant)
    expiring = await issue_one(client, tenant, user_id, short)
    clock.advance(minutes=1)
    keeps = []
    for _ in range(3):
        clock.advance(seconds=1)
        keeps.append(await issue_one(client, tenant, user_id, long))
    revoked = await issue_one(client, tenant, user_id, long)
    await post(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": revoked})
    await deposit(client, tenant, user_id, 50)
    await post(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 20})

    wallet_page = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id, "take": 2})
    assert list(wallet_page) == [
        "user",
        "user_id",
        "user_offers",
        "total_records",
        "offer_groups",
        "offer_categories",
        "total_points",
        "available_points",
    ]
    assert wallet_page["total_records"] == 4
    assert (wallet_page["total_points"], wallet_page["available_points"]) == (50, 30)
    assert [o["user_offer_id"] for o in wallet_page["user_offers"]] == keeps[::-1][:2]
    assert wallet_page["user_offers"][0]["redemption_end_date"] is None
    rest = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id, "skip": "2", "take": "5"})
    assert [o["user_offer_id"] for o in rest["user_offers"]] == [keeps[0], expiring]

    clock.advance(days=1)  # the short one's window ends: it leaves the wallet at once
    after = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": user_id})
    assert after["total_records"] == 3
    assert expiring not in {o["user_offer_id"] for o in after["user_offers"]}


async def test_wallet_errors(client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await create_user(client, other_tenant)
    error = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": theirs}, status=404)
    assert error["errors"]["code"] == "USER_NOT_FOUND"
    error = await post(client, tenant, "/api/2.0/offers/get_user_offers", {"user_id": "x"}, status=400)
    assert error["errors"]["fields"] == {"user_id": [error["errors"]["fields"]["user_id"][0]]}


async def test_expiry_is_visible_at_the_end_and_recorded_at_the_end(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock, db: Database
) -> None:
    offer_id = await create_offer(client, tenant, common={"validity_unit": "hours", "validity_period": 2})
    other_offer = await create_offer(client, tenant)
    user_id = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)
    clock.advance(hours=2, microseconds=-1)
    assert (await user_offer(client, tenant, user_offer_id))["status"] == 1
    clock.advance(microseconds=1)  # exactly the end: no longer Issued, without any write
    before = await snapshot(db, *WALLET_TABLES)
    seen = await user_offer(client, tenant, user_offer_id)
    assert (seen["status"], seen["status_description"]) == (4, "Expired")
    assert seen["events"][-1] == {
        "kind": "expired",
        "at": "2026-06-15T14:00:00Z",
        "actor": "system",
        "reason": "redemption window ended",
        "detail": {},
    }
    assert await snapshot(db, *WALLET_TABLES) == before  # reads never write

    # The next write touching the user records it, dated when the window ended.
    clock.advance(days=3)
    await issue_one(client, tenant, user_id, other_offer)
    async with db.read() as conn:
        stored = await wallet_repo.get_user_offer(conn, tenant.retailer_id, UUID(user_offer_id))
        events = await wallet_repo.list_events(conn, tenant.retailer_id, UUID(user_offer_id))
    assert stored is not None and stored.status == 4
    assert [(e.kind, e.at, e.actor) for e in events] == [
        ("issued", clock.now - timedelta(days=3, hours=2), f"api_key:{tenant.key}"),
        ("expired", clock.now - timedelta(days=3), "system"),
    ]
    assert [e["kind"] for e in (await user_offer(client, tenant, user_offer_id))["events"]] == ["issued", "expired"]


async def test_expire_due_records_every_retailers_ended_windows(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock, db: Database
) -> None:
    ended = []
    for who in (tenant, other_tenant):
        offer_id = await create_offer(client, who, common={"validity_unit": "days", "validity_period": 1})
        user_id = await create_user(client, who)
        ended += [await issue_one(client, who, user_id, offer_id) for _ in range(3)]
    never = await issue_one(
        client, tenant, user_id=await create_user(client, tenant), offer_id=await create_offer(client, tenant)
    )
    clock.advance(days=1)
    assert await wallet.expire_due(db, clock(), batch=2) == 6
    assert await wallet.expire_due(db, clock()) == 0  # already recorded: nothing twice
    async with db.read() as conn:
        for who, ids in ((tenant, ended[:3]), (other_tenant, ended[3:])):
            for user_offer_id in ids:
                events = await wallet_repo.list_events(conn, who.retailer_id, UUID(user_offer_id))
                assert [(e.kind, e.at) for e in events][-1] == ("expired", clock.now)
        stored = await wallet_repo.get_user_offer(conn, tenant.retailer_id, UUID(never))
    assert stored is not None and stored.status == 1


async def test_revoke(client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock, db: Database) -> None:
    offer_id = await create_offer(client, tenant, common={"validity_unit": "days", "validity_period": 1})
    user_id = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)
    clock.advance(minutes=5)
    revoked = await post(
        client,
        tenant,
        "/api/2.0/offers/acquisition/revoke",
        {"user_offer_id": user_offer_id.upper(), "reason": "fraud"},
    )
    assert (revoked["user_offer_id"], revoked["status"], revoked["status_description"]) == (user_offer_id, 5, "Revoked")
    events = (await user_offer(client, tenant, user_offer_id))["events"]
    assert [(e["kind"], e["at"], e["actor"], e["reason"]) for e in events][-1] == (
        "revoked",
        "2026-06-15T12:05:00Z",
        f"api_key:{tenant.key}",
        "fraud",
    )
    # Again: succeeds and changes nothing (no second event).
    before = await snapshot(db, *WALLET_TABLES)
    again = await post(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": user_offer_id})
    assert again["status"] == 5
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_revoke_refusals_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock, db: Database
) -> None:
    offer_id = await create_offer(client, tenant, common={"validity_unit": "days", "validity_period": 1})
    user_id = await create_user(client, tenant)
    expiring = await issue_one(client, tenant, user_id, offer_id)
    redeemed = await issue_one(client, tenant, user_id, offer_id)
    async with db.write() as conn:  # as the POS issue will redeem
        event = Event("redeemed", clock(), "pos")
        assert await wallet_repo.transition(conn, tenant.retailer_id, UUID(redeemed), 1, 3, event)
    their_user = await create_user(client, other_tenant)
    theirs = await issue_one(client, other_tenant, their_user, await create_offer(client, other_tenant))
    clock.advance(days=1)
    before = await snapshot(db, *WALLET_TABLES)
    for user_offer_id, status, code, reason in (
        (expiring, 409, "CONFLICT", "EXPIRED"),
        (redeemed, 409, "CONFLICT", "REDEEMED"),
        (theirs, 404, "NOT_FOUND", None),
    ):
        error = await post(
            client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": user_offer_id}, status=status
        )
        assert (error["errors"]["code"], error["errors"].get("reason")) == (code, reason)
    # Even the expiry the refused revoke noticed was rolled back with it: nothing half-written.
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_culture_fallback_with_the_clock_passed_in(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    texts = [
        {"title": "Five off", "description": "d-en", "terms_and_conditions": "t-en", "culture": "en"},
        {"title": "Cinq de moins", "description": "d-fr", "terms_and_conditions": "t-fr", "culture": "fr-CA"},
        {"title": "Fünf weniger", "description": "d-de", "terms_and_conditions": "t-de", "culture": "de"},
    ]
    media = [
        {"uri": "https://cdn/fr.png", "culture": "fr"},
        {"uri": "https://cdn/any.png", "culture": ""},
    ]
    offer_id = await create_offer(client, tenant, texts=texts, media=media)
    user_id = await create_user(client, tenant)
    user_offer_id = await issue_one(client, tenant, user_id, offer_id)

    async def shown(culture: str | None) -> tuple[str, str, str, str]:
        body: dict[str, object] = {"user_id": user_id}
        if culture is not None:
            body["culture"] = culture
        [item] = (await post(client, tenant, "/api/2.0/offers/get_user_offers", body))["user_offers"]
        return item["title"], item["culture"], item["media_uri"], item["media_culture"]

    assert await shown("fr-CA") == ("Cinq de moins", "fr-CA", "https://cdn/fr.png", "fr")
    assert await shown("FR-fr") == ("Cinq de moins", "fr-CA", "https://cdn/fr.png", "fr")  # by language
    assert await shown("de-AT") == ("Fünf weniger", "de", "https://cdn/any.png", "")
    assert await shown("ja-JP") == ("Five off", "en", "https://cdn/any.png", "")  # the retailer's default, en
    assert await shown(None) == ("Five off", "en", "https://cdn/any.png", "")
    detail = await user_offer(client, tenant, user_offer_id, culture="fr")
    assert (detail["title"], detail["description"], detail["terms"]) == ("Cinq de moins", "d-fr", "t-fr")
    # History takes a culture too, else the retailer's default.
    page = await post(client, tenant, "/api/2.0/offers/user_offer_history", {"user_ids": [user_id], "culture": "de"})
    assert page["results"][0]["title"] == "Fünf weniger"

    # A retailer whose default culture is French falls back to French, not to the first text.
    retailer = await tenancy.create_retailer(db, name="Québec", culture="fr-CA", now=clock())
    key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, now=clock())
    quebec = Tenant(retailer.id, key.key, secret, retailer.id, retailer.id, "")
    offer_id = await create_offer(client, quebec, texts=texts)
    user_id = await create_user(client, quebec)
    await issue_one(client, quebec, user_id, offer_id)
    body = {"retailer_id": str(retailer.id), "user_id": user_id, "culture": "ja"}
    response = await client.post("/api/2.0/offers/get_user_offers", json=body, headers=basic(key.key, secret))
    assert response.json()["payload"]["user_offers"][0]["title"] == "Cinq de moins"


async def test_user_offer_details_are_the_single_reads_in_the_order_asked(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L")
    first = await issue_one(client, tenant, user_id, offer_id)
    second = await issue_one(client, tenant, user_id, offer_id)
    await post(client, tenant, "/api/2.0/offers/acquisition/revoke", {"user_offer_id": second, "reason": "test"})
    theirs_offer = await create_offer(client, other_tenant)
    theirs_user = await create_user(client, other_tenant, first_name="Bob", last_name="B")
    theirs = await issue_one(client, other_tenant, theirs_user, theirs_offer)
    asked = [UUID(second), uuid4(), UUID(theirs), UUID(first)]

    details = await wallet_history.user_offer_details(db, tenant.retailer_id, asked, clock())

    singles = [
        await wallet_history.get_user_offer(
            db, UserOfferRequest(retailer_id=tenant.retailer_id, user_offer_id=i), clock()
        )
        for i in (UUID(second), UUID(first))
    ]
    assert details == singles
    assert [[e.kind for e in d.events] for d in details] == [["issued", "revoked"], ["issued"]]
