"""The activity chart's data, from the wallet's user offers, per local day; and the page that shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from openoffers.admin.activity import activity_series, day_bounds
from openoffers.kit.db import Database
from openoffers.loyalty import service as loyalty
from openoffers.offers import service as offers
from openoffers.offers.schemas import CreateOfferRequest, OfferDetailsRequest, TextConfig
from openoffers.tables.wallet import user_offers
from openoffers.wallet import service as wallet
from openoffers.wallet.lifecycle import REDEEMED
from openoffers.wallet.schemas import CreateUserRequest, IssueRequest
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant

NY = "America/New_York"


def test_day_bounds_follow_the_local_calendar_across_daylight_saving() -> None:
    bounds = day_bounds(date(2026, 3, 7), date(2026, 3, 9), NY)  # DST starts on Sunday March 8
    assert bounds == [
        datetime(2026, 3, 7, 5, tzinfo=UTC),
        datetime(2026, 3, 8, 5, tzinfo=UTC),
        datetime(2026, 3, 9, 4, tzinfo=UTC),  # March 8 had 23 hours
        datetime(2026, 3, 10, 4, tzinfo=UTC),
    ]


async def _issue(db: Database, tenant: Tenant, offer_id: object, at: datetime, count: int = 1) -> list[object]:
    user = await loyalty.create_user(db, CreateUserRequest(retailer_id=tenant.retailer_id), at)
    result = await wallet.issue(
        db,
        IssueRequest(retailer_id=tenant.retailer_id, user_id=user.user_id, offer_id=offer_id, quantity=count),  # type: ignore[arg-type]
        at,
        "test",
    )
    return [s.user_offer_id for s in result.status_list]


async def test_series_counts_issued_and_redeemed_per_local_day(
    db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    created = await offers.create_offer(
        db,
        CreateOfferRequest(
            retailer_id=tenant.retailer_id,
            publish=True,
            offer_type="manual_fulfillment",
            text_config=[TextConfig(title="Free cookie")],
        ),
        clock(),
    )
    offer_id = created.offer_id
    first, last = date(2026, 6, 10), date(2026, 6, 14)
    assert await activity_series(db, tenant.retailer_id, offer_id, first=first, last=last, timezone=NY) == []

    # 02:00 UTC on June 12 is still June 11 in New York.
    await _issue(db, tenant, offer_id, datetime(2026, 6, 12, 2, 0, tzinfo=UTC), count=2)
    redeemed = await _issue(db, tenant, offer_id, datetime(2026, 6, 13, 15, 0, tzinfo=UTC))
    await _issue(db, tenant, offer_id, datetime(2026, 6, 20, 15, 0, tzinfo=UTC))  # after the window
    async with db.write() as conn:
        await conn.execute(
            update(user_offers)
            .where(user_offers.c.id == redeemed[0])
            .values(status=REDEEMED, updated_at=datetime(2026, 6, 14, 3, 59, tzinfo=UTC))  # June 13, 23:59 local
        )

    series = await activity_series(db, tenant.retailer_id, offer_id, first=first, last=last, timezone=NY)
    assert series == [
        (date(2026, 6, 10), 0, 0),
        (date(2026, 6, 11), 2, 0),
        (date(2026, 6, 12), 0, 0),
        (date(2026, 6, 13), 1, 1),
        (date(2026, 6, 14), 0, 0),
    ]
    # Over all time the series adds up to the counts the API reports.
    everything = await activity_series(
        db, tenant.retailer_id, offer_id, first=date(2026, 6, 1), last=date(2026, 6, 30), timezone=NY
    )
    details = await offers.offer_details(db, OfferDetailsRequest(retailer_id=tenant.retailer_id, offer_ids=[offer_id]))
    assert sum(p[1] for p in everything) == details.results[0].acquisition_count == 4
    assert sum(p[2] for p in everything) == details.results[0].redemption_count == 1


async def test_series_is_scoped_to_the_retailer(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await offers.create_offer(
        db,
        CreateOfferRequest(
            retailer_id=tenant.retailer_id,
            publish=True,
            offer_type="manual_fulfillment",
            text_config=[TextConfig(title="Mine")],
        ),
        clock(),
    )
    await _issue(db, tenant, created.offer_id, clock())
    today = clock().date()
    mine = await activity_series(db, tenant.retailer_id, created.offer_id, first=today, last=today, timezone="UTC")
    assert mine == [(today, 1, 0)]
    theirs = await activity_series(
        db, other_tenant.retailer_id, created.offer_id, first=today, last=today, timezone="UTC"
    )
    assert theirs == []


async def test_detail_page_draws_the_last_30_days(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    created = await offers.create_offer(
        db,
        CreateOfferRequest(
            retailer_id=tenant.retailer_id,
            publish=True,
            offer_type="manual_fulfillment",
            text_config=[TextConfig(title="Charted")],
        ),
        clock(),
    )
    await _issue(db, tenant, created.offer_id, clock(), count=3)
    page = await admin.get(f"/admin/offers/{created.offer_id}")
    assert "<dt>Issued</dt><dd>3</dd>" in page.text
    assert "No activity" not in page.text
    assert ">Issued (3)</text>" in page.text
    today = clock().astimezone(ZoneInfo(NY)).date()
    assert f'<th scope="row">{today.isoformat()}</th><td>3</td><td>0</td>' in page.text
    assert f'<th scope="row">{(today - timedelta(days=29)).isoformat()}</th>' in page.text


async def test_quiet_offer_with_old_activity_says_so(
    admin: Browser, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    created = await offers.create_offer(
        db,
        CreateOfferRequest(
            retailer_id=tenant.retailer_id,
            publish=True,
            offer_type="manual_fulfillment",
            text_config=[TextConfig(title="Old")],
        ),
        clock(),
    )
    await _issue(db, tenant, created.offer_id, clock() - timedelta(days=40))
    page = await admin.get(f"/admin/offers/{created.offer_id}")
    assert ">No activity in the last 30 days</text>" in page.text
