"""The dashboard's figures against a seeded programme (tests/reports/programme.py): exact counts and
amounts per local day of America/New_York across the spring-forward, on both engines."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import httpx

from openoffers.kit.db import Database
from openoffers.reports import figures
from openoffers.reports.period import custom, preset
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.reports.programme import seed_programme

TZ = "America/New_York"


async def test_period_days_follow_the_time_zone_across_the_change() -> None:
    period = custom(date(2026, 3, 7), date(2026, 3, 9), TZ)
    starts = [d.isoformat() for d in period.day_starts()]
    assert starts == [
        "2026-03-07T05:00:00+00:00",
        "2026-03-08T05:00:00+00:00",
        "2026-03-09T04:00:00+00:00",  # the 8th had 23 hours
        "2026-03-10T04:00:00+00:00",
    ]
    assert preset("last_month", date(2026, 3, 9), TZ) == custom(date(2026, 2, 1), date(2026, 2, 28), TZ)
    assert preset("7d", date(2026, 3, 9), TZ).first == date(2026, 3, 3)


async def test_figures_of_a_seeded_programme(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    p = await seed_programme(client, db, tenant, clock)
    before = await snapshot(db)
    report = await figures.report(db, tenant.retailer_id, custom(date(2026, 3, 7), date(2026, 3, 9), TZ))
    assert await snapshot(db) == before  # reading changes nothing
    s = report.summary
    # Issued in the period: a1, a2 (7th, 8th), b1, b3 (9th). Redeemed and standing: a0 (7th), a1 and b1
    # (9th); a2 was reinstated. Checks with an offer: T-1 (11.00 - 5.00) and U-1 (11.00 - 5.00); T-2
    # redeemed nothing, T-3 is after the period.
    assert (s.issued, s.redeemed, s.discount, s.checks, s.revenue) == (4, 3, 1300, 2, 1200)
    assert s.rate_basis_points == 7500 and figures.rate_text(s.rate_basis_points) == "75%"
    assert report.days == [(date(2026, 3, 7), 1, 1), (date(2026, 3, 8), 1, 0), (date(2026, 3, 9), 2, 2)]
    # Points: the earn rule (1 a unit of what was paid) on T-1 (6), U-1 (6) and T-2 (11); 2 spent. Expired:
    # what was left of E1's lot (25, the 8th) and E2's 8 February lot (30, the 9th); not E2's 12 (the 10th).
    assert (s.points_earned, s.points_spent, s.points_expired) == (23, 2, 55)
    by_offer = {(o.root_offer_id, o.title): (o.issued, o.redeemed, o.discount) for o in report.offers}
    assert by_offer == {(UUID(p.offer_a), "$5 off"): (2, 2, 1000), (UUID(p.offer_b), "$3 off"): (2, 1, 300)}
    by_store = {st.name: (st.redeemed, st.discount, st.checks, st.revenue) for st in report.stores}
    assert by_store == {"Main St": (1, 500, 1, 600), "Uptown": (2, 800, 1, 600)}
    assert [(r.rule_id, r.name, r.issued, r.points_earned, r.points_spent) for r in report.rules] == [
        (UUID(p.rule_id), "base", 0, 23, 0)
    ]

    # One local day at a time: the 8th (23 hours) holds only a2's issuance and the spend.
    day = await figures.report(db, tenant.retailer_id, custom(date(2026, 3, 8), date(2026, 3, 8), TZ))
    assert (day.summary.issued, day.summary.redeemed, day.summary.points_spent) == (1, 0, 2)
    assert day.summary.points_expired == 25
    ninth = await figures.report(db, tenant.retailer_id, custom(date(2026, 3, 9), date(2026, 3, 9), TZ))
    assert ninth.summary.points_expired == 30
    # The whole programme: a0 (6th) and b4 (10th) issued outside it; T-3 redeemed b4 on the 10th.
    wide = await figures.report(db, tenant.retailer_id, custom(date(2026, 3, 1), date(2026, 3, 31), TZ))
    assert (wide.summary.issued, wide.summary.redeemed, wide.summary.discount, wide.summary.checks) == (6, 4, 1600, 3)
    assert wide.summary.points_expired == 67


async def test_other_retailers_see_none_of_it(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock
) -> None:
    await seed_programme(client, db, tenant, clock)
    report = await figures.report(db, other_tenant.retailer_id, custom(date(2026, 3, 1), date(2026, 3, 31), TZ))
    assert report.summary == figures.Summary(0, 0, 0, 0, 0, 0, 0, 0)
    assert (report.offers, report.rules, report.stores) == ([], [], [])


async def test_the_api_gives_the_same_numbers(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    p = await seed_programme(client, db, tenant, clock)
    body = {"retailer_id": str(tenant.retailer_id), "from": "2026-03-07", "to": "2026-03-09"}
    response = await client.post("/api/2.0/reports/programme", json=body, headers=tenant.auth)
    assert response.status_code == 200, response.text
    out = response.json()["payload"]
    assert (out["from"], out["to"], out["timezone"], out["currency"]) == ("2026-03-07", "2026-03-09", TZ, "USD")
    assert out["summary"] == {
        "issued": 4,
        "redeemed": 3,
        "redemption_rate_basis_points": 7500,
        "discount": 13,
        "checks_with_offer": 2,
        "revenue_of_checks_with_offer": 12,
        "points_earned": 23,
        "points_spent": 2,
        "points_expired": 55,
    }
    assert [(o["offer_id"], o["redeemed"], o["discount"]) for o in out["by_offer"]] == [
        (p.offer_a, 2, 10),
        (p.offer_b, 1, 3),
    ]
    assert [d["day"] for d in out["by_day"]] == ["2026-03-07", "2026-03-08", "2026-03-09"]


async def test_the_api_refuses_bad_ranges_with_a_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    r = {"retailer_id": str(tenant.retailer_id)}
    cases = [
        ({**r, "from": "2026-03-09", "to": "2026-03-07"}, "to"),
        ({**r, "from": "2026-02-30", "to": "2026-03-07"}, "from"),
        ({**r, "from": "2026-03-01"}, "to"),
        ({**r, "range": "fortnight"}, "range"),
        ({**r, "range": "7d", "from": "2026-03-01", "to": "2026-03-02"}, "range"),
        ({**r, "from": "2020-01-01", "to": "2026-03-02"}, "to"),
    ]
    for body, field in cases:
        response = await client.post("/api/2.0/reports/programme", json=body, headers=tenant.auth)
        assert response.status_code == 400, response.text
        errors = response.json()["errors"]
        assert errors["code"] == "VALIDATION" and field in errors["fields"], errors
