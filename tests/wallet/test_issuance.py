"""api/2.0/offers/acquisition/issue: revisions, acquisition window, restrictions, redemption window."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.kit.wire import WireTime
from openoffers.offers.schemas import CommonConfig
from openoffers.wallet.issuance import redemption_window, shift
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.wallet.wallet_support import (
    WALLET_TABLES,
    create_offer,
    create_user,
    issue,
    issue_one,
    offer_body,
    post,
    user_offer,
)

T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


# ----------------------------------------------------------------------------- redemption window


@pytest.mark.parametrize(
    ("start", "unit", "amount", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), "months", 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), "months", 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 3, 31, 9, 30, tzinfo=UTC), "months", -1, datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), "months", 3, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), "years", 1, datetime(2029, 2, 28, tzinfo=UTC)),
        (datetime(2026, 6, 15, tzinfo=UTC), "years", 100, datetime(2126, 6, 15, tzinfo=UTC)),
        (datetime(2026, 6, 15, tzinfo=UTC), "weeks", 2, datetime(2026, 6, 29, tzinfo=UTC)),
        (datetime(2026, 6, 15, tzinfo=UTC), "minutes", 90, datetime(2026, 6, 15, 1, 30, tzinfo=UTC)),
        (datetime(2026, 6, 15, tzinfo=UTC), "years", 1_000_000, None),
        (datetime(2026, 6, 15, tzinfo=UTC), "days", 1_000_000_000, None),
    ],
)
def test_shift_by_the_calendar(start: datetime, unit: str, amount: int, expected: datetime | None) -> None:
    assert shift(start, unit, amount) == expected


def test_redemption_window_rules() -> None:
    end = WireTime(2026, 7, 1, tzinfo=UTC)
    window = redemption_window
    assert window(CommonConfig(validity_unit="days", validity_period=30), T0) == (
        T0,
        datetime(2026, 7, 15, 12, tzinfo=UTC),
    )
    # The acquisition end cuts the validity short...
    cut = CommonConfig(validity_unit="days", validity_period=30, acquisition_end_date=end)
    assert window(cut, T0) == (T0, end)
    # ...unless the offer stays valid after it.
    after = CommonConfig(validity_unit="days", validity_period=30, acquisition_end_date=end, valid_after_end_date=True)
    assert window(after, T0) == (T0, datetime(2026, 7, 15, 12, tzinfo=UTC))
    assert window(CommonConfig(acquisition_end_date=end), T0) == (T0, end)
    assert window(CommonConfig(acquisition_end_date=end, valid_after_end_date=True), T0) == (T0, None)
    assert window(CommonConfig(), T0) == (T0, None)
    never = CommonConfig(validity_unit="days", validity_period=1, acquisition_end_date=end, does_not_expire=True)
    assert window(never, T0) == (T0, None)


# ------------------------------------------------------------------------------------------ issue


async def test_issue_answers_one_entry_per_copy_and_stores_the_window(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant, common={"validity_unit": "months", "validity_period": 1})
    user_id = await create_user(client, tenant)
    status_list = await issue(client, tenant, user_id.upper(), offer_id.upper(), quantity="2")  # type: ignore[arg-type]
    assert len(status_list) == 2
    for entry in status_list:
        assert list(entry) == [
            "user_id",
            "user_offer_id",
            "offer_id",
            "root_offer_id",
            "pending_extended_data",
            "fail_reason",
            "fail_reason_code",
        ]
        assert entry["user_id"] == user_id
        assert entry["offer_id"] == entry["root_offer_id"] == offer_id
        assert (entry["pending_extended_data"], entry["fail_reason"], entry["fail_reason_code"]) == (False, 0, None)
    assert status_list[0]["user_offer_id"] != status_list[1]["user_offer_id"]
    detail = await user_offer(client, tenant, status_list[0]["user_offer_id"])
    assert detail["status"] == 1
    assert detail["status_description"] == "Issued"
    assert detail["acquire_date"] == "2026-06-15T12:00:00Z"
    assert detail["redemption_start_date"] == "2026-06-15T12:00:00Z"
    assert detail["redemption_end_date"] == "2026-07-15T12:00:00Z"
    assert detail["source"] == "api"
    assert [(e["kind"], e["at"], e["actor"]) for e in detail["events"]] == [
        ("issued", "2026-06-15T12:00:00Z", f"api_key:{tenant.key}")
    ]


async def test_newest_revision_unless_exact_version(client: httpx.AsyncClient, tenant: Tenant) -> None:
    first = await create_offer(client, tenant, title="v1", common={"validity_unit": "days", "validity_period": 10})
    user_id = await create_user(client, tenant)
    kept = await issue_one(client, tenant, user_id, first)
    # Referenced now, so an update makes a revision with a new id.
    update = offer_body("v2", common={"validity_unit": "days", "validity_period": 20})
    revised = await post(client, tenant, "/api/2.0/offers/management/update", {"offer_id": first, **update})
    assert revised["revisioned"] is True
    second = revised["offer_id"]
    [newest] = await issue(client, tenant, user_id, first, issue_exact_version=False)
    [exact] = await issue(client, tenant, user_id, first, issue_exact_version="true")
    assert newest["offer_id"] == second and newest["root_offer_id"] == first
    assert exact["offer_id"] == first and exact["root_offer_id"] == first
    assert (await user_offer(client, tenant, newest["user_offer_id"]))["redemption_end_date"] == "2026-07-05T12:00:00Z"
    assert (await user_offer(client, tenant, exact["user_offer_id"]))["redemption_end_date"] == "2026-06-25T12:00:00Z"
    # The first user offer keeps the terms it was issued under.
    assert (await user_offer(client, tenant, kept))["title"] == "v1"
    assert (await user_offer(client, tenant, newest["user_offer_id"]))["title"] == "v2"


async def test_only_published_offers_inside_their_acquisition_window(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock, db: Database
) -> None:
    user_id = await create_user(client, tenant)
    draft = await create_offer(client, tenant, publish=False)
    window = await create_offer(
        client,
        tenant,
        common={"acquisition_start_date": "2026-06-16 00:00:00", "acquisition_end_date": "2026-06-17 00:00:00"},
    )
    before = await snapshot(db, *WALLET_TABLES)
    refused = await issue(client, tenant, user_id, draft, 2)
    assert [(e["fail_reason"], e["fail_reason_code"]) for e in refused] == [(1, "OFFER_NOT_PUBLISHED")] * 2
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, window)] == ["ACQUISITION_NOT_STARTED"]
    # A refused draft is not marked referenced: nothing at all changed.
    assert await snapshot(db, *WALLET_TABLES) == before
    clock.advance(days=1)
    await issue_one(client, tenant, user_id, window)
    clock.advance(days=1, seconds=1)
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, window)] == ["ACQUISITION_ENDED"]
    # Deactivated offers issue no more.
    published = await create_offer(client, tenant)
    await post(client, tenant, "/api/2.0/offers/management/deactivate", {"offer_id": published})
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, published)] == ["OFFER_NOT_PUBLISHED"]


async def test_per_customer_maximum(client: httpx.AsyncClient, tenant: Tenant) -> None:
    offer_id = await create_offer(client, tenant, issuance=[{"type": "per_customer", "max": 2}])
    ann, bob = await create_user(client, tenant), await create_user(client, tenant)
    reasons = [e["fail_reason_code"] for e in await issue(client, tenant, ann, offer_id, 3)]
    assert reasons == [None, None, "PER_CUSTOMER_LIMIT"]
    assert [e["fail_reason_code"] for e in await issue(client, tenant, ann, offer_id)] == ["PER_CUSTOMER_LIMIT"]
    assert [e["fail_reason_code"] for e in await issue(client, tenant, bob, offer_id, 2)] == [None, None]


async def test_frequency_per_rolling_period(client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock) -> None:
    offer_id = await create_offer(
        client, tenant, issuance=[{"type": "frequency", "max": 2, "period_unit": "days", "period_value": 7}]
    )
    user_id = await create_user(client, tenant)
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, offer_id, 3)] == [
        None,
        None,
        "FREQUENCY_LIMIT",
    ]
    clock.advance(days=6)
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, offer_id)] == ["FREQUENCY_LIMIT"]
    clock.advance(days=1)  # the first two are now a full period old
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, offer_id, 3)] == [
        None,
        None,
        "FREQUENCY_LIMIT",
    ]


async def test_inventory_is_shared_by_revisions_and_follows_a_new_total(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    offer_id = await create_offer(client, tenant, issuance=[{"type": "inventory", "total": 3}])
    user_id = await create_user(client, tenant)
    assert [e["fail_reason_code"] for e in await issue(client, tenant, user_id, offer_id, 2)] == [None, None]
    update = offer_body("more", issuance=[{"type": "inventory", "total": 4}])
    revised = await post(client, tenant, "/api/2.0/offers/management/update", {"offer_id": offer_id, **update})
    assert revised["revisioned"] is True
    reasons = [e["fail_reason_code"] for e in await issue(client, tenant, user_id, revised["offer_id"], 3)]
    assert reasons == [None, None, "INVENTORY_EXHAUSTED"]
    details = await post(client, tenant, "/api/2.0/offers/fetch_offers_details", {"offer_ids": [revised["offer_id"]]})
    [row] = details["results"]
    assert (row["acquisition_count"], row["total_inventory"], row["available_inventory_remaining"]) == (4, 4, 0)


async def test_unknown_offer_and_user_and_other_retailers(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    mine_user = await create_user(client, tenant)
    mine_offer = await create_offer(client, tenant)
    their_user = await create_user(client, other_tenant)
    their_offer = await create_offer(client, other_tenant)
    before = await snapshot(db, *WALLET_TABLES)
    body = {"user_id": mine_user, "offer_id": their_offer}
    error = await post(client, tenant, "/api/2.0/offers/acquisition/issue", body, status=404)
    assert error["errors"]["code"] == "OFFER_NOT_FOUND"
    body = {"user_id": their_user, "offer_id": mine_offer}
    error = await post(client, tenant, "/api/2.0/offers/acquisition/issue", body, status=404)
    assert error["errors"]["code"] == "USER_NOT_FOUND"
    await post(client, tenant, "/api/2.0/offers/management/delete", {"offer_id": mine_offer})
    before = await snapshot(db, *WALLET_TABLES)
    body = {"user_id": mine_user, "offer_id": mine_offer}
    error = await post(client, tenant, "/api/2.0/offers/acquisition/issue", body, status=404)
    assert error["errors"]["code"] == "OFFER_NOT_FOUND"
    assert await snapshot(db, *WALLET_TABLES) == before


async def test_malformed_issue_is_400_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    user_id = await create_user(client, tenant)
    offer_id = await create_offer(client, tenant)
    before = await snapshot(db, *WALLET_TABLES)
    for body, field in (
        ({"user_id": user_id, "offer_id": offer_id, "quantity": 0}, "quantity"),
        ({"user_id": user_id, "offer_id": offer_id, "quantity": "many"}, "quantity"),
        ({"user_id": "nope", "offer_id": offer_id}, "user_id"),
        ({"user_id": user_id}, "body"),
        ({"user_id": user_id, "offer_id": offer_id, "issue_exact_version": "perhaps"}, "issue_exact_version"),
    ):
        error = await post(client, tenant, "/api/2.0/offers/acquisition/issue", body, status=400)
        assert error["errors"]["code"] == "VALIDATION"
        assert field in error["errors"]["fields"], error
    assert await snapshot(db, *WALLET_TABLES) == before
